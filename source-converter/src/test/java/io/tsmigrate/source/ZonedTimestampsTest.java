package io.tsmigrate.source;

import io.debezium.config.CommonConnectorConfig.BinaryHandlingMode;
import io.debezium.connector.postgresql.PostgresConnectorConfig.HStoreHandlingMode;
import io.debezium.connector.postgresql.PostgresConnectorConfig.IntervalHandlingMode;
import io.debezium.config.Configuration;
import io.debezium.connector.postgresql.PostgresConnectorConfig;
import io.debezium.connector.postgresql.PostgresValueConverter;
import io.debezium.connector.postgresql.UnchangedToastedPlaceholder;
import io.debezium.connector.postgresql.UnchangedToastedReplicationMessageColumn;
import io.debezium.jdbc.JdbcValueConverters.BigIntUnsignedMode;
import io.debezium.jdbc.JdbcValueConverters.DecimalMode;
import io.debezium.jdbc.TemporalPrecisionMode;
import io.debezium.relational.Column;
import io.debezium.time.ZonedTimestamp;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every value {@link ZonedTimestamps} gives is the one Debezium 3.6.1's own {@code PostgresValueConverter} gives. */
class ZonedTimestampsTest {

    /** Debezium's converter, for its protected {@code convertTimestampWithZone}. */
    private static final class Debezium extends PostgresValueConverter {
        Debezium() {
            super(StandardCharsets.UTF_8, DecimalMode.STRING, TemporalPrecisionMode.ADAPTIVE_TIME_MICROSECONDS, ZoneOffset.UTC, BigIntUnsignedMode.PRECISE,
                    true, null, HStoreHandlingMode.JSON, BinaryHandlingMode.BYTES, IntervalHandlingMode.STRING,
                    new UnchangedToastedPlaceholder(new PostgresConnectorConfig(Configuration.create().with("topic.prefix", "t").build())), 2);
        }

        Object convert(Column column, Field field, Object data) {
            return convertTimestampWithZone(column, field, data);
        }
    }

    private static final Debezium DEBEZIUM = new Debezium();

    private static Column column(Integer scale, int length, boolean optional) {
        var editor = Column.editor().name("at").type("timestamptz").jdbcType(java.sql.Types.TIMESTAMP_WITH_TIMEZONE).length(length).optional(optional);
        if (scale != null) {
            editor.scale(scale);
        }
        return editor.create();
    }

    private static Object debezium(Column c, String schemaDefault, Object value) {
        var builder = ZonedTimestamp.builder();
        if (c.isOptional()) {
            builder.optional();
        }
        if (schemaDefault != null) {
            builder.defaultValue(schemaDefault);
        }
        return DEBEZIUM.convert(c, new Field("at", 0, builder.build()), value);
    }

    private static Object ours(Column c, String whenNull, Object value) {
        Integer width = c.scale().isPresent() ? c.scale().get() : Integer.valueOf(c.length());
        return ZonedTimestamps.convert(value, width, c.isOptional(), c.typeName(), whenNull, PgTextConverter.DEFAULT_PLACEHOLDER);
    }

    @Test
    void every_value_and_every_precision_gives_debeziums_string() {
        Random random = new Random(20261207);
        List<Object> values = new ArrayList<>(Arrays.asList(OffsetDateTime.of(1, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC),
                OffsetDateTime.of(9999, 12, 31, 23, 59, 59, 999_999_000, ZoneOffset.UTC), OffsetDateTime.of(294276, 12, 31, 23, 59, 59, 999_999_000, ZoneOffset.UTC),
                OffsetDateTime.of(-4712, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC), OffsetDateTime.of(2026, 3, 29, 2, 30, 0, 120_000_000, ZoneOffset.UTC),
                OffsetDateTime.of(1970, 1, 1, 0, 0, 0, 1_000, ZoneOffset.UTC), PostgresValueConverter.POSITIVE_INFINITY_OFFSET_DATE_TIME,
                PostgresValueConverter.NEGATIVE_INFINITY_OFFSET_DATE_TIME, "infinity", "-infinity", "2026-01-01 10:00:00.123+02",
                "1999-12-31 23:59:59.999999-07:30", "0044-03-15 12:00:00+00 BC",
                new Timestamp(1_767_225_600_123L), Instant.parse("2026-05-01T00:00:00Z"), UnchangedToastedReplicationMessageColumn.UNCHANGED_TOAST_VALUE));
        for (int i = 0; i < 20_000; i++) {
            long micros = random.nextLong(-210_000_000_000_000_000L, 9_000_000_000_000_000_000L / 1000);
            values.add(OffsetDateTime.ofInstant(Instant.EPOCH.plusNanos(0).plusSeconds(Math.floorDiv(micros, 1_000_000))
                    .plusNanos(Math.floorMod(micros, 1_000_000) * 1000L), ZoneOffset.UTC));
        }
        List<Column> columns = new ArrayList<>();
        for (Integer scale : new Integer[] {null, 0, 1, 3, 6, 9, 10}) {
            for (int length : new int[] {-1, 0, 6, 35}) {
                columns.add(column(scale, length, true));
            }
        }
        int compared = 0;
        for (Column c : columns) {
            for (Object v : values) {
                Object expected;
                try {
                    expected = debezium(c, null, v);
                } catch (RuntimeException e) {
                    Object got = null;
                    try {
                        got = ours(c, ZonedTimestamps.FALLBACK, v);
                    } catch (RuntimeException alsoThrown) {
                        continue;
                    }
                    throw new AssertionError(v + " (" + v.getClass().getSimpleName() + ") in " + c + ": Debezium threw " + e + ", ours gave " + got);
                }
                assertThat(ours(c, ZonedTimestamps.FALLBACK, v)).as(v + " (" + v.getClass().getSimpleName() + ") in " + c).isEqualTo(expected);
                compared++;
            }
        }
        assertThat(compared).isGreaterThan(500_000);
    }

    @Test
    void null_gives_null_in_an_optional_column_else_the_default_else_debeziums_fallback() {
        Column optional = column(6, 35, true);
        Column required = column(6, 35, false);
        assertThat(ours(optional, ZonedTimestamps.FALLBACK, null)).isNull();
        assertThat(debezium(optional, null, null)).isNull();
        assertThat(ours(required, ZonedTimestamps.FALLBACK, null)).isEqualTo(debezium(required, null, null)).isEqualTo("1970-01-01T00:00:00Z");
        String def = "2020-02-02T02:02:02.000000Z";
        assertThat(ours(required, def, null)).isEqualTo(debezium(required, def, null)).isEqualTo(def);
        // The default reaches a custom converter as Debezium's converted string; its own path passes it through.
        assertThat(ours(required, def, def)).isEqualTo(def);
    }

    @Test
    void a_value_of_a_type_debezium_does_not_know_gives_null_when_optional_and_an_error_otherwise() {
        assertThat(ours(column(6, 35, true), ZonedTimestamps.FALLBACK, 42)).isNull();
        assertThat(debezium(column(6, 35, true), null, 42)).isNull();
        assertThatThrownBy(() -> ours(column(6, 35, false), ZonedTimestamps.FALLBACK, 42)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> debezium(column(6, 35, false), null, 42)).isInstanceOf(IllegalArgumentException.class);
    }
}
