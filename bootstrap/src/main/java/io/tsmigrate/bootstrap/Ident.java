package io.tsmigrate.bootstrap;

/** Quoting for SQL text. */
final class Ident {

    private Ident() {
    }

    static String quote(String name) {
        return '"' + name.replace("\"", "\"\"") + '"';
    }

    static String literal(String value) {
        return '\'' + value.replace("'", "''") + '\'';
    }

    static String table(String schema, String table) {
        return quote(schema) + "." + quote(table);
    }
}
