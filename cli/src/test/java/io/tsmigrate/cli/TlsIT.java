package io.tsmigrate.cli;

import io.tsmigrate.testkit.Digest;
import io.tsmigrate.testkit.NativeServices;
import io.tsmigrate.testkit.ServicesExtension;
import io.tsmigrate.testkit.TestDatabases;
import io.tsmigrate.testkit.TlsFiles;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;

import static io.tsmigrate.cli.CliIT.tsmigrate;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A source and a target that take TLS connections only (pg_hba {@code hostssl}), with a CA and server certificate
 * made by the test: {@code sslmode=verify-full} with {@code sslrootcert} in the URLs carries every connection
 * (tsmigrate's, pg_dump's and psql's in the bootstrap, Debezium's replication stream, the sink's), and a wrong CA
 * is refused before anything is copied.
 */
@ExtendWith(ServicesExtension.class)
class TlsIT {

    @Test
    @DisplayName("verify-full with sslrootcert: migrate and cutover over TLS only, exact; a wrong CA is refused by check, naming the fix")
    void migrates_over_verify_full(TestDatabases dbs) throws Exception {
        assertThat(dbs.services().natives()).as("TLS servers need the native services (the test kit starts them when no service is configured; see README)").isPresent();
        NativeServices natives = dbs.services().natives().orElseThrow();
        TlsFiles tls = TlsFiles.create(natives.sharedDir().resolve("tls-" + Integer.toHexString(dbs.name().hashCode())));
        int port = dbs.services().source().port() + 21;
        natives.startExtraTlsPostgres("tlssource", port, tls.dir(), "wal_level=logical", "max_replication_slots=10", "max_wal_senders=10");
        natives.startExtraTlsPostgres("tlstarget", port + 1, tls.dir());
        String source = url(port, "app", tls.ca());
        String target = url(port + 1, "app", tls.ca());
        try {
            for (int p : new int[] {port, port + 1}) {
                try (Connection c = DriverManager.getConnection(url(p, "postgres", tls.ca())); Statement st = c.createStatement()) {
                    st.execute("CREATE DATABASE app");
                }
            }
            try (Connection c = DriverManager.getConnection(source); Statement st = c.createStatement()) {
                st.execute("CREATE TABLE orders (id int PRIMARY KEY, note text, at timestamptz NOT NULL DEFAULT now())");
                st.execute("CREATE TABLE log (at timestamptz NOT NULL, msg text)");
                st.execute("INSERT INTO orders SELECT i, 'o' || i FROM generate_series(1, 5000) i");
                st.execute("INSERT INTO log SELECT now(), 'l' || i FROM generate_series(1, 3000) i");
            }
            // Without TLS the servers refuse: what follows cannot have gone in clear.
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> DriverManager.getConnection(
                    "jdbc:postgresql://127.0.0.1:" + port + "/app?user=postgres&sslmode=disable")).hasMessageContaining("no encryption");

            String wrong = url(port, "app", tls.otherCa());
            CliIT.Run refused = tsmigrate("check", "--source-url", wrong, "--target-url", target, "--connect", dbs.services().connectUrl());
            System.out.println(refused.out());
            assertThat(refused.code()).isNotZero();
            assertThat(refused.out()).contains("connection").contains("sslrootcert").contains(tls.otherCa().toString());

            List<String> ep = List.of("--source-url", source, "--target-url", target, "--connect", dbs.services().connectUrl(),
                    "--kafka", dbs.services().kafkaBootstrap(), "--name", "tls");
            CliIT.Run migrate = tsmigrate(CliIT.args(ep, "migrate", "--hypertable", "public.log:at:1day", "--jobs", "2",
                    "--pg-bin", dbs.services().pgBin().orElseThrow().toString()));
            System.out.println(migrate.out());
            assertThat(migrate.code()).as(migrate.out()).isZero();
            try (Connection c = DriverManager.getConnection(source); Statement st = c.createStatement()) {
                st.execute("UPDATE orders SET note = 'changed' WHERE id % 3 = 0");
                st.execute("INSERT INTO log SELECT '2026-01-01', 'x' || i FROM generate_series(1, 2000) i");
                var rs = st.executeQuery("SELECT count(*) FROM pg_stat_replication r JOIN pg_stat_ssl s USING (pid) WHERE s.ssl");
                rs.next();
                assertThat(rs.getInt(1)).as("Debezium's replication connection uses TLS").isEqualTo(1);
            }
            CliIT.Run cutover = tsmigrate(CliIT.args(ep, "cutover", "--timeout", "120"));
            System.out.println(cutover.out());
            assertThat(cutover.code()).as(cutover.out()).isZero();
            assertThat(cutover.out()).containsPattern("target ready: 2 tables equal");
            try (Connection s = DriverManager.getConnection(source); Connection t = DriverManager.getConnection(target)) {
                for (String table : List.of("orders", "log")) {
                    assertThat(Digest.table(t, "public", table)).as(table).isEqualTo(Digest.table(s, "public", table));
                }
            }
            CliIT.Run clean = tsmigrate(CliIT.args(ep, "clean", "--yes"));
            assertThat(clean.code()).as(clean.out()).isZero();
        } finally {
            natives.stopExtraPostgres("tlssource");
            natives.stopExtraPostgres("tlstarget");
        }
    }

    private static String url(int port, String database, Path ca) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database + "?user=postgres&sslmode=verify-full&sslrootcert=" + ca;
    }
}
