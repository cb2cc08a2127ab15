package io.tsmigrate.sink.read;

import io.tsmigrate.sink.sql.Sql;

import java.util.Objects;

/** A target table, by its unquoted schema and table names. Immutable. */
public record TableId(String schema, String table) {

    public TableId {
        Objects.requireNonNull(schema, "schema");
        Objects.requireNonNull(table, "table");
    }

    /** The name quoted for SQL: {@code "schema"."table"}, whatever characters it holds. */
    public String quoted() {
        return Sql.ident(schema) + "." + Sql.ident(table);
    }

    @Override
    public String toString() {
        return schema + "." + table;
    }
}
