package io.tsmigrate.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.tsmigrate.bootstrap.Lanes;
import io.tsmigrate.bootstrap.TargetChecks;
import io.tsmigrate.common.Check;
import io.tsmigrate.common.ConnectClient;
import io.tsmigrate.common.Db;
import io.tsmigrate.common.MigrationScope;
import io.tsmigrate.common.SourceFacts;
import io.tsmigrate.common.SourceRules;
import io.tsmigrate.common.StateStore;
import io.tsmigrate.common.TableSelection;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The preflight report ({@code tsmigrate check}, and {@code migrate}'s first step): what the source, the target and
 * Kafka Connect need for a migration, each a {@link Check} with its fix. Reads only.
 */
final class PreflightReport {

    private PreflightReport() {
    }

    static boolean failed(List<Check> checks) {
        return checks.stream().anyMatch(c -> c.status() == Check.Status.FAIL);
    }

    /**
     * Every check, in the order printed: the source, the target (when given), Connect (or the embedded runtime).
     *
     * @param sources the migration's source streams ({@code --sources}; 1 for {@code check})
     */
    static List<Check> run(Endpoints endpoints, TableSelection selection, Names names, SourceRules.Flavour f, int jobs, int indexJobs, int sources) {
        List<Check> checks = new ArrayList<>();
        Map<String, String> facts = Map.of("server_version_num", "0");
        SourceRules.Streams streams = new SourceRules.Streams(Lanes.of(names.slot(), names.publication(), sources).stream().map(Lanes.Lane::slot)
                .toList(), endpoints.targetUrl == null ? null : slotExpected(endpoints.target()));
        try (Connection c = endpoints.source().open("tsmigrate-check")) {
            facts = SourceFacts.read(c, MigrationScope.beforeBootstrap(selection), streams, true);
            checks.addAll(SourceRules.evaluate(f, facts, streams));
        } catch (SQLException e) {
            checks.add(Check.fail("source", "connection", "cannot connect to " + endpoints.source() + ": " + e.getMessage(),
                    connectionFix(endpoints.source(), e, "--source-url", "check --source-url, the user and the password variable")));
        }
        if (endpoints.targetUrl != null) {
            String license = license(endpoints.target());
            checks.addAll(target(endpoints.target(), facts, license, names.slot(), jobs, indexJobs));
            checks.addAll(edition(endpoints.source(), endpoints.target(), license));
        }
        if (endpoints.connect != null) {
            checks.addAll(connect(new ConnectClient(endpoints.connect)));
        } else {
            checks.add(embedded());
        }
        return checks;
    }

    /** Whether the target's bootstrap state explains the migration's slot; null when the target cannot be read. */
    private static Boolean slotExpected(Db target) {
        try (Connection c = target.open("tsmigrate-check")) {
            StateStore.State state = StateStore.load(c);
            return state != null && state.slotName() != null;
        } catch (SQLException e) {
            return null;
        }
    }

    /** The target's TimescaleDB license (probed once), or null when unknown or unreachable. */
    private static String license(Db target) {
        try (Connection c = target.open("tsmigrate-check")) {
            return io.tsmigrate.bootstrap.TimescaleFeatures.probeLicense(c);
        } catch (SQLException e) {
            return null;
        }
    }

    private static List<Check> target(Db target, Map<String, String> facts, String license, String slot, int jobs, int indexJobs) {
        try (Connection c = target.open("tsmigrate-check")) {
            return TargetChecks.evaluate(c, facts, license, slot, jobs, indexJobs);
        } catch (SQLException e) {
            return List.of(Check.fail("target", "connection", "cannot connect to " + target + ": " + e.getMessage(),
                    connectionFix(target, e, "--target-url", "check --target-url")));
        }
    }

    /** Each TimescaleDB feature of the source that an Apache-licensed target cannot hold, refused before anything is copied. */
    private static List<Check> edition(io.tsmigrate.common.Db source, io.tsmigrate.common.Db target, String license) {
        List<Check> out = new ArrayList<>();
        try (Connection s = source.open("tsmigrate-check"); Connection t = target.open("tsmigrate-check")) {
            if (!"apache".equals(license)) {
                return out;
            }
            for (io.tsmigrate.bootstrap.TimescaleFeatures.Item i : io.tsmigrate.bootstrap.TimescaleFeatures.read(s)) {
                out.add(Check.fail("target", "needs Community edition", i.what() + " of the source needs TimescaleDB's Community edition; "
                        + "the target runs the Apache edition, which refuses it", "use a target with the Community edition, or remove it on "
                        + "the source for the migration and recreate it later with: " + i.manual()));
            }
        } catch (SQLException e) {
            // Connection problems are reported by the source and target checks.
        }
        return out;
    }

    /** What to do about a failed connection; a refused server certificate names the URL's CA file. */
    static String connectionFix(Db db, SQLException e, String option, String otherwise) {
        String m = String.valueOf(e.getMessage());
        if (m.contains("PKIX") || m.contains("certificate") || m.contains("SSL error")) {
            String ca = db.param("sslrootcert");
            return "the server's TLS certificate was not accepted" + (ca == null ? " (no sslrootcert in the URL)" : " with sslrootcert=" + ca)
                    + ": give the CA file that signed it as sslrootcert=<file> in " + option + ", and a host name the certificate names";
        }
        return otherwise;
    }

    private static List<Check> connect(ConnectClient rest) {
        List<Check> out = new ArrayList<>();
        try {
            JsonNode root = rest.root();
            out.add(Check.ok("connect", "REST API", rest.url() + " (Kafka " + root.path("version").asText() + ")"));
            Map<String, String> versions = new LinkedHashMap<>();
            rest.plugins().forEach(p -> versions.put(p.path("class").asText(), p.path("version").asText()));
            for (String cls : List.of("io.debezium.connector.postgresql.PostgresConnector", "io.tsmigrate.sink.TimescaleSinkConnector")) {
                out.add(versions.containsKey(cls) ? Check.ok("connect", cls.substring(cls.lastIndexOf('.') + 1), "version " + versions.get(cls))
                        : Check.fail("connect", cls.substring(cls.lastIndexOf('.') + 1), "plugin not installed on the worker",
                                "unpack the plugin into the worker's plugin.path and restart it"));
            }
            String exact = "io.tsmigrate.source.ExactPostgresConnector";
            if (versions.containsKey("io.debezium.connector.postgresql.PostgresConnector") && !versions.containsKey(exact)) {
                out.add(Check.fail("connect", "ExactPostgresConnector", "tsmigrate-source-converter.jar is not in the Debezium PostgreSQL plugin's folder",
                        "copy it there (it holds the source templates' connector and converter) and restart the worker"));
            }
        } catch (io.tsmigrate.common.UserError e) {
            out.add(Check.fail("connect", "REST API", e.getMessage(), "start the worker or fix --connect"));
        }
        return out;
    }

    /** Without --connect the commands run their own broker and worker: their runtime must be installed. */
    private static Check embedded() {
        try {
            java.nio.file.Path root = Embedded.home();
            for (String part : List.of("deploy/local/runtime/target/kafka-libs", "deploy/local/runtime/target/plugins", "sink-timescale/target/connect-plugins")) {
                if (!java.nio.file.Files.isDirectory(root.resolve(part))) {
                    return Check.fail("connect", "embedded", root.resolve(part) + " is missing", "build the runtime: mvn -DskipTests package");
                }
            }
            return Check.ok("connect", "embedded", "no --connect: tsmigrate runs its own Kafka " + kafkaVersion() + " broker and Connect worker "
                    + "with Debezium and the sink (from " + root + ")");
        } catch (CliException e) {
            return Check.fail("connect", "embedded", e.getMessage(), "give --connect URL --kafka HOST:PORT");
        }
    }

    private static String kafkaVersion() {
        return org.apache.kafka.common.utils.AppInfoParser.getVersion();
    }

}
