package io.tsmigrate.cli;

import io.tsmigrate.common.Db;
import picocli.CommandLine.Option;

import java.util.LinkedHashMap;
import java.util.Map;

/** The options of {@code start} (and {@code migrate}): flavour, secrets, converter; {@link StreamingStart} applies them. */
final class StartOptions {

    @Option(names = "--flavour", defaultValue = "postgres", description = "Source flavour: postgres, timescaledb, rds (default: ${DEFAULT-VALUE})")
    String flavour = "postgres";

    @Option(names = "--secrets", defaultValue = "env", description = "How the worker gets passwords: env ($${env:TSMIGRATE_SOURCE_PASSWORD}) or "
            + "file:PATH ($${file:PATH:source.password}) (default: ${DEFAULT-VALUE})")
    String secrets = "env";

    @Option(names = "--allow-plaintext-secrets", description = "Put the passwords into the connector configs in clear (not recommended)")
    boolean plaintext;

    @Option(names = "--sslmode", description = "Source sslmode for Debezium (default: the source URL's sslmode, else prefer; rds: at least require)")
    String sslmode;

    @Option(names = "--replication-factor", defaultValue = "1", description = "Replication factor of the change topics")
    int replicationFactor = 1;

    @Option(names = "--sink-tasks", defaultValue = "1", description = "Sink tasks (each takes whole topic partitions; more tasks than "
            + "partitions idle)")
    int sinkTasks = 1;

    @Option(names = "--topic-partitions", defaultValue = "1", description = "Partitions of the change topics of tables with a primary key "
            + "and no other unique index (records of one key stay in one partition, in order), so several sink tasks share a large table; "
            + "other tables keep one. Fixed at the first start (default: ${DEFAULT-VALUE})")
    int topicPartitions = 1;

    @Option(names = "--converter", defaultValue = "json", description = "Record format in Kafka: json (JsonConverter; the sink reads with "
            + "ExactJsonConverter) or avro (Apicurio Registry's AvroConverter, needs --registry-url) (default: ${DEFAULT-VALUE})")
    String converter = "json";

    @Option(names = "--recreate", description = "Streaming started before and the connectors are gone (deleted, a rebuilt Connect cluster): create "
            + "them again under the same names, after checking that Kafka still holds the migration's topics")
    boolean recreate;

    @Option(names = "--registry-url", description = "Schema registry for --converter avro, e.g. http://registry:8080/apis/registry/v2")
    String registryUrl;

    /** Converter settings for both connectors; empty for JSON (the templates' and the worker's defaults). */
    Map<String, String> converterSettings() {
        Map<String, String> c = new LinkedHashMap<>();
        switch (converter) {
            case "json" -> { }
            case "avro" -> {
                if (registryUrl == null) {
                    throw new CliException("--converter avro needs --registry-url, e.g. http://registry:8080/apis/registry/v2");
                }
                for (String side : new String[] {"key", "value"}) {
                    c.put(side + ".converter", "io.apicurio.registry.utils.converter.AvroConverter");
                    c.put(side + ".converter.apicurio.registry.url", registryUrl);
                    c.put(side + ".converter.apicurio.registry.auto-register", "true");
                    c.put(side + ".converter.apicurio.registry.find-latest", "true");
                }
            }
            default -> throw new CliException("unknown --converter '" + converter + "': use json or avro");
        }
        return c;
    }

    /**
     * The source task's settings a converter needs: Avro (Apicurio's AvroData) puts a field's schema default in place of
     * null, with no setting against it, so the task leaves column defaults out of the schemas (source-converter's
     * SchemaDefaults) and an explicit NULL stays NULL.
     */
    Map<String, String> sourceConverterSettings() {
        return "avro".equals(converter) ? Map.of("tsmigrate.schema.defaults", "drop") : Map.of();
    }

    /** Debezium's sslmode: --sslmode, else the source URL's; Amazon RDS must use TLS. */
    String sslmode(Db source) {
        String mode = sslmode != null ? sslmode : source.sslmode() != null ? source.sslmode() : "prefer";
        if ("rds".equals(flavour) && !java.util.Set.of("require", "verify-ca", "verify-full").contains(mode)) {
            throw new CliException("--flavour rds streams over TLS: give --sslmode require or verify-full (with sslrootcert=<the RDS CA bundle> in "
                    + "the source URL), not " + mode);
        }
        return mode;
    }

    Map<String, String> variables(Endpoints endpoints, Names names, Db source, Db target) {
        Map<String, String> v = new LinkedHashMap<>();
        v.put("SOURCE_HOST", source.host());
        v.put("SOURCE_PORT", Integer.toString(source.port()));
        v.put("SOURCE_DB", source.database());
        v.put("SOURCE_USER", source.effectiveUser());
        v.put("SOURCE_SSLMODE", sslmode(source));
        v.put("TOPIC_PREFIX", names.name());
        v.put("SLOT", names.slot());
        v.put("PUBLICATION", names.publication());
        v.put("REPLICATION_FACTOR", Integer.toString(replicationFactor));
        // Every change topic of the migration, not Debezium's transaction topic (<prefix>.transaction).
        v.put("TOPIC_REGEX", SourceStreams.of(names, 1).sinkTopicRegex());
        v.put("TARGET_URL", target.url());
        v.put("TARGET_USER", target.effectiveUser());
        v.put("SINK_TASKS", Integer.toString(sinkTasks));
        v.put("SOURCE_PASSWORD", secret("source", source.password(), endpoints.sourcePasswordEnv));
        v.put("TARGET_PASSWORD", secret("target", target.password(), endpoints.targetPasswordEnv));
        return v;
    }

    private String secret(String which, String value, String envName) {
        if (plaintext) {
            return value == null ? "" : value;
        }
        if (secrets.equals("env")) {
            return "${env:" + envName + "}";
        }
        if (secrets.startsWith("file:")) {
            return "${file:" + secrets.substring(5) + ":" + which + ".password}";
        }
        throw new CliException("--secrets must be env or file:PATH, got '" + secrets + "'");
    }
}
