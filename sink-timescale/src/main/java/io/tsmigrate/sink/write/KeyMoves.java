package io.tsmigrate.sink.write;

import io.tsmigrate.sink.read.TableId;
import io.tsmigrate.sink.sql.Column;
import io.tsmigrate.sink.sql.Sql;
import io.tsmigrate.sink.sql.SqlBuilder;
import io.tsmigrate.sink.sql.TableMeta;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Old rows of primary-key changes whose two halves are not applied in one flush:
 * {@code <state schema>.key_moves(target_table, move, pre)}. Debezium sends a key change as a DELETE of the old key
 * and a CREATE of the new one whose unchanged TOASTed values are placeholders; the CREATE takes them from the old row.
 * When the halves fall into different flushes (a batch boundary between them, or, in a topic with several
 * partitions, the old and the new key in different partitions, possibly of different tasks), the DELETE half stashes
 * the old row here, in its own transaction and as it stood before the delete, under its key move (source transaction
 * and LSN of the UPDATE both halves come from); the CREATE half takes the kept cells from it and removes it, in its
 * own transaction. A CREATE half that keeps unchanged values and whose stash is not there yet waits, with the rest of
 * its partition, until the DELETE half is applied; one that keeps nothing goes first and leaves a marker (a row without
 * {@code pre}) so that its DELETE half stashes nothing (see DESIGN.md, "Key changes across flushes and partitions"). Values are kept as PostgreSQL text per
 * column, read back through each column's type: exact for every type. Not thread-safe.
 */
public final class KeyMoves {

    private final String table;

    public KeyMoves(String stateSchema) {
        this.table = Sql.ident(stateSchema) + ".key_moves";
    }

    /** The schema exists ({@link OffsetStore#createIfMissing}). */
    void createIfMissing(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS " + table + " (target_table text NOT NULL, move text NOT NULL, pre jsonb, "
                    + "stashed_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (target_table, move))");
        }
    }

    /** Of these key moves (per target table), the ones stashed. */
    Set<String> stashed(Connection c, Map<TableId, Set<String>> moves) throws SQLException {
        Set<String> out = new HashSet<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT move FROM " + table + " WHERE target_table = ? AND move = ANY(?) AND pre IS NOT NULL")) {
            for (var e : moves.entrySet()) {
                ps.setString(1, e.getKey().quoted());
                ps.setArray(2, c.createArrayOf("text", e.getValue().toArray()));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(key(e.getKey(), rs.getString(1)));
                    }
                }
            }
        }
        return out;
    }

    /**
     * Takes the transaction-level advisory lock of each of these key moves of a table, in a fixed order (so two flushes
     * cannot wait for each other), before their stash is written or taken: the DELETE half and the CREATE half of one
     * key change may be applied at the same moment by two tasks, and each must see what the other committed (a stash to
     * take, a marker not to stash). Statements after this one see it.
     */
    void lock(Connection c, TableMeta meta, java.util.Collection<String> moves) throws SQLException {
        String[] keys = moves.stream().map(m -> meta.id().quoted() + "/" + m).sorted().toArray(String[]::new);
        try (PreparedStatement ps = c.prepareStatement("SELECT count(pg_advisory_xact_lock(hashtext(k))) FROM unnest(?::text[]) AS u(k)")) {
            ps.setArray(1, c.createArrayOf("text", keys));
            ps.execute();
        }
    }

    /** How {@link #stashed} names a key move of a table. */
    static String key(TableId t, String move) {
        return t.quoted() + "\u0000" + move;
    }

    /**
     * Stashes the staging table's stashed rows ({@code __tsm_op = 's'}), after their kept cells were filled; where the
     * CREATE half came first (it kept nothing, so it did not wait, and left a marker: a row without {@code pre}), the
     * marker goes instead and nothing is stashed.
     */
    public String stash(String stage, TableMeta meta) {
        String names = meta.columns().stream().map(col -> Sql.literal(col.name())).collect(Collectors.joining(", "));
        String values = meta.columns().stream().map(col -> "s." + Sql.ident(col.name()) + "::text").collect(Collectors.joining(", "));
        String t = Sql.literal(meta.id().quoted());
        String stash = "s." + Sql.ident(SqlBuilder.STASH);
        return "WITH marked AS (DELETE FROM " + table + " m USING " + Sql.ident(stage) + " s WHERE s." + Sql.ident(SqlBuilder.OP) + " = 's' AND "
                + "m.target_table = " + t + " AND m.move = " + stash + " AND m.pre IS NULL RETURNING m.move) INSERT INTO " + table
                + " (target_table, move, pre) SELECT " + t + ", " + stash + ", jsonb_object(ARRAY[" + names + "]::text[], ARRAY[" + values
                + "]::text[]) FROM " + Sql.ident(stage) + " s WHERE s." + Sql.ident(SqlBuilder.OP) + " = 's' AND " + stash
                + " NOT IN (SELECT move FROM marked) ON CONFLICT (target_table, move) DO UPDATE SET pre = EXCLUDED.pre, stashed_at = now()";
    }

    /** Fills the kept cells of staged rows that take them from a stashed old row ({@code __tsm_take}). */
    public String fill(String stage, TableMeta meta, List<Integer> kept) {
        String sets = kept.stream().map(p -> {
            Column column = meta.columns().get(p);
            String col = Sql.ident(column.name());
            return col + " = CASE WHEN " + p + " = ANY(s." + Sql.ident(SqlBuilder.KEEP) + ") THEN CAST(m.pre ->> " + Sql.literal(column.name())
                    + " AS " + column.sqlType() + ") ELSE s." + col + " END";
        }).collect(Collectors.joining(", "));
        return "UPDATE " + Sql.ident(stage) + " s SET " + sets + " FROM " + table + " m WHERE s." + Sql.ident(SqlBuilder.KEEP) + " IS NOT NULL AND s."
                + Sql.ident(SqlBuilder.TAKE) + " IS NOT NULL AND m.target_table = " + Sql.literal(meta.id().quoted()) + " AND m.move = s."
                + Sql.ident(SqlBuilder.TAKE);
    }

    /**
     * Removes the stashed rows that staged rows took their kept cells from; for a CREATE half whose DELETE half has not
     * stashed yet (it kept nothing, so it did not wait), leaves a marker that tells the DELETE half not to stash.
     */
    public String consume(String stage, TableMeta meta) {
        String t = Sql.literal(meta.id().quoted());
        String take = "s." + Sql.ident(SqlBuilder.TAKE);
        return "WITH taken AS (DELETE FROM " + table + " m USING " + Sql.ident(stage) + " s WHERE m.target_table = " + t + " AND m.move = " + take
                + " RETURNING m.move) INSERT INTO " + table + " (target_table, move, pre) SELECT DISTINCT " + t + ", " + take + ", NULL::jsonb FROM "
                + Sql.ident(stage) + " s WHERE " + take + " IS NOT NULL AND " + take + " NOT IN (SELECT move FROM taken) ON CONFLICT DO NOTHING";
    }
}
