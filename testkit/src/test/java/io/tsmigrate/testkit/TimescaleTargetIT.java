package io.tsmigrate.testkit;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(ServicesExtension.class)
class TimescaleTargetIT {

    @Test
    @DisplayName("the target is TimescaleDB: create_hypertable works and rows land in chunks")
    void target_makes_hypertables_with_chunks(TestDatabases dbs) throws Exception {
        try (Connection c = dbs.openTarget(); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE metrics (ts timestamptz NOT NULL, device int NOT NULL, value double precision)");
            st.execute("SELECT create_hypertable('metrics', by_range('ts', INTERVAL '1 day'))");
            st.execute("INSERT INTO metrics SELECT '2026-01-01'::timestamptz + i * INTERVAL '1 hour', i % 5, i FROM generate_series(0, 71) i");
            try (ResultSet rs = st.executeQuery("SELECT count(*) FROM show_chunks('metrics')")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(3);
            }
            try (ResultSet rs = st.executeQuery("SELECT count(*), sum(value) FROM metrics")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(72);
                assertThat(rs.getDouble(2)).isEqualTo(71 * 72 / 2.0);
            }
            try (ResultSet rs = st.executeQuery("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'")) {
                rs.next();
                assertThat(rs.getString(1)).startsWith("2.");
            }
        }
    }
}
