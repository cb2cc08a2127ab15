package io.tsmigrate.sink;

import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigValue;
import org.apache.kafka.common.config.types.Password;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.sink.SinkConnector;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Kafka Connect sink that applies Debezium PostgreSQL change events (or flat rows) to TimescaleDB.
 * Thin: configuration and validation here, the work in {@link TimescaleSinkTask}.
 */
public final class TimescaleSinkConnector extends SinkConnector {

    private Map<String, String> props;

    @Override
    public String version() {
        return Version.get();
    }

    @Override
    public void start(Map<String, String> props) {
        this.props = Map.copyOf(props);
        new TimescaleSinkConfig(props);
    }

    @Override
    public Class<? extends Task> taskClass() {
        return TimescaleSinkTask.class;
    }

    @Override
    public List<Map<String, String>> taskConfigs(int maxTasks) {
        List<Map<String, String>> configs = new ArrayList<>();
        for (int i = 0; i < maxTasks; i++) {
            Map<String, String> task = new HashMap<>(props);
            task.put("task.id", Integer.toString(i));
            configs.add(task);
        }
        return configs;
    }

    @Override
    public void stop() {
        props = null;
    }

    @Override
    public ConfigDef config() {
        return TimescaleSinkConfig.CONFIG_DEF;
    }

    /**
     * Besides each setting's own validator: connects to the target and puts any problem (unreachable,
     * authentication, no TimescaleDB extension) on {@code connection.url}, so the REST validate endpoint shows it.
     */
    @Override
    public Config validate(Map<String, String> connectorConfigs) {
        Config config = super.validate(connectorConfigs);
        Map<String, ConfigValue> values = new HashMap<>();
        config.configValues().forEach(v -> values.put(v.name(), v));
        ConfigValue url = values.get(TimescaleSinkConfig.CONNECTION_URL);
        if (url == null || !url.errorMessages().isEmpty() || url.value() == null) {
            return config;
        }
        ConfigValue user = values.get(TimescaleSinkConfig.CONNECTION_USER);
        ConfigValue password = values.get(TimescaleSinkConfig.CONNECTION_PASSWORD);
        Properties p = new Properties();
        if (user != null && user.value() != null) {
            p.setProperty("user", (String) user.value());
        }
        if (password != null && password.value() instanceof Password pw) {
            p.setProperty("password", pw.value());
        }
        p.setProperty("connectTimeout", "10");
        p.setProperty("ApplicationName", "tsmigrate-sink validate");
        try (Connection c = new org.postgresql.Driver().connect((String) url.value(), p)) {
            if (c == null) {
                url.addErrorMessage("not a PostgreSQL JDBC URL: " + Redact.url((String) url.value()));
                return config;
            }
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                    "SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'")) {
                if (!rs.next()) {
                    url.addErrorMessage("the target database has no timescaledb extension; run CREATE EXTENSION timescaledb in it "
                            + "(hypertables need it; plain tables would work, but this sink is for TimescaleDB targets)");
                }
            }
        } catch (SQLException e) {
            url.addErrorMessage("cannot connect to the target database " + Redact.url((String) url.value()) + ": " + withoutSecrets(e.getMessage(), p));
        }
        return config;
    }

    private static String withoutSecrets(String message, Properties p) {
        String pw = p.getProperty("password");
        return message == null || pw == null || pw.isEmpty() ? message : message.replace(pw, "****");
    }
}
