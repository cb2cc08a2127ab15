package io.tsmigrate.sink.sql;

import java.util.List;
import java.util.stream.Collectors;

/** Quoting for SQL text. Every identifier the sink writes goes through {@link #ident}. */
public final class Sql {

    private Sql() {
    }

    /** A quoted identifier: double quotes around, inner double quotes doubled. */
    public static String ident(String name) {
        return '"' + name.replace("\"", "\"\"") + '"';
    }

    /** A quoted string literal (standard_conforming_strings is on in every supported PostgreSQL). */
    public static String literal(String value) {
        return '\'' + value.replace("'", "''") + '\'';
    }

    public static String idents(List<String> names) {
        return names.stream().map(Sql::ident).collect(Collectors.joining(", "));
    }
}
