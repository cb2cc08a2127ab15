package io.tsmigrate.sink.sql;

import io.tsmigrate.sink.read.TableId;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The SQL statements the sink runs, built as text with every identifier quoted. Pure functions, so each
 * statement is checked against a golden file.
 */
public final class SqlBuilder {

    /** The prefix of the staging table's own columns; a table's columns may not begin with it. */
    public static final String RESERVED = "__tsm_";
    public static final String OP = "__tsm_op";
    public static final String KEEP = "__tsm_keep";
    static final String FROM = "__tsm_from_";
    /** The key move ({@link KeyMoves}) whose stashed old row a staged row takes its kept cells from. */
    public static final String TAKE = "__tsm_take";
    /** The key move a stashed old row ({@code __tsm_op = 's'}) goes under. */
    public static final String STASH = "__tsm_stash";

    private SqlBuilder() {
    }

    public static String copyInto(TableId table, List<String> columns, boolean binary) {
        return "COPY " + table.quoted() + " (" + Sql.idents(columns) + ") FROM STDIN" + (binary ? " WITH (FORMAT binary)" : "");
    }

    /**
     * A session-local staging table with the target's columns (no constraints), emptied at every commit. Besides
     * the operation and the kept cells, a row carries the old key of a primary-key change ({@code __tsm_from_<i>},
     * one per key column, typed as the key column): kept cells of the new row are filled from the old one; or the key
     * move whose stashed old row holds them ({@code __tsm_take}). Stashed old rows ({@code __tsm_op = 's'}) name their
     * key move ({@code __tsm_stash}).
     */
    public static String createStage(String stage, TableMeta meta, List<String> key) {
        StringBuilder from = new StringBuilder();
        for (int i = 0; i < key.size(); i++) {
            from.append(", ").append(Sql.ident(key.get(i))).append(" AS ").append(Sql.ident(FROM + i));
        }
        return "CREATE TEMP TABLE IF NOT EXISTS " + Sql.ident(stage) + " ON COMMIT DELETE ROWS AS SELECT "
                + Sql.idents(names(meta)) + ", NULL::\"char\" AS " + Sql.ident(OP) + ", NULL::int2[] AS " + Sql.ident(KEEP) + from
                + ", NULL::text AS " + Sql.ident(TAKE) + ", NULL::text AS " + Sql.ident(STASH) + " FROM " + meta.id().quoted() + " WITH NO DATA";
    }

    public static String copyStage(String stage, TableMeta meta, List<String> key) {
        List<String> cols = new ArrayList<>(names(meta));
        cols.add(OP);
        cols.add(KEEP);
        for (int i = 0; i < key.size(); i++) {
            cols.add(FROM + i);
        }
        cols.add(TAKE);
        cols.add(STASH);
        return "COPY " + Sql.ident(stage) + " (" + Sql.idents(cols) + ") FROM STDIN";
    }

    /**
     * Fills the staged cells marked to keep with the target row's current value (unchanged TOAST values,
     * columns the event lacks), for new row versions and stashed old rows that take them from no stash
     * ({@link KeyMoves#fill} does those). Runs before the old rows are deleted.
     *
     * @param kept positions (in {@code meta.columns()}) that are marked in at least one staged row
     */
    public static String fillKept(String stage, TableMeta meta, List<String> key, List<Integer> kept) {
        String sets = kept.stream().map(p -> {
            String col = Sql.ident(meta.columns().get(p).name());
            return col + " = CASE WHEN " + p + " = ANY(s." + Sql.ident(KEEP) + ") THEN t." + col + " ELSE s." + col + " END";
        }).collect(Collectors.joining(", "));
        return "UPDATE " + Sql.ident(stage) + " s SET " + sets + " FROM " + meta.id().quoted() + " t WHERE s." + Sql.ident(KEEP)
                + " IS NOT NULL AND s." + Sql.ident(OP) + " IN ('u', 's') AND s." + Sql.ident(TAKE) + " IS NULL AND " + fromKeyMatch(key);
    }

    /** The target row a staged row takes kept cells from: the old key's row after a key change, else its own. */
    private static String fromKeyMatch(List<String> key) {
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < key.size(); i++) {
            String k = Sql.ident(key.get(i));
            parts.add("t." + k + " = coalesce(s." + Sql.ident(FROM + i) + ", s." + k + ")");
        }
        return String.join(" AND ", parts);
    }

    /**
     * Deletes every target row whose key is staged: rows deleted, and old versions of rows written again (a stashed
     * old row deletes nothing: its key's own row does). A guarded delete ({@code __tsm_op = 'g'}, {@code guarded}: the
     * batch has some) deletes only a row that matches its known cells (the others are NULL there), compared as text so
     * that every type compares.
     */
    public static String deleteStaged(String stage, TableMeta meta, List<String> key, boolean guarded) {
        String sql = "DELETE FROM " + meta.id().quoted() + " t USING " + Sql.ident(stage) + " s WHERE " + keyMatch(key) + " AND s." + Sql.ident(OP)
                + " <> 's'";
        if (!guarded) {
            return sql;
        }
        String match = meta.columns().stream().map(Column::name).filter(c -> !key.contains(c))
                .map(c -> "(s." + Sql.ident(c) + " IS NULL OR t." + Sql.ident(c) + "::text = s." + Sql.ident(c) + "::text)")
                .collect(Collectors.joining(" AND "));
        return match.isEmpty() ? sql : sql + " AND (s." + Sql.ident(OP) + " <> 'g' OR " + match + ")";
    }

    /** Inserts the staged new row versions, in time order for a hypertable (chunk locality). */
    public static String insertStaged(String stage, TableMeta meta) {
        List<String> cols = names(meta);
        String order = meta.timeColumn() == null ? "" : " ORDER BY " + Sql.ident(meta.timeColumn());
        return "INSERT INTO " + meta.id().quoted() + " (" + Sql.idents(cols) + ") OVERRIDING SYSTEM VALUE SELECT " + Sql.idents(cols)
                + " FROM " + Sql.ident(stage) + " WHERE " + Sql.ident(OP) + " = 'u'" + order;
    }

    public static String truncate(TableId table) {
        return "TRUNCATE " + table.quoted();
    }

    /** Every row deleted: a TRUNCATE for a table that a foreign key of another table references. */
    public static String deleteAll(TableId table) {
        return "DELETE FROM " + table.quoted();
    }

    public static String addColumn(TableId table, String column, String sqlType) {
        return "ALTER TABLE " + table.quoted() + " ADD COLUMN IF NOT EXISTS " + Sql.ident(column) + " " + sqlType;
    }

    private static String keyMatch(List<String> key) {
        return key.stream().map(k -> "t." + Sql.ident(k) + " = s." + Sql.ident(k)).collect(Collectors.joining(" AND "));
    }

    static List<String> names(TableMeta meta) {
        return meta.columns().stream().map(Column::name).toList();
    }
}
