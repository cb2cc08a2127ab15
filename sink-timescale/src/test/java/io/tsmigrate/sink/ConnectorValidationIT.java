package io.tsmigrate.sink;

import com.fasterxml.jackson.databind.JsonNode;
import io.tsmigrate.testkit.ServicesExtension;
import io.tsmigrate.testkit.TestDatabases;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The plugin as a Connect worker sees it: listed, and validated through the REST API with clear errors. */
@ExtendWith(ServicesExtension.class)
class ConnectorValidationIT {

    private static final String CLASS = TimescaleSinkConnector.class.getName();

    @Test
    @DisplayName("the worker lists the sink plugin with its version")
    void worker_lists_the_plugin(TestDatabases dbs) {
        JsonNode plugins = dbs.services().connect().plugins();
        assertThat(plugins.findValuesAsText("class")).contains(CLASS, "io.debezium.connector.postgresql.PostgresConnector", "io.tsmigrate.source.ExactPostgresConnector");
    }

    @Test
    @DisplayName("validate puts each problem on its setting, and never shows the password")
    void validate_reports_problems_on_their_settings(TestDatabases dbs) {
        assertThat(errors(dbs, Map.of("connection.url", dbs.target().jdbcUrl()))).isEmpty();
        assertThat(errors(dbs, Map.of("connection.url", "jdbc:mysql://x/y?password=hunter2")).get("connection.url"))
                .anyMatch(m -> m.contains("jdbc:postgresql://")).noneMatch(m -> m.contains("hunter2"));
        assertThat(errors(dbs, Map.of("connection.url", "jdbc:postgresql://127.0.0.1:1/nowhere", "connection.password", "hunter2"))
                .get("connection.url")).anyMatch(m -> m.contains("cannot connect")).noneMatch(m -> m.contains("hunter2"));
        // The source database has no timescaledb extension.
        assertThat(errors(dbs, Map.of("connection.url", dbs.source().jdbcUrl())).get("connection.url"))
                .anyMatch(m -> m.contains("CREATE EXTENSION timescaledb"));
        assertThat(errors(dbs, Map.of("connection.url", dbs.target().jdbcUrl(), "schema.evolution", "sometimes")).get("schema.evolution"))
                .anyMatch(m -> m.contains("add_columns"));
    }

    private static Map<String, List<String>> errors(TestDatabases dbs, Map<String, String> settings) {
        Map<String, String> config = new HashMap<>(settings);
        config.put("connector.class", CLASS);
        config.put("topics", "t");
        config.put("name", "validation");
        JsonNode result = dbs.services().connect().validate(CLASS, config);
        if (settings.containsKey("connection.password")) {
            // A Password setting is shown as [hidden]; no error message repeats it either.
            assertThat(result.toString()).doesNotContain("hunter2");
        }
        Map<String, List<String>> errors = new HashMap<>();
        for (JsonNode c : result.path("configs")) {
            List<String> list = new java.util.ArrayList<>();
            c.path("value").path("errors").forEach(e -> list.add(e.asText()));
            if (!list.isEmpty()) {
                errors.put(c.path("value").path("name").asText(), list);
            }
        }
        return errors;
    }
}
