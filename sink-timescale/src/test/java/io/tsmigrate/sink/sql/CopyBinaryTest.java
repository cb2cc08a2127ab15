package io.tsmigrate.sink.sql;

import io.tsmigrate.sink.buffer.Pending;
import org.junit.jupiter.api.Test;

import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The strict text forms {@link CopyBinary} converts ({@link StrictText}), checked against java.time; everything else is given up on. */
class CopyBinaryTest {

    private static final LocalDateTime PG_EPOCH = LocalDateTime.of(2000, 1, 1, 0, 0);

    @Test
    void every_day_of_years_1_to_9999_is_the_day_java_time_counts() {
        for (LocalDate d = LocalDate.of(1, 1, 1); d.getYear() <= 9999; d = d.plusDays(1)) {
            assertThat(StrictText.epochDay(String.format("%04d-%02d-%02d", d.getYear(), d.getMonthValue(), d.getDayOfMonth()), 0))
                    .as(d.toString()).isEqualTo(d.toEpochDay());
        }
    }

    @Test
    void days_that_do_not_exist_or_other_forms_are_given_up_on() {
        for (String s : List.of("2023-02-29", "2024-02-30", "2024-04-31", "2024-13-01", "2024-00-10", "2024-01-00", "0000-01-01",
                "2024-1-01", "2024/01/01", "infinity", "12024-01-01", "+2024-01-0")) {
            assertThat(StrictText.epochDay(s, 0)).as(s).isEqualTo(Long.MIN_VALUE);
        }
        assertThat(StrictText.epochDay("2024-02-29", 0)).isEqualTo(LocalDate.of(2024, 2, 29).toEpochDay());
        assertThat(StrictText.epochDay("2000-02-29", 0)).isEqualTo(LocalDate.of(2000, 2, 29).toEpochDay());
        assertThat(StrictText.epochDay("1900-02-29", 0)).isEqualTo(Long.MIN_VALUE);
    }

    @Test
    void timestamps_in_the_strict_forms_are_microseconds_since_2000() {
        assertThat(StrictText.timestamp("2000-01-01T00:00:00Z", true)).isZero();
        assertThat(StrictText.timestamp("2026-01-01T00:00:00.5Z", true)).isEqualTo(micros(LocalDateTime.of(2026, 1, 1, 0, 0, 0, 500_000_000)));
        assertThat(StrictText.timestamp("2026-12-06 09:30:28.123456+00", true)).isEqualTo(micros(LocalDateTime.of(2026, 12, 6, 9, 30, 28, 123_456_000)));
        assertThat(StrictText.timestamp("1969-12-31T23:59:59.999999+00:00", true)).isEqualTo(micros(LocalDateTime.of(1969, 12, 31, 23, 59, 59, 999_999_000)));
        assertThat(StrictText.timestamp("0001-01-01 00:00:00.000001000", false)).isEqualTo(micros(LocalDateTime.of(1, 1, 1, 0, 0, 0, 1000)));
        assertThat(StrictText.timestamp("9999-12-31T23:59:59.999999", false)).isEqualTo(micros(LocalDateTime.of(9999, 12, 31, 23, 59, 59, 999_999_000)));
        java.util.Random random = new java.util.Random(7);
        for (int i = 0; i < 100_000; i++) {
            LocalDateTime t = LocalDateTime.of(1, 1, 1, 0, 0).plus((long) (random.nextDouble() * 3.15e17), ChronoUnit.MICROS);
            String text = t.toLocalDate() + "T" + t.toLocalTime().toString();
            if (text.length() == 16) {
                text += ":00";
            }
            assertThat(StrictText.timestamp(text + "Z", true)).as(text).isEqualTo(micros(t));
            assertThat(StrictText.timestamp(text, false)).as(text).isEqualTo(micros(t));
        }
    }

    @Test
    void timestamps_in_other_forms_are_given_up_on() {
        for (String s : List.of("2026-01-01T00:00:00", "2026-01-01T00:00:00+01", "2026-01-01T00:00:00-00:30", "2026-01-01T24:00:00Z",
                "2026-01-01T23:59:60Z", "2026-01-01T00:00:00.1234567Z", "2026-01-01T00:00:00.0000000001Z", "2026-01-01T00:00:00.Z",
                "2026-01-01T00:00Z", "infinity", "-infinity", "+10000-01-01T00:00:00Z", "0044-03-15 12:00:00+00 BC", "2026-01-01T00:00:00 Z")) {
            assertThat(StrictText.timestamp(s, true)).as(s).isEqualTo(Long.MIN_VALUE);
        }
        assertThat(StrictText.timestamp("2026-01-01T00:00:00Z", false)).isEqualTo(Long.MIN_VALUE);
        assertThat(StrictText.timestamp("0044-03-15 12:00:00 BC", false)).isEqualTo(Long.MIN_VALUE);
        assertThat(StrictText.timestamp("2026-01-01T00:00:00.123456000Z", true)).isEqualTo(StrictText.timestamp("2026-01-01T00:00:00.123456Z", true));
    }

    @Test
    void integers_only_in_decimal_and_in_range() {
        assertThat(StrictText.integer("-9223372036854775808", Long.MIN_VALUE, Long.MAX_VALUE)).isEqualTo(Long.MIN_VALUE);
        assertThat(StrictText.integer("9223372036854775807", Long.MIN_VALUE, Long.MAX_VALUE)).isEqualTo(Long.MAX_VALUE);
        assertThat(StrictText.integer("007", 0, 10)).isEqualTo(7L);
        for (String s : List.of("9223372036854775808", "-9223372036854775809", "9999999999999999999", "18446744073709551617", "", "-", "+1",
                " 1", "1_000", "1.0", "٣")) {
            assertThat(StrictText.integer(s, Long.MIN_VALUE, Long.MAX_VALUE)).as(s).isNull();
        }
        assertThat(StrictText.integer("32768", Short.MIN_VALUE, Short.MAX_VALUE)).isNull();
        assertThat(StrictText.integer("-2147483648", Integer.MIN_VALUE, Integer.MAX_VALUE)).isEqualTo(Integer.MIN_VALUE);
    }

    @Test
    void floats_only_in_plain_decimal_or_the_three_names() {
        for (String s : List.of("1", "-0", "0.5", "1.0E10", "4.9E-324", "1.7976931348623157E308", "NaN", "Infinity", "-Infinity", ".5", "5.")) {
            assertThat(StrictText.isFloatText(s)).as(s).isTrue();
        }
        for (String s : List.of("", "-", ".", "1e", "0x1p3", "1d", "1f", " 1", "inf", "nan", "+1", "1e+", "١")) {
            assertThat(StrictText.isFloatText(s)).as(s).isFalse();
        }
    }

    @Test
    void a_batch_with_one_cell_out_of_form_is_given_up_on_whole() {
        CopyBinary.Kind[] kinds = {CopyBinary.Kind.INT4, CopyBinary.Kind.FLOAT8, CopyBinary.Kind.TIMESTAMPTZ};
        int[] cols = {0, 1, 2};
        Pending good = new Pending(new String[]{"1", "0.5", "2026-01-01T00:00:00Z"}, false, true, null);
        assertThat(CopyBinary.encode(List.of(good, good), cols, kinds)).isNotNull();
        for (String[] bad : List.of(new String[]{"1", "1e400", "2026-01-01T00:00:00Z"}, new String[]{"1", "1e-400", "2026-01-01T00:00:00Z"},
                new String[]{"2147483648", "1", "2026-01-01T00:00:00Z"}, new String[]{"1", "1", "2026-01-01T00:00:00+02"})) {
            assertThat(CopyBinary.encode(List.of(good, new Pending(bad, false, true, null)), cols, kinds)).as(String.join(" ", bad)).isNull();
        }
        assertThat(CopyBinary.kinds(List.of(new Column("a", "numeric", "numeric", 'N', false, false, false)))).isNull();
        assertThat(CopyBinary.kinds(List.of(new Column("a", "integer[]", "int4", 'N', true, false, false)))).isNull();
    }

    private static long micros(LocalDateTime t) {
        return ChronoUnit.MICROS.between(PG_EPOCH.atOffset(ZoneOffset.UTC), t.atOffset(ZoneOffset.UTC));
    }
}
