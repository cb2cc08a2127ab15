package io.tsmigrate.sink;

import io.tsmigrate.sink.buffer.Placeholders;

import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.Width;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/** The sink's settings, parsed once. Immutable. */
public final class TimescaleSinkConfig extends AbstractConfig {

    public static final String CONNECTION_URL = "connection.url";
    public static final String CONNECTION_USER = "connection.user";
    public static final String CONNECTION_PASSWORD = "connection.password";
    public static final String TABLE_NAME_FORMAT = "table.name.format";
    public static final String BATCH_SIZE = "batch.size";
    public static final String FLUSH_INTERVAL_MS = "flush.interval.ms";
    public static final String TRUNCATE_ENABLED = "truncate.enabled";
    public static final String SCHEMA_EVOLUTION = "schema.evolution";
    public static final String UNAVAILABLE_VALUE_PLACEHOLDER = "unavailable.value.placeholder";
    public static final String STATE_SCHEMA = "state.schema";
    public static final String REPLICATION_ROLE = "session.replication.role";
    public static final String MAX_RETRIES = "max.retries";
    public static final String RETRY_BACKOFF_MS = "retry.backoff.ms";
    public static final String LOG_INTERVAL_MS = "log.interval.ms";
    public static final String COPY_FORMAT = "copy.format";

    private static final String GROUP_CONNECTION = "Connection";
    private static final String GROUP_APPLY = "Applying changes";
    private static final String GROUP_ERRORS = "Errors and observability";

    /** How the sink treats columns that appear in the events but not in the target table. */
    public enum SchemaEvolution {
        /** Add the column to the target table ({@code ALTER TABLE ... ADD COLUMN}). */
        ADD_COLUMNS,
        /** Stop with an error naming the column. */
        NONE
    }

    /** Whether to apply with {@code session_replication_role = replica} (foreign keys and triggers not fired). */
    public enum CopyFormat {
        AUTO, TEXT
    }

    public enum ReplicationRole {
        /** Use replica when the role may set it; otherwise warn once that foreign keys may be violated transiently. */
        AUTO,
        /** Require replica; fail at start when the role may not set it. */
        REPLICA,
        /** Leave the session as it is (triggers and foreign keys fire). */
        ORIGIN
    }

    public static final ConfigDef CONFIG_DEF = new ConfigDef()
            .define(CONNECTION_URL, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new JdbcUrlValidator(), Importance.HIGH,
                    "JDBC URL of the target TimescaleDB database, for example jdbc:postgresql://host:5432/db?sslmode=verify-full. "
                            + "Give the password in connection.password, not in the URL.",
                    GROUP_CONNECTION, 1, Width.LONG, "Target JDBC URL")
            .define(CONNECTION_USER, Type.STRING, null, Importance.HIGH,
                    "Database user. May also be given in the URL.", GROUP_CONNECTION, 2, Width.MEDIUM, "User")
            .define(CONNECTION_PASSWORD, Type.PASSWORD, null, Importance.HIGH,
                    "Database password. Use a config provider (${file:...} or ${env:...}) rather than clear text.",
                    GROUP_CONNECTION, 3, Width.MEDIUM, "Password")
            .define(TABLE_NAME_FORMAT, Type.STRING, "${source.schema}.${source.table}", new ConfigDef.NonEmptyString(), Importance.MEDIUM,
                    "Target table for a record, as schema.table. Placeholders: ${topic}, ${source.schema}, ${source.table}. "
                            + "For records without a Debezium source block, ${source.schema} and ${source.table} are the last two "
                            + "dot-separated parts of the topic name. A name without a dot goes to the public schema.",
                    GROUP_APPLY, 1, Width.LONG, "Table name format")
            .define(BATCH_SIZE, Type.INT, 2500, ConfigDef.Range.atLeast(1), Importance.MEDIUM,
                    "Records buffered before they are applied in one transaction; one batch is written while the next is read.", GROUP_APPLY, 2, Width.SHORT, "Batch size")
            .define(FLUSH_INTERVAL_MS, Type.LONG, 1000L, ConfigDef.Range.atLeast(0), Importance.MEDIUM,
                    "Longest time a buffered record waits before it is applied, in milliseconds.", GROUP_APPLY, 3, Width.SHORT, "Flush interval")
            .define(TRUNCATE_ENABLED, Type.BOOLEAN, true, Importance.MEDIUM,
                    "Apply TRUNCATE events by truncating the target table.", GROUP_APPLY, 4, Width.SHORT, "Truncate")
            .define(SCHEMA_EVOLUTION, Type.STRING, "add_columns", enumValidator(SchemaEvolution.class), Importance.MEDIUM,
                    "add_columns: a column that appears in the events is added to the target table. none: such a column stops "
                            + "the task with an error. Dropped source columns are left on the target in either case.",
                    GROUP_APPLY, 5, Width.SHORT, "Schema evolution")
            .define(UNAVAILABLE_VALUE_PLACEHOLDER, Type.STRING, "__debezium_unavailable_value", Importance.LOW,
                    "The placeholder Debezium sends for an unchanged TOASTed value (its unavailable.value.placeholder). "
                            + "The sink keeps the target's current value for such a column.",
                    GROUP_APPLY, 6, Width.MEDIUM, "Unavailable value placeholder")
            .define(STATE_SCHEMA, Type.STRING, "tsmigrate", new ConfigDef.NonEmptyString(), Importance.LOW,
                    "Schema of the sink's own state table (sink_offsets), created when missing.", GROUP_APPLY, 7, Width.SHORT, "State schema")
            .define(REPLICATION_ROLE, Type.STRING, "auto", enumValidator(ReplicationRole.class), Importance.LOW,
                    "auto: apply with session_replication_role=replica when allowed (tables are applied per topic, not in source "
                            + "transaction order, so foreign keys and triggers must not fire), otherwise warn. replica: require it. "
                            + "origin: do not change it.",
                    GROUP_APPLY, 8, Width.SHORT, "Session replication role")
            .define(COPY_FORMAT, Type.STRING, "auto", enumValidator(CopyFormat.class), Importance.LOW,
                    "auto: new rows go by binary COPY when every column is boolean, an integer, a float, text, varchar, character, "
                            + "json, jsonb, uuid, bytea, date, timestamp or timestamptz and every value is in the plain form whose "
                            + "value is certain (otherwise that batch goes by text COPY), so the target parses no timestamps or "
                            + "floats. text: always text COPY.",
                    GROUP_APPLY, 9, Width.SHORT, "COPY format")
            .define(MAX_RETRIES, Type.INT, 100, ConfigDef.Range.atLeast(0), Importance.LOW,
                    "Retries of a transient database error (connection lost, serialization failure, deadlock, too many "
                            + "connections, shutdown) before the task fails.", GROUP_ERRORS, 1, Width.SHORT, "Max retries")
            .define(RETRY_BACKOFF_MS, Type.LONG, 1000L, ConfigDef.Range.atLeast(0), Importance.LOW,
                    "First wait before a retry, doubled up to 30 s.", GROUP_ERRORS, 2, Width.SHORT, "Retry backoff")
            .define(LOG_INTERVAL_MS, Type.LONG, 30000L, ConfigDef.Range.atLeast(1000), Importance.LOW,
                    "Interval of the INFO line with rates and lag.", GROUP_ERRORS, 3, Width.SHORT, "Log interval");

    public TimescaleSinkConfig(Map<?, ?> props) {
        super(CONFIG_DEF, props);
    }

    public String url() {
        return getString(CONNECTION_URL);
    }

    /** Null when not set. */
    public String user() {
        return getString(CONNECTION_USER);
    }

    /** Null when not set. Never log it. */
    public Password password() {
        return getPassword(CONNECTION_PASSWORD);
    }

    public String tableNameFormat() {
        return getString(TABLE_NAME_FORMAT);
    }

    public int batchSize() {
        return getInt(BATCH_SIZE);
    }

    public Duration flushInterval() {
        return Duration.ofMillis(getLong(FLUSH_INTERVAL_MS));
    }

    public boolean truncateEnabled() {
        return getBoolean(TRUNCATE_ENABLED);
    }

    public SchemaEvolution schemaEvolution() {
        return parse(SchemaEvolution.class, getString(SCHEMA_EVOLUTION));
    }

    public CopyFormat copyFormat() {
        return parse(CopyFormat.class, getString(COPY_FORMAT));
    }

    public String placeholder() {
        return getString(UNAVAILABLE_VALUE_PLACEHOLDER);
    }

    /** The task's number among the connector's tasks ({@code task.id}, which the connector puts into each task's settings). */
    static int taskId(Map<String, String> props) {
        try {
            return Integer.parseInt(props.getOrDefault("task.id", "0"));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    public String stateSchema() {
        return getString(STATE_SCHEMA);
    }

    public ReplicationRole replicationRole() {
        return parse(ReplicationRole.class, getString(REPLICATION_ROLE));
    }

    public int maxRetries() {
        return getInt(MAX_RETRIES);
    }

    public Duration retryBackoff() {
        return Duration.ofMillis(getLong(RETRY_BACKOFF_MS));
    }

    public Duration logInterval() {
        return Duration.ofMillis(getLong(LOG_INTERVAL_MS));
    }

    static <E extends Enum<E>> E parse(Class<E> type, String value) {
        return Enum.valueOf(type, value.trim().toUpperCase(Locale.ROOT));
    }

    private static <E extends Enum<E>> ConfigDef.Validator enumValidator(Class<E> type) {
        return new ConfigDef.Validator() {
            @Override
            public void ensureValid(String name, Object value) {
                try {
                    parse(type, (String) value);
                } catch (IllegalArgumentException | NullPointerException e) {
                    throw new ConfigException(name, value, "must be one of " + this);
                }
            }

            @Override
            public String toString() {
                return String.join(", ", java.util.Arrays.stream(type.getEnumConstants()).map(c -> c.name().toLowerCase(Locale.ROOT)).toList());
            }
        };
    }

    /** Accepts PostgreSQL JDBC URLs; the value shown in an error has any password masked. */
    static final class JdbcUrlValidator implements ConfigDef.Validator {
        @Override
        public void ensureValid(String name, Object value) {
            String url = (String) value;
            if (url == null || !url.startsWith("jdbc:postgresql:")) {
                throw new ConfigException(name + " must be a PostgreSQL JDBC URL such as jdbc:postgresql://host:5432/database, got: "
                        + Redact.url(url));
            }
        }

        @Override
        public String toString() {
            return "jdbc:postgresql://host:port/database";
        }
    }
}
