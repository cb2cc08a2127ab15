package io.tsmigrate.sink;

import io.tsmigrate.testkit.ServicesExtension;
import io.tsmigrate.testkit.TestDatabases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real pipeline (Debezium PostgreSQL source, this sink, one Connect worker) applying every kind of
 * change; each test ends with the target table's ordered digest equal to the source's.
 */
@ExtendWith(ServicesExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SinkChangesIT {

    private static final Duration WAIT = Duration.ofSeconds(90);
    private Pipeline p;

    @BeforeAll
    void start(TestDatabases dbs) {
        p = new Pipeline(dbs, "chg");
        p.start();
    }

    @AfterAll
    void stop() {
        p.stop();
    }

    @Test
    @DisplayName("inserts, updates, deletes and a truncate come out equal")
    void inserts_updates_deletes_truncate() throws Exception {
        p.both("CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, qty int, price numeric(12,2))");
        p.source("INSERT INTO items SELECT i, 'item ' || i, i % 7, i * 1.25 FROM generate_series(1, 2000) i",
                "UPDATE items SET qty = qty + 100, name = name || '!' WHERE id % 3 = 0",
                "DELETE FROM items WHERE id % 10 = 0",
                "INSERT INTO items VALUES (10, 'back again', 1, 9.99)");
        p.awaitEqual(WAIT, "items");
        p.source("TRUNCATE items", "INSERT INTO items VALUES (1, 'after truncate', 1, 1.00), (2, 'two', NULL, NULL)",
                "UPDATE items SET price = 2.50 WHERE id = 2");
        p.awaitEqual(WAIT, "items");
        assertThat(p.digests(false, "items").get("items")).startsWith("2:");
    }

    @Test
    @DisplayName("a primary key change moves the row (delete of the old key, create of the new)")
    void key_change() throws Exception {
        p.both("CREATE TABLE keyed (id int PRIMARY KEY, v text)");
        p.source("INSERT INTO keyed SELECT i, 'v' || i FROM generate_series(1, 100) i",
                "UPDATE keyed SET id = id + 1000 WHERE id <= 50",
                "UPDATE keyed SET id = 1, v = 'moved back' WHERE id = 1001");
        p.awaitEqual(WAIT, "keyed");
    }

    @Test
    @DisplayName("composite keys: updates and deletes match on every key column")
    void composite_keys() throws Exception {
        p.both("CREATE TABLE pairs (a int, b text, v numeric, PRIMARY KEY (a, b))");
        p.source("INSERT INTO pairs SELECT i % 10, 'b' || (i / 10), i FROM generate_series(0, 499) i",
                "UPDATE pairs SET v = -v WHERE a = 3",
                "DELETE FROM pairs WHERE b = 'b7'",
                "UPDATE pairs SET b = b || 'x' WHERE a = 4 AND b = 'b1'");
        p.awaitEqual(WAIT, "pairs");
    }

    @Test
    @DisplayName("a hypertable whose key includes the time column: an update that changes the time moves the row, a delete by source key finds it")
    void hypertable_time_moving_update() throws Exception {
        p.source("CREATE TABLE readings (id bigint PRIMARY KEY, ts timestamptz NOT NULL, v double precision)");
        p.target("CREATE TABLE readings (id bigint NOT NULL, ts timestamptz NOT NULL, v double precision, PRIMARY KEY (id, ts))",
                "SELECT create_hypertable('readings', by_range('ts', INTERVAL '1 day'))");
        p.source("INSERT INTO readings SELECT i, '2026-01-01'::timestamptz + i * INTERVAL '1 hour', i / 3.0 FROM generate_series(1, 500) i",
                "UPDATE readings SET ts = ts + INTERVAL '30 days' WHERE id % 5 = 0",
                "UPDATE readings SET ts = ts - INTERVAL '2 days', v = 0 WHERE id % 7 = 0",
                "DELETE FROM readings WHERE id % 11 = 0");
        p.awaitEqual(WAIT, "readings");
        try (Connection c = p.dbs.openTarget(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM show_chunks('readings')")) {
            rs.next();
            assertThat(rs.getInt(1)).isGreaterThan(20);
        }
    }

    @Test
    @DisplayName("a hypertable without any unique key takes inserts exactly once")
    void insert_only_hypertable_without_key() throws Exception {
        p.source("CREATE TABLE ticks (ts timestamptz NOT NULL, sym text, px numeric)");
        p.target("CREATE TABLE ticks (ts timestamptz NOT NULL, sym text, px numeric)",
                "SELECT create_hypertable('ticks', by_range('ts', INTERVAL '1 hour'))");
        p.source("INSERT INTO ticks SELECT '2026-03-01'::timestamptz + i * INTERVAL '1 minute', 'S' || (i % 4), i * 0.5 FROM generate_series(1, 3000) i",
                "INSERT INTO ticks SELECT '2026-03-01'::timestamptz + i * INTERVAL '1 minute', 'S' || (i % 4), i * 0.5 FROM generate_series(1, 10) i");
        p.awaitEqual(WAIT, "ticks");
    }

    @Test
    @DisplayName("unchanged TOAST values in text, jsonb and bytea keep the target's value, also in mixed batches")
    void toast_unchanged_values() throws Exception {
        p.toastedDocs(30, "UPDATE docs SET n = n + 1", "UPDATE docs SET n = n + 1, body = 'short now' WHERE id % 3 = 0",
                "UPDATE docs SET n = n * 10 WHERE id % 2 = 0");
        p.awaitEqual(WAIT, "docs");
        // The same in one source transaction: insert then placeholder updates, reduced within one batch.
        p.source("BEGIN; INSERT INTO docs SELECT i, " + Pipeline.TOASTED + ", '{\"a\": 1}', 'ab'::bytea, NULL, 0 FROM generate_series(100, 120) i; "
                + "UPDATE docs SET n = 5 WHERE id >= 100; COMMIT");
        p.awaitEqual(WAIT, "docs");
    }

    @Test
    @DisplayName("hostile identifiers (quotes, spaces, upper case, unicode, reserved words, 63-byte names) are just names")
    void hostile_identifiers() throws Exception {
        String table = "Weird \"Table\" ü select";
        String col63 = "c".repeat(63);
        String ddl = "CREATE TABLE \"Weird \"\"Table\"\" ü select\" (\"a\"\"b; drop table x --\" int PRIMARY KEY, \"select\" text, "
                + "\"Mixed Case\" int, \"" + col63 + "\" text, \"ключ\" text)";
        p.both(ddl);
        p.source("INSERT INTO \"Weird \"\"Table\"\" ü select\" SELECT i, 'tab\there', i, 'new\nline \\ back', 'ю' FROM generate_series(1, 50) i",
                "UPDATE \"Weird \"\"Table\"\" ü select\" SET \"select\" = 'quote '' and \"dq\"' WHERE \"a\"\"b; drop table x --\" < 10",
                "DELETE FROM \"Weird \"\"Table\"\" ü select\" WHERE \"a\"\"b; drop table x --\" > 45");
        p.awaitEqual(WAIT, table);
    }

    @Test
    @DisplayName("columns added on the source are added on the target with the source's types")
    void added_column() throws Exception {
        p.both("DO $$ BEGIN CREATE TYPE mood AS ENUM ('ok', 'sad'); EXCEPTION WHEN duplicate_object THEN NULL; END $$",
                "CREATE TABLE grows (id int PRIMARY KEY, a text)");
        p.source("INSERT INTO grows SELECT i, 'a' || i FROM generate_series(1, 20) i");
        p.awaitEqual(WAIT, "grows");
        p.source("ALTER TABLE grows ADD COLUMN b numeric, ADD COLUMN c timestamptz, ADD COLUMN d numeric(12,2), ADD COLUMN e varchar(20), "
                        + "ADD COLUMN f timestamptz(3), ADD COLUMN g int[], ADD COLUMN h mood, ADD COLUMN k char(3), ADD COLUMN l numeric(5,1)[]",
                "INSERT INTO grows SELECT i, 'a' || i, i / 7.0, '2026-05-05 10:00+02'::timestamptz + i * INTERVAL '1 s', i / 3.0, 'v' || i, "
                        + "'2026-05-05 10:00:00.123456+00', ARRAY[i, -i], 'sad', 'ab', ARRAY[i / 4.0] FROM generate_series(21, 40) i",
                "UPDATE grows SET b = 1.5 WHERE id = 3");
        p.awaitEqual(WAIT, "grows");
        java.util.Map<String, String> types = new java.util.TreeMap<>();
        try (java.sql.Connection t = p.dbs.openTarget(); var rs = t.createStatement().executeQuery("SELECT attname, format_type(atttypid, atttypmod) "
                + "FROM pg_attribute WHERE attrelid = 'public.grows'::regclass AND attnum > 0 AND NOT attisdropped")) {
            while (rs.next()) {
                types.put(rs.getString(1), rs.getString(2));
            }
        }
        assertThat(types).containsEntry("b", "numeric").containsEntry("c", "timestamp with time zone").containsEntry("d", "numeric(12,2)")
                .containsEntry("e", "character varying(20)").containsEntry("f", "timestamp(3) with time zone").containsEntry("g", "integer[]")
                .containsEntry("h", "mood").containsEntry("k", "character(3)").containsEntry("l", "numeric(5,1)[]");
    }
}
