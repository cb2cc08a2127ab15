package io.tsmigrate.source;

import io.debezium.connector.postgresql.PostgresValueConverter;
import io.debezium.connector.postgresql.UnchangedToastedReplicationMessageColumn;
import io.debezium.connector.postgresql.connection.DateTimeFormat;
import io.debezium.spi.converter.CustomConverter;
import io.debezium.spi.converter.RelationalColumn;
import io.debezium.time.ZonedTimestamp;
import org.apache.kafka.connect.data.SchemaBuilder;

import java.time.LocalDate;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.temporal.ChronoField;
import java.util.Locale;
import java.util.Properties;

import static java.time.format.DateTimeFormatter.ISO_LOCAL_DATE;

/**
 * {@code timestamptz} values as Debezium 3.6.1 streams them ({@code io.debezium.time.ZonedTimestamp}: an ISO-8601
 * string in UTC with exactly as many fraction digits as the column's precision), the same string for every value, with
 * the date-time formatter built once per precision. Debezium's own {@code ZonedTimestamp.toIsoString} builds three
 * {@code DateTimeFormatter}s for every value of a column with a precision (every {@code timestamptz}): measured, 7.8%
 * of the thread that decodes the WAL, the thread that limits how many changes one connector streams
 * (docs/benchmarks.md, "The worker at 40,000 rows/s, profiled again").
 *
 * <p>What this replaces is {@code PostgresValueConverter.convertTimestampWithZone} and the null handling of Debezium's
 * {@code convertValue} around it, kept step for step: {@code infinity} and {@code -infinity} (as text or as Debezium's
 * sentinel values) stay those words; a String from a snapshot is parsed as Debezium does; a {@code java.util.Date} is
 * taken at UTC; null gives null in an optional column, else the column's default, else Debezium's fallback
 * ({@code 1970-01-01T00:00:00Z}); a value of a type Debezium would not know gives null in an optional column and an
 * error otherwise. {@code ZonedTimestampsTest} compares every string with Debezium's own. Configured in the source
 * connector as a second custom converter ({@code converters=tsmigrate,tstz},
 * {@code tstz.type=io.tsmigrate.source.ZonedTimestamps}); Debezium calls it on its streaming thread; immutable after
 * {@link #configure}.
 */
public final class ZonedTimestamps implements CustomConverter<SchemaBuilder, RelationalColumn> {

    /** Debezium's value for a NOT NULL column's null without a default ({@code JdbcValueConverters.fallbackTimestampWithTimeZone}). */
    static final String FALLBACK = ZonedTimestamp.toIsoString(OffsetDateTime.of(LocalDate.ofEpochDay(0), LocalTime.MIDNIGHT, ZoneOffset.UTC),
            ZoneOffset.UTC, null, null);

    /** Per fraction width 1 to 9, the formatter Debezium builds for it on every call; 0 (and any other width): ISO's. */
    private static final DateTimeFormatter[] BY_WIDTH = new DateTimeFormatter[10];

    static {
        for (int w = 1; w <= 9; w++) {
            BY_WIDTH[w] = formatter(w);
        }
    }

    private String placeholder = PgTextConverter.DEFAULT_PLACEHOLDER;

    @Override
    public void configure(Properties props) {
        // Debezium's PostgreSQL connector streams timestamptz at UTC with no adjuster; only its placeholder is a setting.
        placeholder = props.getProperty("placeholder", PgTextConverter.DEFAULT_PLACEHOLDER);
    }

    @Override
    public void converterFor(RelationalColumn column, ConverterRegistration<SchemaBuilder> registration) {
        String type = column.typeName() == null ? "" : column.typeName().toLowerCase(Locale.ROOT);
        if (!type.equals("timestamptz") && !type.equals("timestamp with time zone")) {
            return;
        }
        // Debezium: "Fractional width for zoned timestamp is set in scale if schema obtained via snapshot".
        Integer width = column.scale().isPresent() ? Integer.valueOf(column.scale().getAsInt())
                : column.length().isPresent() ? Integer.valueOf(column.length().getAsInt()) : Integer.valueOf(-1);
        boolean optional = column.isOptional();
        String typeName = column.typeName();
        Object columnDefault = column.hasDefaultValue() ? column.defaultValue() : null;
        String unavailable = placeholder;
        String whenNull = columnDefault == null ? FALLBACK : String.valueOf(convert(columnDefault, width, optional, typeName, FALLBACK, unavailable));
        registration.register(ZonedTimestamp.builder(), value -> convert(value, width, optional, typeName, whenNull, unavailable));
    }

    /** Debezium's {@code convertTimestampWithZone} with its {@code convertValue}, the formatter taken from {@link #BY_WIDTH}. */
    static Object convert(Object data, Integer width, boolean optional, String typeName, String whenNull, String unavailable) {
        if (data instanceof String str) {
            if (PostgresValueConverter.POSITIVE_INFINITY_TIMESTAMP_PG_STRING.equals(str) || PostgresValueConverter.NEGATIVE_INFINITY_TIMESTAMP_PG_STRING.equals(str)
                    || isIso(str)) {
                // An ISO string is Debezium's own result: the column's default, which Debezium converts before it hands it
                // to a custom converter (its own path passes it through).
                return str;
            }
            data = DateTimeFormat.get().timestampWithTimeZoneToOffsetDateTime(str).withOffsetSameInstant(ZoneOffset.UTC);
        }
        if (data instanceof java.util.Date d) {
            data = OffsetDateTime.ofInstant(d.toInstant(), ZoneOffset.UTC);
        }
        if (PostgresValueConverter.POSITIVE_INFINITY_OFFSET_DATE_TIME.equals(data)) {
            return PostgresValueConverter.POSITIVE_INFINITY_TIMESTAMP_PG_STRING;
        } else if (PostgresValueConverter.NEGATIVE_INFINITY_OFFSET_DATE_TIME.equals(data)) {
            return PostgresValueConverter.NEGATIVE_INFINITY_TIMESTAMP_PG_STRING;
        } else if (data instanceof OffsetDateTime odt) {
            data = odt.toZonedDateTime();
        }
        if (data == null) {
            return optional ? null : whenNull;
        }
        if (data instanceof ZonedDateTime zdt) {
            return width != null && width > 0 && width <= 9 ? zdt.format(BY_WIDTH[width]) : zdt.format(ZonedTimestamp.FORMATTER);
        }
        try {
            return ZonedTimestamp.toIsoString(data, ZoneOffset.UTC, null, width);
        } catch (IllegalArgumentException e) {
            if (UnchangedToastedReplicationMessageColumn.isUnchangedToastedValue(data)) {
                // Debezium's handleUnknownData; pgoutput never leaves a fixed-width value out, so this is for completeness.
                return unavailable;
            }
            if (optional) {
                return null;
            }
            throw new IllegalArgumentException("Unexpected value for a " + typeName + " column: class=" + data.getClass().getName());
        }
    }

    /** Whether a string is an ISO-8601 date-time with offset (PostgreSQL's text form, with a space and a bare hour offset, is not). */
    static boolean isIso(String s) {
        try {
            ZonedTimestamp.FORMATTER.parse(s);
            return true;
        } catch (java.time.format.DateTimeParseException e) {
            return false;
        }
    }

    /** The formatter {@code ZonedTimestamp} builds for a fraction of exactly {@code width} digits. */
    private static DateTimeFormatter formatter(int width) {
        DateTimeFormatter time = new DateTimeFormatterBuilder()
                .appendValue(ChronoField.HOUR_OF_DAY, 2)
                .appendLiteral(':')
                .appendValue(ChronoField.MINUTE_OF_HOUR, 2)
                .optionalStart()
                .appendLiteral(':')
                .appendValue(ChronoField.SECOND_OF_MINUTE, 2)
                .optionalStart()
                .appendFraction(ChronoField.NANO_OF_SECOND, width, width, true)
                .toFormatter(Locale.ENGLISH);
        DateTimeFormatter dateTime = new DateTimeFormatterBuilder()
                .parseCaseInsensitive()
                .append(ISO_LOCAL_DATE)
                .appendLiteral('T')
                .append(time)
                .toFormatter(Locale.ENGLISH);
        return new DateTimeFormatterBuilder()
                .parseCaseInsensitive()
                .append(dateTime)
                .parseLenient()
                .appendOffsetId()
                .parseStrict()
                .toFormatter(Locale.ENGLISH);
    }
}
