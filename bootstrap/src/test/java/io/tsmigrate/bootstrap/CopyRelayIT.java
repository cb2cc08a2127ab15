package io.tsmigrate.bootstrap;

import io.tsmigrate.common.Db;
import io.tsmigrate.testkit.Digest;
import io.tsmigrate.testkit.ServicesExtension;
import io.tsmigrate.testkit.TestDatabases;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The copy's relay ({@link CopyRelay}) reads CopyData off pgjdbc's stream itself and leaves every other message to
 * pgjdbc: rows of every size around and far above its buffer, NULLs in columns with defaults, notices in the middle of
 * the stream and an error in it must all come through as pgjdbc alone would pass them.
 */
@ExtendWith(ServicesExtension.class)
class CopyRelayIT {

    private static final String TABLE = """
            CREATE TABLE "Breit ü" (id int PRIMARY KEY, t text DEFAULT 'dflt', b bytea, j jsonb, a int[] DEFAULT '{1}', n numeric DEFAULT 7,
                                     d timestamptz DEFAULT now(), u text);
            """;

    /** Text rows of 65,000 to 66,200 bytes, across the relay's 64 KiB; a few of 0.3 to 1.2 MB in several types; NULLs; unicode. */
    private static final String ROWS = """
            INSERT INTO "Breit ü" (id, t, b, j, a, n, d, u)
              SELECT i, substr(repeat(md5(i::text), 2100), 1, 65000 + i), NULL, NULL, NULL, NULL, NULL, 'Grüße ' || i
              FROM generate_series(1, 1200) i;
            INSERT INTO "Breit ü" (id, t, b, j, a, n, d, u)
              SELECT 2000 + i, NULL,
                     (SELECT string_agg(decode(md5(random()::text || g), 'hex'), ''::bytea) FROM generate_series(1, 20000 * i) g),
                     (SELECT jsonb_agg(jsonb_build_object('k', g, 'v', md5(g::text))) FROM generate_series(1, 3000 * i) g),
                     (SELECT array_agg(g * i) FROM generate_series(1, 50000 * i) g),
                     (SELECT string_agg(g::text, '') FROM generate_series(1, 2000 * i) g)::numeric,
                     '1965-06-01 03:00:00.000001+02', repeat('ü', 40000 * i)
              FROM generate_series(1, 4) i;
            INSERT INTO "Breit ü" (id) SELECT 3000 + i FROM generate_series(1, 50) i;
            CREATE FUNCTION noisy(v int) RETURNS int LANGUAGE plpgsql AS $$
              BEGIN IF v % 97 = 0 THEN RAISE NOTICE 'row % passes', v; END IF; IF v = 9999 THEN RAISE EXCEPTION 'row % fails', v; END IF; RETURN v; END $$;
            """;

    @ParameterizedTest(name = "COPY format {0}")
    @ValueSource(strings = {"binary", "text"})
    @DisplayName("rows across and far above the relay's buffer, NULLs over defaults and notices mid-stream arrive exactly; an error mid-stream "
            + "fails the relay and leaves both connections usable")
    void relays_exactly(String copyFormat, TestDatabases dbs) throws Exception {
        String format = " WITH (FORMAT " + copyFormat + ")";
        try (Connection s = dbs.openSource(); Statement st = s.createStatement()) {
            st.execute("DROP TABLE IF EXISTS \"Breit ü\"; DROP FUNCTION IF EXISTS noisy(int)");
            st.execute(TABLE);
            st.execute(ROWS);
        }
        try (Connection t = dbs.openTarget(); Statement st = t.createStatement()) {
            st.execute("DROP TABLE IF EXISTS \"Breit ü\"");
            st.execute(TABLE);
        }
        String cols = "id, t, b, j, a, n, d, u";
        try (Connection src = new Db(dbs.source().jdbcUrl(), null, null).openForCopy("copy-relay-it");
             Connection tgt = dbs.openTarget()) {
            assertThat(CopyRelay.readsDirectly(src)).as("the relay reads CopyData itself with this pgjdbc").isTrue();
            tgt.setAutoCommit(false);
            AtomicLong moved = new AtomicLong();
            long rows = CopyRelay.stream(src, tgt, "COPY (SELECT noisy(id), t, b, j, a, n, d, u FROM \"Breit ü\") TO STDOUT" + format,
                    "COPY \"Breit ü\" (" + cols + ") FROM STDIN" + format, moved::addAndGet);
            tgt.commit();
            assertThat(rows).isEqualTo(1254);
            assertThat(moved.get()).as("bytes reported").isGreaterThan(1200L * 65000);
            java.sql.SQLWarning notices = src.getWarnings();
            assertThat(notices != null && notices.getMessage().contains("passes")).as("the source's notices reached pgjdbc").isTrue();

            try (Statement st = src.createStatement()) {
                st.execute("INSERT INTO \"Breit ü\" (id, t) VALUES (9999, repeat('z', 70000))");
            }
            assertThatThrownBy(() -> CopyRelay.stream(src, tgt, "COPY (SELECT noisy(id), t, b, j, a, n, d, u FROM \"Breit ü\" ORDER BY id) TO STDOUT"
                    + format, "COPY \"Breit ü\" (" + cols + ") FROM STDIN" + format, b -> { })).isInstanceOf(SQLException.class)
                    .hasMessageContaining("row 9999 fails");
            tgt.rollback();
            try (Statement st = src.createStatement()) {
                st.execute("DELETE FROM \"Breit ü\" WHERE id = 9999");
            }
            assertThat(one(src, "SELECT 1")).as("the source connection after the failed copy").isEqualTo(1);
            assertThat(one(tgt, "SELECT count(*) FROM \"Breit ü\"")).as("the target still holds the first copy only").isEqualTo(1254);
        }
        try (Connection s = dbs.openSource(); Connection t = dbs.openTarget()) {
            assertThat(Digest.table(t, "public", "Breit ü")).isEqualTo(Digest.table(s, "public", "Breit ü"));
            assertThat(one(t, "SELECT count(*) FROM \"Breit ü\" WHERE b IS NULL AND a IS NULL AND n IS NULL AND d IS NULL"))
                    .as("NULLs stay NULL over the columns' defaults").isEqualTo(1200);
            assertThat(one(t, "SELECT count(*) FROM \"Breit ü\" WHERE t = 'dflt' AND a = '{1}' AND n = 7")).as("defaults as the source made them")
                    .isEqualTo(50);
            assertThat(one(t, "SELECT count(*) FROM \"Breit ü\" WHERE octet_length(t) > 65536")).as("rows longer than the relay's buffer")
                    .isEqualTo(1200 - 536);
        }
    }

    private static long one(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
