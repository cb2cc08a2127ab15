package io.tsmigrate.cli;

import io.tsmigrate.common.StateStore;
import io.tsmigrate.common.MigrationScope;
import io.tsmigrate.common.TableSelection;
import io.tsmigrate.common.ConnectClient;

import com.fasterxml.jackson.databind.JsonNode;
import io.tsmigrate.common.Db;

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

    /** Every check, in the order printed: the source, the target (when given), Connect (or the embedded runtime). */
    static List<Check> run(Endpoints endpoints, TableSelection selection, String slot, SourceRules.Flavour f, int jobs) {
        List<Check> checks = new ArrayList<>();
        int sourceVersion = 0;
        try (Connection c = endpoints.source().open("tsmigrate-check")) {
            Map<String, String> facts = sourceFacts(c, selection);
            sourceVersion = Integer.parseInt(facts.get("server_version_num"));
            checks.addAll(SourceRules.evaluate(f, facts));
        } catch (SQLException e) {
            checks.add(Check.fail("source", "connection", "cannot connect to " + endpoints.source() + ": " + e.getMessage(),
                    connectionFix(endpoints.source(), e, "--source-url", "check --source-url, the user and the password variable")));
        }
        if (endpoints.targetUrl != null) {
            String license = license(endpoints.target());
            checks.addAll(target(endpoints.target(), sourceVersion, license, slot, jobs));
            checks.addAll(edition(endpoints.source(), endpoints.target(), license));
        }
        if (endpoints.connect != null) {
            checks.addAll(connect(new ConnectClient(endpoints.connect)));
        } else {
            checks.add(embedded());
        }
        return checks;
    }

    static Map<String, String> sourceFacts(Connection c) throws SQLException {
        return sourceFacts(c, TableSelection.ALL);
    }

    /** The facts {@link SourceRules} judges, about the tables the selection covers. */
    static Map<String, String> sourceFacts(Connection c, TableSelection selection) throws SQLException {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("server_version_num", Db.one(c, "SHOW server_version_num"));
        f.put("wal_level", Db.one(c, "SHOW wal_level"));
        f.put("rds.logical_replication", Db.one(c, "SELECT current_setting('rds.logical_replication', true)"));
        f.put("max_replication_slots", Db.one(c, "SHOW max_replication_slots"));
        f.put("slots_used", Db.one(c, "SELECT count(*) FROM pg_replication_slots"));
        f.put("max_wal_senders", Db.one(c, "SHOW max_wal_senders"));
        f.put("senders_used", Db.one(c, "SELECT count(*) FROM pg_stat_replication"));
        f.put("rolreplication", Db.one(c, "SELECT rolreplication FROM pg_roles WHERE rolname = current_user"));
        f.put("rolsuper", Db.one(c, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"));
        f.put("rds_replication_member", Db.one(c, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rds_replication') "
                + "AND pg_has_role(current_user, (SELECT oid FROM pg_roles WHERE rolname = 'rds_replication'), 'member')"));
        String userTables = MigrationScope.USER_TABLES + MigrationScope.beforeBootstrap(selection).restriction(c);
        f.put("tables_without_key", lines(c, "SELECT n.nspname || '.' || cl.relname " + userTables + " AND cl.relreplident IN ('d', 'n') "
                + "AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = cl.oid AND i.indisprimary) ORDER BY 1"));
        f.put("generated_columns", lines(c, "SELECT n.nspname || '.' || cl.relname || '.' || a.attname " + userTables.replace("FROM pg_class cl",
                "FROM pg_attribute a JOIN pg_class cl ON cl.oid = a.attrelid") + " AND a.attgenerated <> '' AND NOT a.attisdropped ORDER BY 1"));
        f.put("timestamp_columns", lines(c, "SELECT n.nspname || '.' || cl.relname || '.' || a.attname " + userTables.replace("FROM pg_class cl",
                "FROM pg_attribute a JOIN pg_class cl ON cl.oid = a.attrelid") + " AND a.atttypid = 'timestamp'::regtype AND NOT a.attisdropped ORDER BY 1"));
        String columnsOf = userTables.replace("FROM pg_class cl", "FROM pg_attribute a JOIN pg_class cl ON cl.oid = a.attrelid")
                + " AND a.attnum > 0 AND NOT a.attisdropped";
        f.put("timetz_columns", lines(c, "SELECT n.nspname || '.' || cl.relname || '.' || a.attname " + columnsOf
                + " AND a.atttypid = 'timetz'::regtype ORDER BY 1"));
        f.put("quoted_tables", lines(c, "SELECT format('%I.%I', n.nspname, cl.relname) " + userTables
                + " AND (n.nspname ~ '^\"|\"$' OR cl.relname ~ '^\"|\"$') ORDER BY 1"));
        f.put("quoted_columns", lines(c, "SELECT format('%I.%I.%I', n.nspname, cl.relname, a.attname) " + columnsOf
                + " AND a.attname ~ '^\"|\"$' ORDER BY 1"));
        if (Db.one(c, "SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'") != null) {
            f.put("compressed_chunks", Db.one(c, "SELECT count(*) FROM timescaledb_information.chunks WHERE is_compressed"));
            f.put("continuous_aggregates", lines(c, "SELECT format('%I.%I', view_schema, view_name) FROM timescaledb_information.continuous_aggregates "
                    + "ORDER BY 1"));
        }
        f.put("unreadable_sequences", lines(c, io.tsmigrate.common.Sequences.UNREADABLE));
        f.put("row_security_tables", lines(c, io.tsmigrate.bootstrap.Preflight.ROW_SECURITY_HIDES));
        f.put("large_objects", Db.one(c, "SELECT count(*) FROM pg_largeobject_metadata"));
        f.put("numeric_specials", numericSpecials(c, userTables));
        return f;
    }

    private static String numericSpecials(Connection c, String userTables) throws SQLException {
        List<String> found = new ArrayList<>();
        String cols = lines(c, "SELECT quote_ident(n.nspname) || '.' || quote_ident(cl.relname) || ' ' || quote_ident(a.attname) "
                + userTables.replace("FROM pg_class cl", "FROM pg_attribute a JOIN pg_class cl ON cl.oid = a.attrelid")
                + " AND a.atttypid = 'numeric'::regtype AND NOT a.attisdropped AND pg_relation_size(cl.oid) < 1073741824 ORDER BY 1");
        for (String line : cols.isEmpty() ? new String[0] : cols.split("\n")) {
            int sp = line.lastIndexOf(' ');
            String table = line.substring(0, sp);
            String col = line.substring(sp + 1);
            if ("t".equals(Db.one(c, "SELECT EXISTS (SELECT 1 FROM " + table + " WHERE " + col + " IN ('NaN', 'Infinity', '-Infinity'))"))) {
                found.add(table + "." + col);
            }
        }
        return String.join("\n", found);
    }

    /** The target's TimescaleDB license (probed once), or null when unknown or unreachable. */
    private static String license(Db target) {
        try (Connection c = target.open("tsmigrate-check")) {
            return io.tsmigrate.bootstrap.TimescaleFeatures.probeLicense(c);
        } catch (SQLException e) {
            return null;
        }
    }

    private static List<Check> target(Db target, int sourceVersion, String license, String slot, int jobs) {
        List<Check> out = new ArrayList<>();
        try (Connection c = target.open("tsmigrate-check")) {
            int version = Integer.parseInt(Db.one(c, "SHOW server_version_num"));
            out.add(version / 10000 >= sourceVersion / 10000 ? Check.ok("target", "version", "PostgreSQL " + version / 10000)
                    : Check.fail("target", "version", "target PostgreSQL " + version / 10000 + " is older than the source (" + sourceVersion / 10000 + ")",
                            "use a target at least as new as the source"));
            String ts = Db.one(c, "SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'");
            String available = Db.one(c, "SELECT default_version FROM pg_available_extensions WHERE name = 'timescaledb'");
            if (ts == null && available == null) {
                out.add(Check.fail("target", "TimescaleDB", "not installed", "install TimescaleDB and add it to shared_preload_libraries"));
            } else {
                out.add(Check.ok("target", "TimescaleDB", ts != null ? ts : available + " (available; the bootstrap creates the extension)"));
                // Readable by superusers and pg_read_all_settings only; an extension that exists in the database is loaded already.
                String preload = ts != null ? "timescaledb" : Db.one(c, "SELECT CASE WHEN pg_has_role('pg_read_all_settings', 'USAGE') "
                        + "THEN current_setting('shared_preload_libraries') END");
                if (preload == null) {
                    out.add(Check.warn("target", "shared_preload_libraries", "not readable by this role (it needs pg_read_all_settings), and the "
                            + "database has no timescaledb extension yet", "ask the DBA to CREATE EXTENSION timescaledb in the target database"));
                } else if (!java.util.Arrays.stream(preload.split(",")).map(String::strip).anyMatch(l -> l.equals("timescaledb") || l.startsWith("timescaledb-"))) {
                    out.add(Check.fail("target", "shared_preload_libraries", "shared_preload_libraries is '" + preload + "': TimescaleDB cannot "
                            + "run without it", "ALTER SYSTEM SET shared_preload_libraries = 'timescaledb'; then restart PostgreSQL"));
                }
                if (license == null) {
                    // The setting exists once the extension's library is loaded, that is once the extension exists in the database.
                    out.add(Check.ok("target", "TimescaleDB license", "known once the extension exists in this database (the bootstrap creates it); "
                            + "the Apache edition has no compression or continuous aggregates"));
                } else if ("apache".equals(license)) {
                    out.add(Check.warn("target", "TimescaleDB license", "Apache-licensed edition: hypertables yes; compression, continuous aggregates "
                            + "and their policies are unavailable", "use the Community (TSL) edition to have them"));
                } else {
                    out.add(Check.ok("target", "TimescaleDB license", String.valueOf(license)));
                }
            }
            int max = Integer.parseInt(Db.one(c, "SHOW max_connections"));
            int used = Integer.parseInt(Db.one(c, "SELECT count(*) FROM pg_stat_activity"));
            // The bootstrap holds one connection per copy job plus its own; the sink task and cutover's checks one more each.
            int need = jobs + 2;
            out.add(max - used >= need ? Check.ok("target", "max_connections", (max - used) + " free of " + max + ", " + need + " needed with --jobs " + jobs)
                    : Check.fail("target", "max_connections", "only " + (max - used) + " free connections, " + need + " needed with --jobs " + jobs,
                    "raise max_connections on the target, or run with fewer --jobs"));
            String other = StateStore.otherMigrationSlot(c, slot);
            if (other != null) {
                out.add(Check.fail("target", "another migration", "the target database holds the bootstrap of another migration (slot " + other
                        + "); a target database takes one migration", "resume that one with its --name (or --slot " + other
                        + "), end it with tsmigrate clean under that name, or migrate into another target database"));
            }
        } catch (SQLException e) {
            out.add(Check.fail("target", "connection", "cannot connect to " + target + ": " + e.getMessage(),
                    connectionFix(target, e, "--target-url", "check --target-url")));
        }
        return out;
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

    private static String lines(Connection c, String sql) throws SQLException {
        return String.join("\n", Db.lines(c, sql));
    }
}
