package io.tsmigrate.bootstrap;

import io.tsmigrate.common.Check;
import io.tsmigrate.common.Db;
import io.tsmigrate.common.SourceFacts;
import io.tsmigrate.common.StateStore;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The one definition of what a target needs for a migration: a PostgreSQL at least as new as the source, TimescaleDB
 * installed and preloaded, its license, free connections for the copy jobs, and no other migration's bootstrap in the
 * database. {@code tsmigrate check} and the bootstrap both judge a target with it. Reads only.
 */
public final class TargetChecks {

    private TargetChecks() {
    }

    /**
     * @param c             a connection to the target database
     * @param sourceVersion the source's server_version_num (0 when unknown)
     * @param license       the target's TimescaleDB license ({@link TimescaleFeatures#probeLicense}), null when unknown
     * @param slot          the migration's slot name, which names its bootstrap state
     * @param jobs          the bootstrap's copy jobs ({@code --jobs})
     * @param indexJobs     its index jobs ({@code --index-jobs})
     * @param facts         the source's facts ({@link io.tsmigrate.common.SourceFacts}): its version, the migrated tables'
     *                      triggers ("table trigger") and those under FORCE ROW LEVEL SECURITY
     */
    public static List<Check> evaluate(Connection c, Map<String, String> facts, String license, String slot, int jobs, int indexJobs)
            throws SQLException {
        int sourceVersion = Integer.parseInt(facts.getOrDefault("server_version_num", "0"));
        List<String> triggers = SourceFacts.list(facts, "user_triggers");
        List<Check> out = new ArrayList<>();
        // Each copy job holds a connection and, for hypertables copied straight into chunks, one that makes the chunks;
        // the index jobs build beside the copy; the bootstrap's own connection, and one for the sink task or cutover's checks.
        int connections = 2 * jobs + indexJobs + 2;
        String why = "with --jobs " + jobs + " and --index-jobs " + indexJobs;
        int version = Integer.parseInt(Db.one(c, "SHOW server_version_num"));
        out.add(version / 10000 >= sourceVersion / 10000 ? Check.ok("target", "version", "PostgreSQL " + version / 10000)
                : Check.fail("target", "version", "target PostgreSQL " + version / 10000 + " is older than the source (" + sourceVersion / 10000 + ")",
                        "use a target at least as new as the source"));
        out.addAll(timescale(c, license));
        int max = Integer.parseInt(Db.one(c, "SHOW max_connections"));
        int used = Integer.parseInt(Db.one(c, "SELECT count(*) FROM pg_stat_activity"));
        out.add(max - used >= connections ? Check.ok("target", "max_connections", (max - used) + " free of " + max + ", " + connections + " needed " + why)
                : Check.fail("target", "max_connections", "only " + (max - used) + " free connections (max_connections=" + max + "), " + connections
                        + " needed " + why, "raise max_connections on the target, or run with fewer --jobs"));
        if (!triggers.isEmpty()) {
            out.add(triggers(c, triggers));
        }
        List<String> lacking = new ArrayList<>();
        for (String line : SourceFacts.list(facts, "system_collations")) {
            String[] parts = line.split("\t");
            if (Db.one(c, "SELECT to_regcollation(" + io.tsmigrate.common.Ident.literal(parts[0]) + ")") == null) {
                lacking.add(parts[0] + " (used by " + parts[1] + ")");
            }
        }
        if (!lacking.isEmpty()) {
            out.add(Check.fail("target", "collations", "the target database lacks collation(s) " + String.join(", ", lacking) + " of the source's "
                    + "operating system locales; the schema copy would stop on them", "install the same locales on the target server and run "
                    + "SELECT pg_import_system_collations('pg_catalog') in the target database, or create each one there (for example with "
                    + "ICU: CREATE COLLATION pg_catalog.\"de_DE.utf8\" (provider = icu, locale = 'de-DE'))"));
        }
        List<String> forced = SourceFacts.list(facts, "forced_row_security_tables");
        if (!forced.isEmpty() && "f".equals(Db.one(c, "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user"))) {
            out.add(Check.fail("target", "row-level security", "FORCE ROW LEVEL SECURITY on " + String.join(", ", forced) + " comes with the "
                    + "schema copy and binds the table's owner too: on the target the policies would refuse or hide rows from the sink's writes "
                    + "and from verify", "as a superuser on the target: ALTER ROLE <the target user> BYPASSRLS"));
        }
        String other = StateStore.otherMigrationSlot(c, slot);
        if (other != null) {
            out.add(Check.fail("target", "another migration", "the target database holds the bootstrap of another migration (slot " + other
                    + "); a target database takes one migration", "resume that one with its --name (or --slot " + other
                    + "), end it with tsmigrate clean under that name, or migrate into another target database"));
        }
        return out;
    }

    /**
     * The source's triggers come with the schema copy. The sink applies with {@code session_replication_role=replica}
     * when the target role may set it, and then they do not fire; otherwise each fires on the target for every
     * streamed change, and one that stamps a column or writes another table makes the target differ from the source.
     */
    private static Check triggers(Connection c, List<String> triggers) throws SQLException {
        boolean replica = TargetTriggers.sinkIsReplica(c);
        String which = triggers.size() + " trigger(s) of the migrated tables (" + String.join(", ", triggers.stream().limit(5).toList())
                + (triggers.size() > 5 ? ", ..." : "") + ")";
        return replica ? Check.ok("target", "triggers", which + " stay quiet while the sink applies (session_replication_role=replica)")
                : Check.warn("target", "triggers", "the target role may not set session_replication_role, so the sink applies with triggers on: "
                        + "the bootstrap disables " + which + " on the target until cutover, but TimescaleDB does not let a hypertable's "
                        + "triggers be disabled: those fire on the target for every streamed change, and one that stamps a column or writes "
                        + "another table makes the target differ from the source",
                "as a superuser: GRANT SET ON PARAMETER session_replication_role TO <the target user> (PostgreSQL 15+)");
    }

    private static List<Check> timescale(Connection c, String license) throws SQLException {
        List<Check> out = new ArrayList<>();
        String ts = Db.one(c, "SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'");
        String available = Db.one(c, "SELECT default_version FROM pg_available_extensions WHERE name = 'timescaledb'");
        if (ts == null && available == null) {
            out.add(Check.fail("target", "TimescaleDB", "not installed", "install TimescaleDB and add it to shared_preload_libraries"));
            return out;
        }
        out.add(Check.ok("target", "TimescaleDB", ts != null ? ts : available + " (available; the bootstrap creates the extension)"));
        // Readable by superusers and pg_read_all_settings only; an extension that exists in the database is loaded already.
        String preload = ts != null ? "timescaledb" : Db.one(c, "SELECT CASE WHEN pg_has_role('pg_read_all_settings', 'USAGE') "
                + "THEN current_setting('shared_preload_libraries') END");
        if (preload == null) {
            out.add(Check.warn("target", "shared_preload_libraries", "not readable by this role (it needs pg_read_all_settings), and the "
                    + "database has no timescaledb extension yet", "ask the DBA to CREATE EXTENSION timescaledb in the target database"));
        } else if (Arrays.stream(preload.split(",")).map(String::strip).noneMatch(l -> l.equals("timescaledb") || l.startsWith("timescaledb-"))) {
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
            out.add(Check.ok("target", "TimescaleDB license", license));
        }
        return out;
    }
}
