package io.tsmigrate.common;

/** Quoting for SQL text; the command line uses it too. */
public final class Ident {

    private Ident() {
    }

    public static String quote(String name) {
        return '"' + name.replace("\"", "\"\"") + '"';
    }

    /** schema.name, both quoted. */
    public static String qualified(String schema, String name) {
        return quote(schema) + "." + quote(name);
    }

    public static String literal(String value) {
        return '\'' + value.replace("'", "''") + '\'';
    }
}
