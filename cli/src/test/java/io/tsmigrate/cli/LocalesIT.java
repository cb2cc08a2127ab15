package io.tsmigrate.cli;

import io.tsmigrate.common.Db;
import io.tsmigrate.testkit.Digest;
import io.tsmigrate.testkit.PgEndpoint;
import io.tsmigrate.testkit.Services;
import io.tsmigrate.testkit.ServicesExtension;
import io.tsmigrate.testkit.TestDatabases;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.stream.Stream;

import static io.tsmigrate.cli.CliIT.args;
import static io.tsmigrate.cli.CliIT.tsmigrate;
import static org.assertj.core.api.Assertions.assertThat;

/** Databases whose own settings change how values print and literals parse, migrated with the shipped templates. */
@ExtendWith(ServicesExtension.class)
class LocalesIT {

    @Test
    @DisplayName("source and target databases in a European lc_monetary (money prints 1.234,56 €) and, as older applications keep them, "
            + "standard_conforming_strings off: money and a table named with a backslash copied, streamed and verified equal")
    void money_in_a_european_locale(TestDatabases dbs) throws Exception {
        withMigration(dbs, "mo", m -> {
            for (PgEndpoint db : List.of(m.src(), m.tgt())) {
                // initdb sets this on a server made in such a locale; every session of the database gets it.
                try (Connection c = Services.open(db.withDatabase("postgres")); Statement st = c.createStatement()) {
                    st.execute("ALTER DATABASE " + db.database() + " SET lc_monetary = 'de_DE.UTF-8'");
                    // Verification read a backslash in a table's name as an escape: the table was "not on the target".
                    st.execute("ALTER DATABASE " + db.database() + " SET standard_conforming_strings = off");
                }
            }
            try (Connection c = Services.open(m.src()); Statement st = c.createStatement()) {
                assertThat(Db.one(c, "SELECT 1234.56::money::text")).isEqualTo("1.234,56 €");
                st.execute("CREATE TABLE ledger (id int PRIMARY KEY, amount money, fee money NOT NULL DEFAULT 0, note text)");
                st.execute("INSERT INTO ledger SELECT i, (i * 1234.56 - 50000)::numeric::money, (i % 7)::numeric::money, 'n' || i "
                        + "FROM generate_series(1, 1000) i");
                st.execute("CREATE TABLE \"C:\\temp\" (id int PRIMARY KEY, v text)");
                st.execute("INSERT INTO \"C:\\temp\" SELECT i, 'a' || chr(92) || 'b ' || i FROM generate_series(1, 200) i");
            }
            CliIT.Run migrate = m.run(dbs, "migrate");
            assertThat(migrate.code()).as(migrate.out()).isZero();
            try (Connection c = Services.open(m.src()); Statement st = c.createStatement()) {
                st.execute("UPDATE ledger SET amount = amount * 3, fee = '12,50 €' WHERE id % 3 = 0");
                st.execute("INSERT INTO ledger (id, amount, note) VALUES (5004, '-98.765,43 €', 'neu'), (5002, NULL, 'leer'), (5003, '0,01 €', NULL)");
                st.execute("DELETE FROM ledger WHERE id % 10 = 1");
                st.execute("UPDATE \"C:\\temp\" SET v = v || chr(92) WHERE id % 4 = 0");
            }
            CliIT.Run cutover = m.run(dbs, "cutover", "--timeout", "120");
            assertThat(cutover.code()).as(cutover.out()).isZero();
            assertThat(cutover.out()).contains("target ready: 2 tables equal");
            try (Connection s = Services.open(m.src()); Connection t = Services.open(m.tgt())) {
                assertThat(Digest.table(t, "public", "ledger")).isEqualTo(Digest.table(s, "public", "ledger")).startsWith("903:");
                assertThat(Digest.table(t, "public", "C:\\temp")).isEqualTo(Digest.table(s, "public", "C:\\temp")).startsWith("200:");
                assertThat(Db.one(t, "SELECT amount::numeric || ' ' || fee::numeric FROM ledger WHERE id = 3")).isEqualTo("-138888.96 12.50");
                assertThat(Db.one(t, "SELECT amount::numeric FROM ledger WHERE id = 5004")).isEqualTo("-98765.43");
            }
        });
    }

    @Test
    @DisplayName("a column in a collation of the source server's locales (de_DE.utf8) that the target database lacks: check and migrate "
            + "refuse before copying, naming it and the fix; once imported on the target, migrated equal")
    void a_collation_the_target_lacks(TestDatabases dbs) throws Exception {
        withMigration(dbs, "co", m -> {
            try (Connection c = Services.open(m.src()); Statement st = c.createStatement()) {
                st.execute("SELECT pg_import_system_collations('pg_catalog')");
                st.execute("CREATE TABLE names (id int PRIMARY KEY, n text COLLATE \"de_DE.utf8\")");
                st.execute("INSERT INTO names SELECT i, 'Straße ' || i FROM generate_series(1, 300) i");
            }
            // A target server made without that locale: a server made with it (initdb imports them) has it in every database.
            try (Connection c = Services.open(m.tgt()); Statement st = c.createStatement()) {
                st.execute("DROP COLLATION IF EXISTS pg_catalog.\"de_DE.utf8\"");
            }
            CliIT.Run refused = m.run(dbs, "migrate");
            assertThat(refused.code()).as(refused.out()).isNotZero();
            assertThat(refused.out()).contains("FAIL target   collations").contains("pg_catalog.\"de_DE.utf8\" (used by public.names.n)")
                    .contains("pg_import_system_collations");
            try (Connection c = Services.open(m.src())) {
                assertThat(Db.one(c, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + m.slot() + "'")).isEqualTo("0");
            }
            try (Connection c = Services.open(m.tgt()); Statement st = c.createStatement()) {
                st.execute("SELECT pg_import_system_collations('pg_catalog')");
            }
            CliIT.Run migrate = m.run(dbs, "migrate");
            assertThat(migrate.code()).as(migrate.out()).isZero();
            try (Connection s = Services.open(m.src()); Connection t = Services.open(m.tgt())) {
                assertThat(Digest.table(t, "public", "names")).isEqualTo(Digest.table(s, "public", "names"));
                assertThat(Db.one(t, "SELECT collation_name FROM information_schema.columns WHERE table_name = 'names' AND column_name = 'n'"))
                        .isEqualTo("de_DE.utf8");
            }
        });
    }

    /** One test's migration: a fresh database pair and the names its commands take. */
    private record Migration(PgEndpoint src, PgEndpoint tgt, String slot) {

        List<String> endpoints(TestDatabases dbs) {
            return List.of("--source-url", src.jdbcUrl(), "--target-url", tgt.jdbcUrl(), "--connect", dbs.services().connectUrl());
        }

        /** Runs a tsmigrate command on this migration (migrate also gets --pg-bin). */
        CliIT.Run run(TestDatabases dbs, String command, String... more) {
            Stream<String> named = Stream.of("--name", slot, "--slot", slot, "--publication", slot, "--kafka", dbs.services().kafkaBootstrap());
            Stream<String> pgBin = "migrate".equals(command) ? Stream.of("--pg-bin", dbs.services().pgBin().orElseThrow().toString()) : Stream.of();
            return tsmigrate(args(endpoints(dbs), command, Stream.of(named, pgBin, Stream.of(more)).flatMap(s -> s).toArray(String[]::new)));
        }
    }

    private interface MigrationTest {
        void run(Migration m) throws Exception;
    }

    /** Runs {@code test} on a fresh database pair, then cleans the migration up and drops the pair. */
    private static void withMigration(TestDatabases dbs, String prefix, MigrationTest test) throws Exception {
        PgEndpoint[] pair = CliIT.freshPair(dbs, prefix);
        Migration m = new Migration(pair[0], pair[1], prefix + Integer.toHexString(dbs.name().hashCode()));
        try {
            test.run(m);
        } finally {
            tsmigrate(args(m.endpoints(dbs), "clean", "--yes", "--name", m.slot(), "--slot", m.slot(), "--publication", m.slot()));
            CliIT.dropPair(pair[0], pair[1]);
        }
    }
}
