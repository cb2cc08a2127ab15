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

    /**
     * schema.name as a person reads it: a part is quoted only where it must be (anything but a lower-case letter or
     * {@code _} first, then lower-case letters, digits, {@code _} and {@code $}), so two different tables never read
     * the same, even when their names hold dots ({@code s."a.b"} and {@code "s.a".b}). Used as a table's key in maps
     * and ledgers, and in messages.
     */
    public static String readable(String schema, String name) {
        return readable(schema) + "." + readable(name);
    }

    /** One name as {@link #readable(String, String)} writes each part: quoted only where it must be. */
    public static String readable(String part) {
        return part.matches("[a-z_][a-z0-9_$]*") ? part : quote(part);
    }

    /**
     * The schema and table of {@code schema.table}, or of {@code table} (in public): split at the first dot outside
     * double quotes; a part that begins with a double quote is taken without its quotes ({@code ""} is one quote),
     * other text as written (a quote inside it included).
     */
    public static String[] split(String qualified) {
        StringBuilder part = new StringBuilder();
        String schema = null;
        boolean quoted = false;
        boolean start = true;
        for (int i = 0; i < qualified.length(); i++) {
            char c = qualified.charAt(i);
            boolean atStart = start;
            start = false;
            if (c == '"' && (quoted || atStart)) {
                if (quoted && i + 1 < qualified.length() && qualified.charAt(i + 1) == '"') {
                    part.append('"');
                    i++;
                } else {
                    quoted = !quoted;
                }
            } else if (c == '.' && !quoted && schema == null) {
                schema = part.toString();
                part.setLength(0);
                start = true;
            } else {
                part.append(c);
            }
        }
        return new String[] {schema == null ? "public" : schema, part.toString()};
    }

    public static String literal(String value) {
        return '\'' + value.replace("'", "''") + '\'';
    }
}
