package io.tsmigrate.sink;

import io.tsmigrate.testkit.ServicesExtension;
import io.tsmigrate.testkit.TestDatabases;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.util.Map;

/**
 * Every PostgreSQL type Debezium emits, through the real pipeline, in several Debezium value modes; the
 * target's text rendering of every row must equal the source's. Modes that lose precision by design
 * (numeric as double, time as milliseconds, intervals with months as microseconds) get only the rows they
 * can carry exactly. Debezium itself normalises timetz to UTC (the original offset is lost before the sink
 * sees it), sends BC dates as AD ones, and numeric NaN and infinities as null in precise mode, so those values are tested where
 * Debezium carries them.
 */
@ExtendWith(ServicesExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AllTypesIT {

    private TestDatabases dbs;

    private static final String DDL = """
            CREATE TABLE %s (
              id int PRIMARY KEY,
              c_smallint smallint, c_int int, c_bigint bigint,
              c_numeric numeric, c_numeric_fixed numeric(14,4), c_real real, c_double double precision,
              c_bool boolean, c_text text, c_varchar varchar(20), c_char char(5), c_bytea bytea,
              c_date date, c_time time, c_timetz timetz, c_ts timestamp, c_tstz timestamptz, c_ts0 timestamp(0), c_interval interval,
              c_uuid uuid, c_json json, c_jsonb jsonb, c_xml xml, c_inet inet, c_cidr cidr, c_macaddr macaddr,
              c_int_arr int[], c_text_arr text[], c_mood mood, c_hstore hstore,
              c_bit bit(4), c_varbit varbit(10), c_bit1 bit(1), c_money money,
              c_int4range int4range, c_tstzrange tstzrange, c_numrange numrange, c_point point, c_ltree_like text
            )""";

    /** Values every mode carries exactly: binary-exact numbers, millisecond times, intervals without months. */
    private static final String PORTABLE_ROWS = """
            INSERT INTO %s VALUES
            (1, -32768, 2147483647, -9223372036854775808, 12.5, 1234567890.1250, 1.5, -2.25,
             true, 'plain text', 'varchar', 'ab', '\\xdeadbeef',
             '2026-11-26', '13:14:15.123', '13:14:15.123+00', '2026-11-26 13:14:15.123', '2026-11-26 13:14:15.123+01', '2026-11-26 13:14:15',
             '3 days 04:05:06.789',
             'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": [1, 2, {"b": null}]}', '{"k": "v", "n": 1.5}', '<a x="1">t</a>',
             '192.168.1.10/24', '10.0.0.0/8', '08:00:2b:01:02:03',
             '{1,NULL,3}', '{"a b","c,d","e\\"f",NULL,"NULL",""}', 'happy', '"k1"=>"v1", "k 2"=>NULL',
             B'1010', B'101', B'1', 12.34,
             '[1,10)', '[2026-01-01 00:00+00,2026-02-01 00:00+00)', '(1.5,2.5]', '(1.5,-2.25)', 'a.b.c'),
            (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
             NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
            (3, 0, 0, 0, -0.5, 0, 'Infinity', '-Infinity', false, '', 'tab\tnew\nline\\back', '', '\\x',
             '0001-01-01', '00:00:00', '23:59:59.999+00', '0001-01-01 00:00:00', '9999-12-31 23:59:59.999+00', '1970-01-01 00:00:00',
             '-1 days -00:00:01.5',
             '00000000-0000-0000-0000-000000000000', '[]', '{}', '<empty/>', '::1', '2001:db8::/32', 'ff:ff:ff:ff:ff:ff',
             '{}', '{}', 'sad', '', B'0000', B'', B'0', -0.01,
             'empty', '(,)', '[-1,)', '(0,0)', ''),
            (4, 1, 2, 3, 4, 5, 'NaN', 'NaN', true, 'ü ✓ 𝄞', 'x', 'xyzzy', '\\x00ff',
             '9999-12-31', '23:59:59', '00:00:00+00', '9999-12-31 23:59:59.999', '2000-02-29 12:00:00-08', '2000-01-01 00:00:00',
             '00:00:00',
             'ffffffff-ffff-ffff-ffff-ffffffffffff', 'null', '"str"', '<a/>', '0.0.0.0', '0.0.0.0/0', '00:00:00:00:00:00',
             '{-1}', '{"{}","\\\\"}', 'ok', '"a"=>"b\\"c"', B'1111', B'1111111111', B'1', 0,
             '[0,1)', '[2000-01-01 00:00+00,infinity)', '[0,0]', '(1e-3,2e10)', 'x')""";

    /** Values only exact modes carry: microseconds, big and precise numerics, numeric NaN/Infinity, months, infinities. */
    private static final String EXACT_ROWS = """
            INSERT INTO %s (id, c_numeric, c_numeric_fixed, c_double, c_time, c_timetz, c_ts, c_tstz, c_interval, c_date, c_real) VALUES
            (10, 123456789012345678901234567890.123456789, -9999999999.9999, 0.1, '01:02:03.456789', '01:02:03.456789+00',
             '2026-11-26 01:02:03.456789', '2026-11-26 01:02:03.456789+05:30', '1 year 2 mons 3 days 04:05:06.789012', '2026-02-28', 0.1),
            (11, 0, NULL, 1e-300, '23:59:59.999999', NULL, 'infinity', '-infinity', '-1 year -2 mons +3 days', 'infinity', 3.4e38),
            (12, 1, NULL, 1.7976931348623157e308, NULL, NULL, '-infinity', 'infinity', '1 mon', '-infinity', -1e-30),
            (13, -1, 0.0001, -4.9e-324, NULL, NULL, '1999-12-31 23:59:59.999999', '1999-12-31 23:59:59.999999+00', '100 years', '1999-01-01', 1),
            (14, 0.000000000000000000000000000001, NULL, NULL, NULL, NULL, '0001-01-01 00:00:00.000001', '0001-01-01 00:00:00.000001+00', NULL, '2000-01-01', NULL)""";

    @BeforeAll
    void schema(TestDatabases dbs) throws Exception {
        this.dbs = dbs;
        Pipeline p = new Pipeline(dbs, "types");
        p.both("CREATE EXTENSION IF NOT EXISTS hstore", "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')");
    }

    @ParameterizedTest(name = "decimal.handling.mode={0}, time.precision.mode={1}, interval.handling.mode={2}, exact rows: {3}")
    @CsvSource({
        "precise, adaptive, numeric, false",
        "string, adaptive_time_microseconds, string, true",
        "precise, adaptive_time_microseconds, string, true",
        "double, connect, numeric, false",
        "string, isostring, string, true",
    })
    void every_type_round_trips(String decimalMode, String timeMode, String intervalMode, boolean exact) throws Exception {
        String table = "types_" + decimalMode + "_" + timeMode + "_" + intervalMode;
        Pipeline p = new Pipeline(dbs, "t" + Integer.toHexString(table.hashCode()));
        p.both(DDL.formatted(table));
        p.source(PORTABLE_ROWS.formatted(table));
        if (exact) {
            p.source(EXACT_ROWS.formatted(table));
            if (!"precise".equals(decimalMode)) {
                p.source("INSERT INTO " + table + " (id, c_numeric) VALUES (20, 'NaN'), (21, '-Infinity'), (22, 'Infinity')");
            }
            if (!"isostring".equals(timeMode)) {
                // isostring drops the era of BC timestamps and turns 24:00:00 into 00:00:00 (Debezium 3.6.1).
                p.source("INSERT INTO " + table + " (id, c_ts, c_time) VALUES (30, '0044-03-15 12:00:00 BC', '24:00:00')");
            }
        }
        start(p, table, Map.of("decimal.handling.mode", decimalMode, "time.precision.mode", timeMode, "interval.handling.mode", intervalMode));
        try {
            // Streamed changes too, not only the snapshot.
            p.source("UPDATE " + table + " SET c_text = c_text || ' updated', c_int_arr = c_int_arr || 7 WHERE id IN (1, 3)");
            p.awaitEqual(Duration.ofSeconds(90), table);
        } finally {
            p.stop();
        }
    }

    /**
     * A table whose every column has a binary COPY form, so its new rows go by binary COPY where each cell is in its strict
     * form and as text where not (infinities, BC): the cells of both exact time modes, exact either way.
     */
    @ParameterizedTest(name = "binary-eligible columns, decimal.handling.mode={0}, time.precision.mode={1}")
    @CsvSource({
        "precise, adaptive_time_microseconds",
        "string, isostring",
    })
    void plain_scalar_columns_round_trip(String decimalMode, String timeMode) throws Exception {
        String table = "plain_" + decimalMode + "_" + timeMode;
        Pipeline p = new Pipeline(dbs, "p" + Integer.toHexString(table.hashCode()));
        p.both("""
                CREATE TABLE %s (id int PRIMARY KEY, c_smallint smallint, c_int int, c_bigint bigint, c_real real, c_double double precision,
                  c_bool boolean, c_text text, c_varchar varchar(20), c_char char(5), c_bytea bytea, c_date date, c_ts timestamp,
                  c_tstz timestamptz, c_ts0 timestamp(0), c_ts3 timestamp(3), c_uuid uuid, c_json json, c_jsonb jsonb)""".formatted(table));
        String rows = """
                INSERT INTO %s VALUES
                (1, -32768, 2147483647, -9223372036854775808, 1.5, -2.25, true, 'plain', 'varchar', 'ab', '\\xdeadbeef', '2026-11-26',
                 '2026-11-26 13:14:15.123', '2026-11-26 13:14:15.123+01', '2026-11-26 13:14:15', '2026-11-26 13:14:15.1235',
                 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": [1, 2.50]}', '{"k": "v", "n": 1.5}'),
                (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
                (3, 0, 0, 0, 'Infinity', '-Infinity', false, '', 'tab\tnew\nline\\back', '', '\\x', '0001-01-01', '0001-01-01 00:00:00',
                 '9999-12-31 23:59:59.999+00', '1970-01-01 00:00:00', '1999-12-31 23:59:59.9995', '00000000-0000-0000-0000-000000000000',
                 '[]', '{}'),
                (4, 1, 2, 3, 'NaN', 'NaN', true, 'ü ✓ 𝄞', 'x', 'xyzzy', '\\x00ff', '9999-12-31', '9999-12-31 23:59:59.999',
                 '2000-02-29 12:00:00-08', '2000-01-01 00:00:00', '2000-01-01 00:00:00', 'ffffffff-ffff-ffff-ffff-ffffffffffff', 'null', '"str"'),
                (5, 7, 7, 7, 3.4e38, 1.7976931348623157e308, true, 'x', 'x', 'x', NULL, 'infinity', 'infinity', '-infinity', '2026-01-01 00:00:00',
                 '2026-01-01 00:00:00.000001', NULL, '1', '1'),
                (6, 8, 8, 8, 1e-45, 4.9e-324, false, 'y', 'y', 'y', NULL, '-infinity', '-infinity', 'infinity', NULL, NULL, NULL, '2', '2'),
                (7, 9, 9, 9, 0.1, 0.1, true, 'z', 'z', 'z', NULL, '2026-02-28', '1999-12-31 23:59:59.999999', '1999-12-31 23:59:59.999999+05:30',
                 NULL, NULL, NULL, '3', '3')""".formatted(table);
        p.source(rows);
        if (!"isostring".equals(timeMode)) {
            // isostring drops the era of BC timestamps, and every mode that of BC dates (Debezium 3.6.1: 44 BC arrives as 44 AD).
            // A BC timestamptz arrives as ISO text with a negative year, which PostgreSQL cannot read as it is.
            p.source("INSERT INTO " + table + " (id, c_ts, c_tstz) VALUES (30, '0044-03-15 12:00:00 BC', '0044-03-15 12:00:00+00 BC'), "
                    + "(31, '0001-12-31 23:59:59.999999 BC', '0001-01-01 00:00:00+00 BC')");
        }
        start(p, table, Map.of("decimal.handling.mode", decimalMode, "time.precision.mode", timeMode));
        try {
            // Streamed inserts too: a batch in strict forms only, then one with an infinity among them.
            p.source("INSERT INTO " + table + " (id, c_int, c_double, c_tstz, c_ts, c_date, c_text) SELECT 100 + i, i, i * 0.1, "
                    + "'2026-01-01 00:00:00+00'::timestamptz + i * interval '1.000001 second', '2026-01-01'::timestamp + i * interval '1 minute', "
                    + "'2026-01-01'::date + i, 'r' || i FROM generate_series(1, 3000) i");
            p.source("INSERT INTO " + table + " (id, c_tstz, c_ts) SELECT 5000 + i, CASE WHEN i = 500 THEN 'infinity' ELSE now() END, "
                    + "localtimestamp FROM generate_series(1, 1000) i");
            p.awaitEqual(Duration.ofSeconds(90), table);
        } finally {
            p.stop();
        }
    }

    /** Starts Debezium on one table, with these settings, and the sink. */
    private static void start(Pipeline p, String table, Map<String, String> settings) {
        Map<String, String> source = p.sourceConfig();
        source.putAll(settings);
        source.put("table.include.list", "public." + table);
        source.put("publication.autocreate.mode", "filtered");
        p.startSource(source);
        p.startSink(p.sinkConfig());
    }

    @Test
    void postgis_geometry_and_geography_round_trip() throws Exception {
        Pipeline p = new Pipeline(dbs, "gis");
        try {
            p.both("CREATE EXTENSION IF NOT EXISTS postgis");
        } catch (Exception e) {
            Assumptions.assumeTrue(false, "PostGIS is not installed on the test servers: " + e.getMessage());
        }
        p.both("""
                CREATE TABLE places (id int PRIMARY KEY, g geometry, g4326 geometry(Point, 4326), g3857 geometry(Polygon, 3857),
                  gz geometry(PointZ), geo geography, geo_pt geography(Point, 4326))""");
        p.source("""
                INSERT INTO places VALUES
                (1, 'POINT(1 2)', 'SRID=4326;POINT(13.404954 52.520008)', 'SRID=3857;POLYGON((0 0,10 0,10 10,0 10,0 0),(2 2,3 2,3 3,2 2))',
                 'POINT Z (1 2 3)', 'SRID=4326;LINESTRING(-71.160281 42.258729,-71.160837 42.259113)', 'SRID=4326;POINT(-0.1278 51.5074)'),
                (2, NULL, NULL, NULL, NULL, NULL, NULL),
                (3, 'GEOMETRYCOLLECTION(POINT(1 1),LINESTRING(0 0,1 1))', 'SRID=4326;POINT(0 0)', 'SRID=3857;POLYGON EMPTY',
                 'POINT Z (0 0 0)', 'SRID=4326;MULTIPOINT((1 1),(2 2))', 'SRID=4326;POINT(180 -90)'),
                (4, 'SRID=2056;MULTIPOLYGON(((2600000 1200000,2600010 1200000,2600010 1200010,2600000 1200000)))', NULL, NULL, NULL,
                 'SRID=4326;POLYGON((0 0,1 0,1 1,0 0))', NULL)""");
        Map<String, String> source = p.sourceConfig();
        source.put("table.include.list", "public.places");
        source.put("publication.autocreate.mode", "filtered");
        p.startSource(source);
        p.startSink(p.sinkConfig());
        try {
            // Streamed changes too, not only the snapshot.
            p.source("UPDATE places SET g = 'SRID=4326;LINESTRING(0 0,1 1,2 1)', geo = 'SRID=4326;POINT(10 10)' WHERE id IN (1, 2)");
            p.source("INSERT INTO places (id, g) VALUES (5, 'SRID=32633;POINT(500000 5800000)')");
            p.awaitEqual(Duration.ofSeconds(90), "places");
        } finally {
            p.stop();
        }
    }
}
