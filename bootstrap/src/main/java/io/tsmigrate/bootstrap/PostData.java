package io.tsmigrate.bootstrap;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * pg_dump's post-data section split into its entries (indexes, constraints, triggers, ...), adapted for
 * hypertables: TimescaleDB refuses {@code ALTER TABLE ONLY} on a hypertable, and a primary key or unique
 * index there must include the time column (added when the plan allows it). Pure functions.
 */
final class PostData {

    /** One entry: its pg_dump type, its name, and the SQL to run. */
    record Entry(String type, String name, String sql) {
        /** Builds that can run in parallel: indexes and primary/unique/check constraints. */
        boolean parallel() {
            return type.equals("INDEX") || type.equals("CONSTRAINT");
        }
    }

    private static final Pattern TABLESPACE = Pattern.compile("; Tablespace: ([^\n]+)\n");
    private static final Pattern HEADER = Pattern.compile("^--\\n-- Name: (.*?); Type: (.*?); Schema: (.*?); Owner: .*?\\n--\\n", Pattern.MULTILINE);
    private static final Set<String> SKIPPED = Set.of("PUBLICATION", "PUBLICATION TABLE", "PUBLICATION TABLES IN SCHEMA", "SUBSCRIPTION",
            "SUBSCRIPTION TABLE");
    private static final String NAME = "(?:\"(?:[^\"]|\"\")+\"|[A-Za-z_][A-Za-z0-9_$]*)";
    private static final Pattern ON_TABLE = Pattern.compile("(?:ALTER TABLE ONLY |ALTER TABLE |\\bON (?:ONLY )?)(" + NAME + "\\." + NAME + ")");

    private PostData() {
    }

    static List<Entry> parse(String dump) {
        List<Entry> out = new ArrayList<>();
        Matcher m = HEADER.matcher(dump);
        int[] starts = m.results().mapToInt(r -> r.start()).toArray();
        m.reset();
        int i = 0;
        while (m.find()) {
            int end = i + 1 < starts.length ? starts[i + 1] : dump.length();
            String type = m.group(2);
            // pg_dump 17.6 and later wraps its output in psql meta-commands (restrict, unrestrict); JDBC runs plain SQL.
            // pg_dump sets default_tablespace before the header of the entry it is for (so it ends the previous entry's
            // text); entries run apart, on several connections: each one sets its own tablespace for its transaction.
            String sql = dump.substring(m.end(), end).lines().filter(l -> !l.startsWith("\\") && !l.startsWith("SET default_tablespace = "))
                    .collect(java.util.stream.Collectors.joining("\n")).strip();
            Matcher tablespace = TABLESPACE.matcher(m.group());
            if (!sql.isEmpty() && tablespace.find()) {
                sql = "SET LOCAL default_tablespace = " + io.tsmigrate.common.Ident.quote(tablespace.group(1)) + ";\n" + sql;
            }
            i++;
            // TimescaleDB's own triggers: the target's TimescaleDB creates them with the hypertable and the continuous aggregate.
            if (SKIPPED.contains(type) || sql.isEmpty() || sql.contains("ts_insert_blocker") || sql.contains("ts_cagg_invalidation_trigger")) {
                continue;
            }
            out.add(new Entry(type, m.group(1), sql));
        }
        return out;
    }

    /** A trigger's state statement after its CREATE TRIGGER in pg_dump's entry. */
    private static final Pattern TRIGGER_STATE = Pattern.compile("\\n*ALTER TABLE (?:ONLY )?" + NAME + "\\." + NAME
            + " (ENABLE ALWAYS|ENABLE REPLICA|DISABLE) TRIGGER " + NAME + ";");

    /**
     * Adapts entries of hypertables. TimescaleDB refuses to enable or disable a hypertable's triggers, so a trigger set
     * {@code ENABLE ALWAYS} on the source is created plainly enabled (the same for every session but a replica's), and
     * one disabled or set {@code ENABLE REPLICA} (quiet in ordinary sessions) is not created: {@code warn} gets its
     * statement to run after cutover.
     *
     * @param hypertables the time column of every hypertable, keyed by pg_dump's spelling of its qualified name
     * @param extend      tables (same keys) whose keys may be widened with the time column
     * @param warn        told each change to a trigger
     */
    static List<Entry> adapt(List<Entry> entries, Map<String, String> hypertables, Set<String> extend, java.util.function.Consumer<String> warn) {
        // hypertables maps pg_dump's spelling of the table to quote_ident() of its time column.
        List<Entry> out = new ArrayList<>();
        for (Entry e : entries) {
            String table = table(e.sql());
            String time = table == null ? null : hypertables.get(table);
            if (time == null) {
                out.add(e);
                continue;
            }
            // A partitioned source root's keys and indexes are made with ONLY (on the root alone, the partitions' own
            // attached to them); on a hypertable they are built for its chunks.
            String sql = e.sql().replace("ALTER TABLE ONLY ", "ALTER TABLE ").replace(" ON ONLY ", " ON ");
            java.util.regex.Matcher state = "TRIGGER".equals(e.type()) ? TRIGGER_STATE.matcher(sql) : null;
            if (state != null && state.find()) {
                sql = sql.substring(0, state.start()) + sql.substring(state.end());
                String create = sql.lines().filter(l -> !l.startsWith("--")).collect(java.util.stream.Collectors.joining(" ")).replaceAll("\\s+", " ").strip();
                if (!"ENABLE ALWAYS".equals(state.group(1))) {
                    warn.accept("WARN trigger " + e.name() + " is " + ("DISABLE".equals(state.group(1)) ? "disabled" : "set ENABLE REPLICA")
                            + " on the source, and TimescaleDB cannot keep that on a hypertable: it is not created on the target (to have it "
                            + "after cutover: " + create + ")");
                    continue;
                }
                warn.accept("WARN trigger " + e.name() + " is set ENABLE ALWAYS on the source; TimescaleDB cannot keep that on a hypertable, so it "
                        + "is created plainly enabled (the same for every session but a replica's)");
            }
            if (extend.contains(table)) {
                sql = widen(sql, time);
            }
            out.add(new Entry(e.type(), e.name(), sql));
        }
        return out;
    }

    private static final Pattern REFERENCES = Pattern.compile("\\bREFERENCES (" + NAME + "\\." + NAME + ")\\(");

    /** The table a foreign key entry references, as pg_dump spells it; null for any other entry. */
    static String referenced(Entry e) {
        if (!e.type().equals("FK CONSTRAINT")) {
            return null;
        }
        Matcher m = REFERENCES.matcher(e.sql());
        return m.find() ? m.group(1) : null;
    }

    /** The table an entry is about, as pg_dump spells it ({@code public.items}, {@code public."My Table"}), or null. */
    static String table(String sql) {
        Matcher m = ON_TABLE.matcher(sql);
        return m.find() ? m.group(1) : null;
    }

    /** Adds the time column to a primary key, unique constraint or unique index that lacks it. */
    static String widen(String sql, String quotedTime) {
        String time = quotedTime;
        Matcher key = Pattern.compile("(PRIMARY KEY|UNIQUE(?: NULLS NOT DISTINCT)?) \\(([^)]*)\\)").matcher(sql);
        if (key.find()) {
            return hasColumn(key.group(2), time) ? sql
                    : sql.substring(0, key.end(2)) + ", " + quotedTime + sql.substring(key.end(2));
        }
        Matcher index = Pattern.compile("CREATE UNIQUE INDEX .*? USING \\w+ \\(([^)]*)\\)").matcher(sql);
        if (index.find()) {
            return hasColumn(index.group(1), time) ? sql
                    : sql.substring(0, index.end(1)) + ", " + quotedTime + sql.substring(index.end(1));
        }
        return sql;
    }

    private static boolean hasColumn(String list, String column) {
        for (String c : list.split(",")) {
            if (c.strip().equals(column)) {
                return true;
            }
        }
        return false;
    }
}
