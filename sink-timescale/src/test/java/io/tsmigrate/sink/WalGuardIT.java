package io.tsmigrate.sink;

import io.tsmigrate.testkit.PgEndpoint;
import io.tsmigrate.testkit.Services;
import io.tsmigrate.testkit.ServicesExtension;
import io.tsmigrate.testkit.TestDatabases;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The slot of a migration whose tables are idle moves on while another database of the same server writes: the
 * source template's heartbeat writes a WAL message into the migrated database, which Debezium reads back and
 * confirms, so the server releases WAL. Without it pgoutput sends the slot nothing and it keeps all WAL written since.
 */
@ExtendWith(ServicesExtension.class)
class WalGuardIT {

    private static final long MB = 1024 * 1024;

    @Test
    @DisplayName("migrated tables idle, another database writes 200 MB of WAL: the slot keeps less than 32 MB within 30 s")
    void slot_moves_while_the_migrated_tables_are_idle(TestDatabases dbs) throws Exception {
        Pipeline p = new Pipeline(dbs, "walguard");
        p.source("CREATE TABLE IF NOT EXISTS quiet (id int PRIMARY KEY, v text)");
        Map<String, String> source = p.sourceConfig();
        source.put("snapshot.mode", "no_data");
        if (Boolean.getBoolean("tsmigrate.it.noHeartbeatAction")) {
            // What the slot does without the template's heartbeat query (the test then fails).
            source.remove("heartbeat.action.query");
        }
        p.startSource(source);
        String slot = source.get("slot.name");
        p.source("INSERT INTO quiet VALUES (1, 'one')");
        PgEndpoint other = dbs.source().withDatabase("walguard_" + Integer.toHexString(dbs.name().hashCode()));
        try (Connection admin = Services.open(dbs.source().withDatabase("postgres")); Statement st = admin.createStatement()) {
            st.execute("DROP DATABASE IF EXISTS " + other.database() + " WITH (FORCE)");
            st.execute("CREATE DATABASE " + other.database());
        }
        try {
            String before = currentLsn(dbs);
            try (Connection c = Services.open(other); Statement st = c.createStatement()) {
                st.execute("CREATE TABLE busy (id bigint, pad text)");
                for (int i = 0; i < 10; i++) {
                    st.execute("INSERT INTO busy SELECT g, repeat('x', 200) FROM generate_series(1, 100000) g");
                }
            }
            long written;
            try (Connection c = dbs.openSource()) {
                try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '" + before + "')::bigint")) {
                    rs.next();
                    written = rs.getLong(1);
                }
                System.out.println("[WalGuardIT] the other database wrote " + written / MB + " MB of WAL; the slot holds " + retained(c, slot) / MB + " MB");
                // The slot's restart point moves once Debezium has confirmed a heartbeat's position (one heartbeat
                // interval, 5 s, plus the worker's offset commit) and PostgreSQL has logged its running transactions
                // after it (every 15 s at most): allow a minute.
                long deadline = System.nanoTime() + 60_000_000_000L;
                long kept = retained(c, slot);
                while (System.nanoTime() < deadline && kept >= 32 * MB) {
                    Thread.sleep(1000);
                    kept = retained(c, slot);
                }
                System.out.println("[WalGuardIT] retained after the heartbeats: " + kept / 1024 + " kB");
                assertThat(written).as("the other database wrote WAL past the slot").isGreaterThan(100 * MB);
                assertThat(kept).as("WAL the slot still holds; slot and oldest transactions: %s", diagnosis(c, slot)).isLessThan(32 * MB);
            }
        } finally {
            p.stop();
            try (Connection admin = Services.open(dbs.source().withDatabase("postgres")); Statement st = admin.createStatement()) {
                st.execute("DROP DATABASE IF EXISTS " + other.database() + " WITH (FORCE)");
            }
        }
    }

    private static String currentLsn(TestDatabases dbs) throws SQLException {
        try (Connection c = dbs.openSource(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_current_wal_lsn()::text")) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static String diagnosis(Connection c, String slot) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT (SELECT row(restart_lsn, confirmed_flush_lsn, active)::text "
                + "FROM pg_replication_slots WHERE slot_name = '" + slot + "') || ' ' || coalesce((SELECT string_agg(datname || ':' || "
                + "coalesce(application_name, '') || ':' || state || ':' || (now() - xact_start)::text, ', ') FROM pg_stat_activity "
                + "WHERE xact_start < now() - INTERVAL '20 seconds' AND pid <> pg_backend_pid()), 'none')")) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static long retained(Connection c, String slot) throws SQLException {
        try (var ps = c.prepareStatement("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint FROM pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).as("slot " + slot).isTrue();
                return rs.getLong(1);
            }
        }
    }
}
