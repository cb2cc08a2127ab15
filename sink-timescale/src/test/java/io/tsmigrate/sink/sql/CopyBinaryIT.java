package io.tsmigrate.sink.sql;

import io.tsmigrate.sink.buffer.Pending;
import io.tsmigrate.testkit.ServicesExtension;
import io.tsmigrate.testkit.TestDatabases;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyManager;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Binary COPY gives the target exactly the rows text COPY of the same cells gives: every kind, its edge values, random
 * values, in a session whose time zone and date style are not UTC and ISO. Cells outside the strict forms make the
 * batch go as text, so those are checked to be refused.
 */
@ExtendWith(ServicesExtension.class)
class CopyBinaryIT {

    private static final String COLUMNS = "id int8, b bool, s int2, i int4, l int8, r float4, d float8, t text, v varchar(20), c char(3), "
            + "j json, jb jsonb, u uuid, by bytea, dt date, ts timestamp, ts3 timestamp(3), tz timestamptz";
    private static final int N = 18;

    @Test
    void binary_rows_are_the_rows_text_gives(TestDatabases dbs) throws Exception {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[]{"1", "t", "-32768", "-2147483648", "-9223372036854775808", "3.4028235E38", "-1.7976931348623157E308",
                "tab\there\nnewline\\backslash \u00e9\u4e2d\ud83d\ude00 lone\ud800", "\u00fc\u00f1\u00ef", "ab", "{\"a\": [1, 2.50, \"\u00e9\"]}",
                "{\"b\": 1, \"a\": \"\\u00e9\"}", "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", "\\x", "0001-01-01", "0001-01-01 00:00:00.000000000",
                "2026-01-01T00:00:00.1235", "2026-12-06T09:30:28.123456Z"});
        rows.add(new String[]{"2", "f", "32767", "2147483647", "9223372036854775807", "1.4E-45", "4.9E-324", "", "", "", "null", "null",
                "00000000-0000-0000-0000-000000000000", "\\x00ff10", "9999-12-31", "9999-12-31T23:59:59.999999", "1999-12-31 23:59:59.9995",
                "1969-12-31 23:59:59.999999+00"});
        rows.add(new String[]{"3", "true", "0", "0", "-0", "-0.0", "-0", "x", "x", "x", "1", "[1, 2]", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
                "\\xDEADbeef", "2024-02-29", "2000-01-01 00:00:00", "2000-01-01T00:00:00", "2000-01-01 00:00:00+00:00"});
        rows.add(new String[]{"4", "false", "7", "7", "7", "NaN", "NaN", "NULL", "\\N", "\\N", "\"s\"", "\"s\"",
                "ffffffff-ffff-ffff-ffff-ffffffffffff", "\\x5c4e", "1970-01-01", "1900-02-28T12:00:00.5", "1900-02-28T12:00:00.0005",
                "2026-03-29T01:30:00Z"});
        rows.add(new String[]{"5", "t", "1", "1", "1", "Infinity", "-Infinity", "a", "a", "a", "{}", "{}", "12345678-1234-1234-1234-123456789abc",
                "\\x", "2000-01-01", "2038-01-19 03:14:08", "2038-01-19 03:14:08.000", "1582-10-10T00:00:00Z"});
        rows.add(new String[]{"6", null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null});
        rows.add(new String[]{"7", "t", "12", "12", "12", "1.17549435E-38", "2.2250738585072014E-308", "0.1", "0.1", "0.1", "0.1", "0.1",
                "12345678-1234-1234-1234-123456789abc", "\\x00", "1600-03-01", "1600-02-29 23:59:59.999999", "1600-02-29 23:59:59.999",
                "1600-02-29 23:59:59.999999Z"});
        Random random = new Random(20261206L);
        for (int k = 8; k < 2008; k++) {
            long micros = (long) (random.nextDouble() * 3.15e17);
            java.time.LocalDateTime t = java.time.LocalDateTime.of(1, 1, 1, 0, 0).plus(micros, java.time.temporal.ChronoUnit.MICROS);
            String text = t.toLocalDate() + " " + t.toLocalTime();
            text = text.length() == 16 ? text + ":00" : text;
            double d = Double.longBitsToDouble(random.nextLong());
            float f = Float.intBitsToFloat(random.nextInt());
            rows.add(new String[]{Integer.toString(k), random.nextBoolean() ? "t" : "f", Integer.toString((short) random.nextInt()),
                    Integer.toString(random.nextInt()), Long.toString(random.nextLong()), ValueRenderer.floating(f), ValueRenderer.floating(d),
                    Integer.toHexString(random.nextInt()) + "\u00e9", "v" + k, "c" + (k % 10), "[" + random.nextInt() + "]",
                    "{\"k\": " + ValueRenderer.floating(random.nextDouble()) + "}", java.util.UUID.randomUUID().toString(),
                    String.format("\\x%016x", random.nextLong()), t.toLocalDate().toString(), text, text, text + "Z"});
        }
        List<Pending> pending = rows.stream().map(r -> new Pending(r, false, true, null)).toList();
        try (Connection c = dbs.openTarget(); Statement st = c.createStatement()) {
            st.execute("SET TimeZone = 'Pacific/Chatham'; SET DateStyle = 'ISO, DMY'; SET extra_float_digits = 3");
            st.execute("DROP TABLE IF EXISTS cb_text, cb_binary; CREATE TABLE cb_text (" + COLUMNS + "); CREATE TABLE cb_binary (" + COLUMNS + ")");
            List<Column> columns = columns(c, "cb_text");
            CopyBinary.Kind[] kinds = CopyBinary.kinds(columns);
            assertThat(kinds).isNotNull();
            int[] all = IntStream.range(0, N).toArray();
            CopyBinary.Encoded binary = CopyBinary.encode(pending, all, kinds);
            assertThat(binary).as("every cell is in its strict form").isNotNull();
            CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
            List<String> names = columns.stream().map(Column::name).toList();
            CopyIn in = copy.copyIn(SqlBuilder.copyInto(new io.tsmigrate.sink.read.TableId("public", "cb_binary"), names, true));
            in.writeToCopy(binary.bytes(), 0, binary.length());
            assertThat(in.endCopy()).isEqualTo(rows.size());
            CopyIn text = copy.copyIn(SqlBuilder.copyInto(new io.tsmigrate.sink.read.TableId("public", "cb_text"), names, false));
            CopyText.writeRows(pending, IntStream.range(0, N).boxed().toList(), null, text::writeToCopy);
            assertThat(text.endCopy()).isEqualTo(rows.size());
            assertThat(content(st, "cb_binary")).containsExactlyElementsOf(content(st, "cb_text")).hasSize(rows.size());
            // Spot checks that the comparison sees values, not only equal failures.
            try (ResultSet rs = st.executeQuery("SELECT tz = '2026-12-06 09:30:28.123456+00', ts3::text, t FROM cb_binary WHERE id = 1")) {
                rs.next();
                assertThat(rs.getBoolean(1)).isTrue();
                assertThat(rs.getString(2)).isEqualTo("2026-01-01 00:00:00.124");
                assertThat(rs.getString(3)).isEqualTo("tab\there\nnewline\\backslash \u00e9\u4e2d\ud83d\ude00 lone?");
            }
        }
    }

    @Test
    void cells_whose_value_depends_on_the_session_or_is_refused_are_left_to_text(TestDatabases dbs) throws Exception {
        try (Connection c = dbs.openTarget(); Statement st = c.createStatement()) {
            st.execute("DROP TABLE IF EXISTS cb_forms; CREATE TABLE cb_forms (" + COLUMNS + ")");
            List<Column> columns = columns(c, "cb_forms");
            CopyBinary.Kind[] kinds = CopyBinary.kinds(columns);
            int[] all = IntStream.range(0, N).toArray();
            String[] good = {"1", "t", "1", "1", "1", "1", "1", "a", "a", "a", "1", "1", "12345678-1234-1234-1234-123456789abc", "\\x00",
                    "2026-01-01", "2026-01-01 00:00:00", "2026-01-01 00:00:00", "2026-01-01 00:00:00Z"};
            // Column index, then a text that PostgreSQL reads (some of them only by the session's settings) or refuses.
            Object[][] other = {{17, "2026-01-01 00:00:00"}, {17, "2026-01-01 00:00:00+05:30"}, {17, "infinity"}, {15, "-infinity"},
                    {14, "infinity"}, {14, "0044-03-15 BC"}, {16, "2026-01-01 24:00:00"}, {17, "2016-12-31 23:59:60Z"}, {6, "1e400"},
                    {5, "1e39"}, {5, "1e-50"}, {6, " 1"}, {3, "2147483648"}, {2, "+1"}, {1, "yes"}, {12, "{12345678-1234-1234-1234-123456789abc}"},
                    {13, "\\001"}, {15, "2026-01-01T00:00:00.0000005"}};
            for (Object[] o : other) {
                String[] cells = good.clone();
                cells[(int) o[0]] = (String) o[1];
                assertThat(CopyBinary.encode(List.of(new Pending(good, false, true, null), new Pending(cells, false, true, null)), all, kinds))
                        .as(Arrays.toString(o)).isNull();
            }
        }
    }

    private static List<Column> columns(Connection c, String table) throws SQLException {
        List<Column> out = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT a.attname, format_type(a.atttypid, a.atttypmod), t.typname FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
                        + "WHERE a.attrelid = '" + table + "'::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum")) {
            while (rs.next()) {
                out.add(new Column(rs.getString(1), rs.getString(2), rs.getString(3), 'X', false, false, false));
            }
        }
        return out;
    }

    private static List<String> content(Statement st, String table) throws SQLException {
        List<String> out = new ArrayList<>();
        try (ResultSet rs = st.executeQuery("SELECT ROW(x.*)::text FROM " + table + " x ORDER BY x.id")) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }
}
