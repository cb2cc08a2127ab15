package io.tsmigrate.cli;

import io.tsmigrate.bootstrap.Db;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;

/** {@code tsmigrate start}: the source and sink connectors, from the templates, through the Connect REST API. */
@Command(name = "start", mixinStandardHelpOptions = true, description = {"Renders the connector definitions for the source flavour and the sink "
        + "and applies them through the Kafka Connect REST API, then waits until they run.",
        "Passwords go into the connector configs as config provider references (${env:...} by default), never in clear."},
        footer = {"%nExample:%n  tsmigrate start --source-url jdbc:postgresql://db1/app --target-url jdbc:postgresql://tsdb/app --connect http://connect:8083"})
final class StartCommand implements Callable<Integer> {

    @Mixin
    Endpoints endpoints;

    @Option(names = "--flavour", defaultValue = "postgres", description = "Source flavour: postgres, timescaledb, rds (default: ${DEFAULT-VALUE})")
    String flavour;

    @Option(names = "--name", defaultValue = "tsmigrate", description = "Name prefix of the connectors and topics (default: ${DEFAULT-VALUE})")
    String name;

    @Option(names = "--slot", defaultValue = "tsmigrate", description = "The bootstrap's slot (default: ${DEFAULT-VALUE})")
    String slot;

    @Option(names = "--publication", defaultValue = "tsmigrate", description = "The bootstrap's publication (default: ${DEFAULT-VALUE})")
    String publication;

    @Option(names = "--secrets", defaultValue = "env", description = "How the worker gets passwords: env (${env:TSMIGRATE_SOURCE_PASSWORD}) or "
            + "file:PATH (${file:PATH:source.password}) (default: ${DEFAULT-VALUE})")
    String secrets;

    @Option(names = "--allow-plaintext-secrets", description = "Put the passwords into the connector configs in clear (not recommended)")
    boolean plaintext;

    @Option(names = "--sslmode", defaultValue = "prefer", description = "Source sslmode for Debezium (default: ${DEFAULT-VALUE})")
    String sslmode;

    @Option(names = "--replication-factor", defaultValue = "1", description = "Replication factor of the change topics")
    int replicationFactor;

    @Option(names = "--sink-tasks", defaultValue = "1", description = "Sink tasks")
    int sinkTasks;

    @Option(names = "--converter", defaultValue = "json", description = "Record format in Kafka: json (JsonConverter; the sink reads with "
            + "ExactJsonConverter) or avro (Apicurio Registry's AvroConverter, needs --registry-url) (default: ${DEFAULT-VALUE})")
    String converter;

    @Option(names = "--registry-url", description = "Schema registry for --converter avro, e.g. http://registry:8080/apis/registry/v2")
    String registryUrl;

    @Override
    public Integer call() {
        ConnectRest rest = endpoints.connectRest();
        Map<String, String> vars = variables(endpoints.source(), endpoints.target());
        String template = switch (flavour) {
            case "postgres" -> "source-postgres";
            case "timescaledb" -> "source-timescaledb";
            case "rds" -> "source-rds";
            default -> throw new CliException("unknown --flavour '" + flavour + "': use postgres, timescaledb or rds");
        };
        Map<String, String> source = Templates.render(template, vars);
        Map<String, String> sink = Templates.render("sink-timescale", vars);
        Map<String, String> converters = converterSettings();
        source.putAll(converters);
        sink.putAll(converters);
        rest.put(name + "-source", source);
        rest.put(name + "-sink", sink);
        rest.awaitRunning(name + "-source", Duration.ofMinutes(2));
        rest.awaitRunning(name + "-sink", Duration.ofMinutes(2));
        System.out.println("OK   connectors " + name + "-source and " + name + "-sink are RUNNING on " + rest.url());
        return 0;
    }

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

    Map<String, String> variables(Db source, Db target) {
        Map<String, String> v = new LinkedHashMap<>();
        v.put("SOURCE_HOST", source.host());
        v.put("SOURCE_PORT", Integer.toString(source.port()));
        v.put("SOURCE_DB", source.database());
        v.put("SOURCE_USER", source.effectiveUser());
        v.put("SOURCE_SSLMODE", sslmode);
        v.put("TOPIC_PREFIX", name);
        v.put("SLOT", slot);
        v.put("PUBLICATION", publication);
        v.put("REPLICATION_FACTOR", Integer.toString(replicationFactor));
        v.put("TOPIC_REGEX", Pattern.quote(name) + "\\..*");
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
