package io.tsmigrate.bootstrap;

import io.tsmigrate.common.Db;
import io.tsmigrate.common.Ident;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Checks the hypertable plan against the source before anything is created: every primary key and unique
 * index of a hypertable must include its time column (a TimescaleDB rule). Suggests candidates.
 */
public final class HypertablePlan {

    private HypertablePlan() {
    }

    /**
     * @return the tables ({@code schema.table}) whose keys will be widened with the time column
     * @throws BootstrapException listing each offending table and index with the user's choices
     */
    static Set<String> check(BootstrapPlan plan, List<TableInfo> tables) {
        Set<String> extend = new HashSet<>();
        List<String> problems = new ArrayList<>();
        for (BootstrapPlan.HypertableSpec h : plan.hypertables()) {
            String id = h.id();
            Optional<TableInfo> table = tables.stream().filter(t -> t.id().equals(id)).findFirst();
            if (table.isEmpty()) {
                problems.add("hypertable " + id + " in the plan is not a migrated source table");
                continue;
            }
            TableInfo t = table.get();
            if (h.timeColumn() == null || !t.columns().contains(h.timeColumn())) {
                problems.add("hypertable " + id + ": time column " + h.timeColumn() + " is not a column of the table (columns: " + t.columns() + ")");
                continue;
            }
            boolean widen = h.extendKeys() != null ? h.extendKeys() : plan.extendKeys();
            for (TableInfo.UniqueIndex u : t.uniqueIndexes()) {
                if (u.columns().contains(h.timeColumn())) {
                    continue;
                }
                if (widen) {
                    extend.add(id);
                } else {
                    problems.add("hypertable " + id + ": " + (u.primary() ? "primary key " : "unique index ") + u.name() + " (" + String.join(", ", u.columns())
                            + ") does not include the time column " + h.timeColumn() + ", which TimescaleDB requires. Choose one: (1) let tsmigrate add "
                            + h.timeColumn() + " to it (--extend-keys, or extend_keys: true for this table in the plan); the sink then matches updates "
                            + "and deletes on (" + String.join(", ", u.columns()) + ") and a row whose time changes moves; (2) keep " + id
                            + " a plain table (leave it out of the hypertables); (3) change the key on the source to include " + h.timeColumn());
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new BootstrapException(String.join("\n", problems));
        }
        return extend;
    }

    /**
     * A plain source table becoming a hypertable: TimescaleDB makes its time column NOT NULL, so a row with NULL there
     * can neither be copied nor streamed. Rows that have one now refuse the plan (before anything is created); a column
     * that merely allows NULL is reported, since such a row written during the migration would stop the sink.
     */
    static void timeColumnsNotNull(Connection src, BootstrapPlan plan, List<TableInfo> tables, Consumer<String> warn) throws SQLException {
        List<String> problems = new ArrayList<>();
        for (BootstrapPlan.HypertableSpec h : plan.hypertables()) {
            String id = h.id();
            TableInfo t = tables.stream().filter(x -> x.id().equals(id)).findFirst().orElse(null);
            if (t == null || t.sourceTime() != null || h.timeColumn() == null) {
                continue;
            }
            String col = Ident.quote(h.timeColumn());
            if ("t".equals(Db.one(src, "SELECT attnotnull FROM pg_attribute WHERE attrelid = " + Ident.literal(t.qualified()) + "::regclass AND attname = "
                    + Ident.literal(h.timeColumn())))) {
                continue;
            }
            if ("t".equals(Db.one(src, "SELECT EXISTS (SELECT 1 FROM " + t.sourceRelation() + " WHERE " + col + " IS NULL)"))) {
                problems.add("hypertable " + id + ": rows of the source have NULL in the time column " + h.timeColumn() + ", which a hypertable "
                        + "refuses. Choose one: give them a time (UPDATE " + t.qualified() + " SET " + col + " = ... WHERE " + col + " IS NULL) or "
                        + "delete them on the source, then ALTER TABLE " + t.qualified() + " ALTER COLUMN " + col + " SET NOT NULL; or keep " + id
                        + " a plain table (leave it out of the hypertables)");
            } else {
                warn.accept("hypertable " + id + ": the time column " + h.timeColumn() + " allows NULL on the source; a row written with NULL there "
                        + "during the migration would stop the sink (a hypertable refuses it): ALTER TABLE " + t.qualified() + " ALTER COLUMN " + col
                        + " SET NOT NULL on the source rules that out");
            }
        }
        if (!problems.isEmpty()) {
            throw new BootstrapException(String.join("\n", problems));
        }
    }
}
