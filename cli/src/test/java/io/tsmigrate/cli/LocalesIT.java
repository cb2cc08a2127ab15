package io.tsmigrate.cli;

import io.tsmigrate.common.Db;
import io.tsmigrate.testkit.PgEndpoint;
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
        PgEndpoint[] pair = CliIT.freshPair(dbs, "money");
        PgEndpoint src = pair[0];
        PgEndpoint tgt = pair[1];
        String slot = "mo" + Integer.toHexString(dbs.name().hashCode());
        try {
            for (PgEndpoint db : pair) {
                // initdb sets this on a server made in such a locale; every session of the database gets it.
                try (Connection c = io.tsmigrate.testkit.Services.open(db.withDatabase("postgres")); Statement st = c.createStatement()) {
                    st.execute("ALTER DATABASE " + db.database() + " SET lc_monetary = 'de_DE.UTF-8'");
                    // Verification read a backslash in a table's name as an escape: the table was "not on the target".
                    st.execute("ALTER DATABASE " + db.database() + " SET standard_conforming_strings = off");
                }
            }
            try (Connection c = io.tsmigrate.testkit.Services.open(src); Statement st = c.createStatement()) {
                assertThat(Db.one(c, "SELECT 1234.56::money::text")).isEqualTo("1.234,56 €");
                st.execute("CREATE TABLE ledger (id int PRIMARY KEY, amount money, fee money NOT NULL DEFAULT 0, note text)");
                st.execute("INSERT INTO ledger SELECT i, (i * 1234.56 - 50000)::numeric::money, (i % 7)::numeric::money, 'n' || i "
                        + "FROM generate_series(1, 1000) i");
                st.execute("CREATE TABLE \"C:\\temp\" (id int PRIMARY KEY, v text)");
                st.execute("INSERT INTO \"C:\\temp\" SELECT i, 'a' || chr(92) || 'b ' || i FROM generate_series(1, 200) i");
            }
            List<String> ep = List.of("--source-url", src.jdbcUrl(), "--target-url", tgt.jdbcUrl(), "--connect", dbs.services().connectUrl());
            List<String> named = List.of("--name", slot, "--slot", slot, "--publication", slot, "--kafka", dbs.services().kafkaBootstrap());
            CliIT.Run migrate = tsmigrate(args(ep, "migrate", Stream.concat(named.stream(),
                    Stream.of("--pg-bin", dbs.services().pgBin().orElseThrow().toString())).toArray(String[]::new)));
            assertThat(migrate.code()).as(migrate.out()).isZero();
            try (Connection c = io.tsmigrate.testkit.Services.open(src); Statement st = c.createStatement()) {
                st.execute("UPDATE ledger SET amount = amount * 3, fee = '12,50 €' WHERE id % 3 = 0");
                st.execute("INSERT INTO ledger (id, amount, note) VALUES (5004, '-98.765,43 €', 'neu'), (5002, NULL, 'leer'), (5003, '0,01 €', NULL)");
                st.execute("DELETE FROM ledger WHERE id % 10 = 1");
                st.execute("UPDATE \"C:\\temp\" SET v = v || chr(92) WHERE id % 4 = 0");
            }
            CliIT.Run cutover = tsmigrate(args(ep, "cutover", Stream.concat(named.stream(), Stream.of("--timeout", "120")).toArray(String[]::new)));
            assertThat(cutover.code()).as(cutover.out()).isZero();
            assertThat(cutover.out()).contains("target ready: 2 tables equal");
            try (Connection s = io.tsmigrate.testkit.Services.open(src); Connection t = io.tsmigrate.testkit.Services.open(tgt)) {
                assertThat(io.tsmigrate.testkit.Digest.table(t, "public", "ledger")).isEqualTo(io.tsmigrate.testkit.Digest.table(s, "public", "ledger"))
                        .startsWith("903:");
                assertThat(io.tsmigrate.testkit.Digest.table(t, "public", "C:\\temp")).isEqualTo(io.tsmigrate.testkit.Digest.table(s, "public", "C:\\temp"))
                        .startsWith("200:");
                assertThat(Db.one(t, "SELECT amount::numeric || ' ' || fee::numeric FROM ledger WHERE id = 3")).isEqualTo("-138888.96 12.50");
                assertThat(Db.one(t, "SELECT amount::numeric FROM ledger WHERE id = 5004")).isEqualTo("-98765.43");
            }
        } finally {
            tsmigrate(args(List.of("--source-url", src.jdbcUrl(), "--target-url", tgt.jdbcUrl(), "--connect", dbs.services().connectUrl()),
                    "clean", "--yes", "--name", slot, "--slot", slot, "--publication", slot));
            CliIT.dropPair(src, tgt);
        }
    }
}
