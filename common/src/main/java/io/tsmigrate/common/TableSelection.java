package io.tsmigrate.common;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Which tables a migration covers: schema and table patterns as pg_dump reads them ({@code --schema},
 * {@code --exclude-schema}, {@code --table}, {@code --exclude-table}). In a pattern {@code *} matches any characters
 * and {@code ?} one; letters outside double quotes are folded to lower case; inside double quotes everything is taken
 * as written ({@code ""} is one quote); a dot outside quotes separates schema and table (a table pattern without one
 * matches the table in any schema). Other characters match themselves (pg_dump's regular-expression classes are not
 * supported here). A table is covered when its schema is included (no include patterns: every schema) and not
 * excluded, and the table is included (no table patterns: every table) and not excluded. This class is the one
 * owner of that decision: the bootstrap's catalog, its pg_dump runs (given exact names, not the patterns),
 * {@code check}, {@code verify}, {@code cutover} and {@code status} all ask it. Immutable.
 */
public record TableSelection(List<String> includeSchemas, List<String> excludeSchemas, List<String> tables, List<String> excludeTables) {

    public static final TableSelection ALL = new TableSelection(null, null, null, null);

    public TableSelection {
        includeSchemas = includeSchemas == null ? List.of() : List.copyOf(includeSchemas);
        excludeSchemas = excludeSchemas == null ? List.of() : List.copyOf(excludeSchemas);
        tables = tables == null ? List.of() : List.copyOf(tables);
        excludeTables = excludeTables == null ? List.of() : List.copyOf(excludeTables);
        for (String p : includeSchemas) {
            schemaPattern(p, "include-schema");
        }
        for (String p : excludeSchemas) {
            schemaPattern(p, "exclude-schema");
        }
        for (String p : tables) {
            tablePattern(p, "table");
        }
        for (String p : excludeTables) {
            tablePattern(p, "exclude-table");
        }
    }

    /** Whether nothing is selected away. */
    public boolean all() {
        return includeSchemas.isEmpty() && excludeSchemas.isEmpty() && tables.isEmpty() && excludeTables.isEmpty();
    }

    public boolean coversSchema(String schema) {
        return (includeSchemas.isEmpty() || includeSchemas.stream().anyMatch(p -> schemaPattern(p, "include-schema").matcher(schema).matches()))
                && excludeSchemas.stream().noneMatch(p -> schemaPattern(p, "exclude-schema").matcher(schema).matches());
    }

    public boolean covers(String schema, String table) {
        return coversSchema(schema)
                && (tables.isEmpty() || tables.stream().anyMatch(p -> matches(tablePattern(p, "table"), schema, table)))
                && excludeTables.stream().noneMatch(p -> matches(tablePattern(p, "exclude-table"), schema, table));
    }

    /**
     * pg_dump options that select exactly the covered tables of these user schemas and tables ({schema, table}
     * pairs), by quoted exact names: the covered schemas (when schemas are selected) and every user table not covered.
     */
    public List<String> dumpArgs(List<String> userSchemas, List<String[]> userTables) {
        List<String> args = new ArrayList<>();
        if (all()) {
            return args;
        }
        Set<String> schemas = new LinkedHashSet<>(userSchemas);
        userTables.forEach(t -> schemas.add(t[0]));
        if (!includeSchemas.isEmpty() || !excludeSchemas.isEmpty()) {
            for (String s : schemas) {
                if (coversSchema(s)) {
                    if (!includeSchemas.isEmpty()) {
                        args.add("--schema=" + quote(s));
                    }
                } else if (includeSchemas.isEmpty()) {
                    args.add("--exclude-schema=" + quote(s));
                }
            }
        }
        for (String[] t : userTables) {
            if (coversSchema(t[0]) && !covers(t[0], t[1])) {
                args.add("--exclude-table=" + quote(t[0]) + "." + quote(t[1]));
            }
        }
        return args;
    }

    private static String quote(String name) {
        return '"' + name.replace("\"", "\"\"") + '"';
    }

    private static boolean matches(Pattern[] p, String schema, String table) {
        return (p[0] == null || p[0].matcher(schema).matches()) && p[1].matcher(table).matches();
    }

    /** Compiled patterns by option and pattern: covers() runs once per table of a catalog. */
    private static final java.util.Map<String, Object> COMPILED = new java.util.concurrent.ConcurrentHashMap<>();

    private static Pattern schemaPattern(String pattern, String option) {
        Object p = COMPILED.get("s:" + option + ":" + pattern);
        if (p == null) {
            p = compileSchema(pattern, option);
            COMPILED.put("s:" + option + ":" + pattern, p);
        }
        return (Pattern) p;
    }

    private static Pattern[] tablePattern(String pattern, String option) {
        Object p = COMPILED.get("t:" + option + ":" + pattern);
        if (p == null) {
            p = compileTable(pattern, option);
            COMPILED.put("t:" + option + ":" + pattern, p);
        }
        return (Pattern[]) p;
    }

    private static Pattern compileSchema(String pattern, String option) {
        List<String> parts = parts(pattern, option);
        if (parts.size() != 1) {
            throw new UserError("--" + option + " " + pattern + ": a schema pattern has no dot outside double quotes; "
                    + "quote a name that contains one (\"my.schema\")");
        }
        return Pattern.compile(parts.get(0));
    }

    private static Pattern[] compileTable(String pattern, String option) {
        List<String> parts = parts(pattern, option);
        if (parts.size() > 2) {
            throw new UserError("--" + option + " " + pattern + ": use TABLE or SCHEMA.TABLE; quote a name that contains a dot (\"a.b\")");
        }
        return parts.size() == 1 ? new Pattern[] {null, Pattern.compile(parts.get(0))}
                : new Pattern[] {Pattern.compile(parts.get(0)), Pattern.compile(parts.get(1))};
    }

    /** The pattern's dot-separated parts as regular expressions. */
    private static List<String> parts(String pattern, String option) {
        if (pattern == null || pattern.isBlank()) {
            throw new UserError("--" + option + " needs a pattern, for example public or public.orders_*");
        }
        List<String> out = new ArrayList<>();
        StringBuilder re = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c == '"') {
                if (quoted && i + 1 < pattern.length() && pattern.charAt(i + 1) == '"') {
                    re.append(Pattern.quote("\""));
                    i++;
                } else {
                    quoted = !quoted;
                }
            } else if (quoted) {
                re.append(Pattern.quote(String.valueOf(c)));
            } else if (c == '.') {
                out.add(re.toString());
                re.setLength(0);
            } else if (c == '*') {
                re.append(".*");
            } else if (c == '?') {
                re.append('.');
            } else {
                re.append(Pattern.quote(String.valueOf(c).toLowerCase(Locale.ROOT)));
            }
        }
        if (quoted) {
            throw new UserError("--" + option + " " + pattern + ": a double quote is not closed");
        }
        out.add(re.toString());
        if (out.stream().anyMatch(String::isEmpty)) {
            throw new UserError("--" + option + " " + pattern + ": an empty name part");
        }
        return out;
    }
}
