package io.tsmigrate.sink.sql;

/**
 * A target column as the catalog describes it. Immutable.
 *
 * @param name         the column name, unquoted
 * @param sqlType      {@code format_type()} of the column, for DDL and messages (e.g. {@code numeric(10,2)})
 * @param typeName     the base type's name ({@code int4}, {@code hstore}, ...); for arrays the element type's
 * @param category     {@code pg_type.typcategory} of the base type (N numeric, S string, D date/time, ...)
 * @param array        whether the column is an array
 * @param required     whether an INSERT must give it a value (NOT NULL without a default)
 * @param generated    whether it is a generated column (never written)
 */
public record Column(String name, String sqlType, String typeName, char category, boolean array, boolean required, boolean generated) {
}
