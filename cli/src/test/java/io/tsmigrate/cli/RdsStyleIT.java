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
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;

import static io.tsmigrate.cli.CliIT.args;
import static io.tsmigrate.cli.CliIT.tsmigrate;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * An Amazon RDS-style source, as far as vanilla PostgreSQL can be one: TLS only (as {@code rds.force_ssl=1}),
 * {@code rds.logical_replication} as the server setting that check reads, the roles {@code rds_superuser} and
 * {@code rds_replication}, and a master user that is not a superuser: it owns the database and its tables and is a
 * member of both roles. Vanilla PostgreSQL does not grant REPLICATION through membership as RDS does, so the master
 * user carries the attribute itself; check's reading of {@code rds_replication} membership is exercised with a second
 * role that has only the membership. {@code check --flavour rds} fails until the setting is on and the role granted,
 * naming the parameter group and the GRANT; {@code migrate --flavour rds} refuses a connection weaker than
 * {@code require} before anything is copied; then migrate and cutover as the master user come out exact.
 */
@ExtendWith(ServicesExtension.class)
class RdsStyleIT {

    @Test
    @DisplayName("RDS-style source (TLS only, rds.logical_replication, rds_replication, a master user that is no superuser): check names each fix, migrate refuses sslmode=prefer, then migrates exactly")
    void migrates_from_an_rds_style_source(TestDatabases dbs) throws Exception {
        assertThat(dbs.services().natives()).as("TLS servers need the native services (the test kit starts them when no service is configured; see README)").isPresent();
        NativeServices natives = dbs.services().natives().orElseThrow();
        TlsFiles tls = TlsFiles.create(natives.sharedDir().resolve("tls-rds-" + Integer.toHexString(dbs.name().hashCode())));
        int port = dbs.services().source().port() + 25;
        natives.startExtraTlsPostgres("rdssource", port, tls.dir(), "wal_level=logical", "max_replication_slots=10", "max_wal_senders=10");
        natives.startExtraTlsPostgres("rdstarget", port + 1, tls.dir());
        try {
            try (Connection c = DriverManager.getConnection(url(port, "postgres", "postgres", tls.ca())); Statement st = c.createStatement()) {
                st.execute("CREATE ROLE rds_superuser NOLOGIN");
                st.execute("CREATE ROLE rds_replication NOLOGIN");
                st.execute("CREATE ROLE master LOGIN CREATEDB CREATEROLE REPLICATION");
                st.execute("GRANT rds_superuser, rds_replication TO master");
                st.execute("CREATE ROLE helper LOGIN");
                st.execute("CREATE DATABASE app OWNER master");
            }
            try (Connection c = DriverManager.getConnection(url(port + 1, "postgres", "postgres", tls.ca())); Statement st = c.createStatement()) {
                st.execute("CREATE DATABASE app");
            }
            String source = url(port, "app", "master", tls.ca());
            String target = url(port + 1, "app", "postgres", tls.ca());
            try (Connection c = DriverManager.getConnection(source); Statement st = c.createStatement()) {
                st.execute("CREATE TABLE orders (id bigserial PRIMARY KEY, customer int NOT NULL, total numeric(12,2), note text DEFAULT 'none')");
                st.execute("CREATE TABLE readings (at timestamptz NOT NULL, device int, value double precision)");
                st.execute("ALTER TABLE readings REPLICA IDENTITY FULL");
                st.execute("INSERT INTO orders (customer, total) SELECT i % 40, i * 1.5 FROM generate_series(1, 4000) i");
                st.execute("INSERT INTO readings SELECT '2026-01-01'::timestamptz + i * INTERVAL '1 minute', i % 9, i / 7.0 FROM generate_series(1, 3000) i");
                st.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO helper");
                st.execute("GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO helper");
            }
            List<String> connect = List.of("--connect", dbs.services().connectUrl(), "--kafka", dbs.services().kafkaBootstrap());
            List<String> ep = new java.util.ArrayList<>(List.of("--source-url", source, "--target-url", target, "--name", "rds"));
            ep.addAll(connect);

            // The parameter group's setting is off: check says which parameter and where.
            CliIT.Run off = tsmigrate(args(ep, "check", "--flavour", "rds"));
            System.out.println(off.out());
            assertThat(off.code()).isNotZero();
            assertThat(off.out()).contains("FAIL").contains("rds.logical_replication").contains("parameter group");
            try (Connection c = DriverManager.getConnection(url(port, "postgres", "postgres", tls.ca())); Statement st = c.createStatement()) {
                st.execute("ALTER SYSTEM SET rds.logical_replication = 1");
                st.execute("SELECT pg_reload_conf()");
            }
            awaitSetting(source);

            // A role without rds_replication is told to get it; with the membership check accepts it (as RDS does).
            List<String> helper = new java.util.ArrayList<>(List.of("--source-url", url(port, "app", "helper", tls.ca()), "--target-url", target,
                    "--name", "rds", "--flavour", "rds"));
            helper.addAll(connect);
            CliIT.Run noRole = tsmigrate(args(helper, "check"));
            System.out.println(noRole.out());
            assertThat(noRole.code()).isNotZero();
            assertThat(noRole.out()).contains("REPLICATION privilege").contains("GRANT rds_replication TO <user>");
            try (Connection c = DriverManager.getConnection(url(port, "postgres", "postgres", tls.ca())); Statement st = c.createStatement()) {
                st.execute("GRANT rds_replication TO helper");
            }
            CliIT.Run member = tsmigrate(args(helper, "check"));
            System.out.println(member.out());
            assertThat(member.out()).contains("rds.logical_replication").doesNotContain("GRANT rds_replication TO <user>");
            assertThat(member.out()).containsPattern("OK +source +REPLICATION privilege");

            // RDS streams over TLS: a weaker mode is refused before anything is copied.
            CliIT.Run weak = tsmigrate(args(ep, "migrate", "--flavour", "rds", "--sslmode", "prefer", "--pg-bin", dbs.services().pgBin().orElseThrow().toString()));
            System.out.println(weak.out());
            assertThat(weak.code()).isNotZero();
            assertThat(weak.out()).contains("--flavour rds streams over TLS");
            try (Connection t = DriverManager.getConnection(target); Statement st = t.createStatement()) {
                ResultSet rs = st.executeQuery("SELECT to_regclass('public.orders') IS NULL AND to_regclass('tsmigrate.bootstrap_state') IS NULL");
                rs.next();
                assertThat(rs.getBoolean(1)).as("nothing copied after the refusal").isTrue();
            }

            CliIT.Run check = tsmigrate(args(ep, "check", "--flavour", "rds"));
            System.out.println(check.out());
            assertThat(check.code()).as(check.out()).isZero();
            CliIT.Run migrate = tsmigrate(args(ep, "migrate", "--flavour", "rds", "--hypertable", "public.readings:at:1day", "--jobs", "2",
                    "--pg-bin", dbs.services().pgBin().orElseThrow().toString()));
            System.out.println(migrate.out());
            assertThat(migrate.code()).as(migrate.out()).isZero();
            try (Connection c = DriverManager.getConnection(source); Statement st = c.createStatement()) {
                st.execute("INSERT INTO orders (customer, total, note) SELECT i % 40, i, NULL FROM generate_series(1, 700) i");
                st.execute("UPDATE orders SET total = total * 2 WHERE customer = 7");
                st.execute("DELETE FROM orders WHERE customer = 8");
                st.execute("UPDATE readings SET value = -value WHERE device = 3");
                st.execute("DELETE FROM readings WHERE device = 4");
                ResultSet rs = st.executeQuery("SELECT r.usename, s.ssl FROM pg_stat_replication r JOIN pg_stat_ssl s USING (pid)");
                assertThat(rs.next()).as("Debezium streams").isTrue();
                assertThat(rs.getString(1)).isEqualTo("master");
                assertThat(rs.getBoolean(2)).as("Debezium's replication connection uses TLS").isTrue();
            }
            CliIT.Run cutover = tsmigrate(args(ep, "cutover", "--timeout", "120"));
            System.out.println(cutover.out());
            assertThat(cutover.code()).as(cutover.out()).isZero();
            try (Connection s = DriverManager.getConnection(source); Connection t = DriverManager.getConnection(target)) {
                for (String table : List.of("orders", "readings")) {
                    assertThat(Digest.table(t, "public", table)).as(table).isEqualTo(Digest.table(s, "public", table));
                }
                try (Statement st = t.createStatement(); ResultSet rs = st.executeQuery("SELECT last_value FROM orders_id_seq")) {
                    rs.next();
                    assertThat(rs.getLong(1)).as("the sequence after cutover").isEqualTo(4700);
                }
            }
            CliIT.Run clean = tsmigrate(args(ep, "clean", "--yes"));
            assertThat(clean.code()).as(clean.out()).isZero();
        } finally {
            natives.stopExtraPostgres("rdssource");
            natives.stopExtraPostgres("rdstarget");
        }
    }

    /** ALTER SYSTEM reaches new sessions after the reload; waits until a new session sees it. */
    private static void awaitSetting(String url) throws Exception {
        for (int i = 0; i < 50; i++) {
            try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT current_setting('rds.logical_replication', true)")) {
                rs.next();
                if ("1".equals(rs.getString(1))) {
                    return;
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("rds.logical_replication did not reach new sessions");
    }

    private static String url(int port, String database, String user, Path ca) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database + "?user=" + user + "&sslmode=verify-full&sslrootcert=" + ca;
    }
}
