package io.tsmigrate.bootstrap;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

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
            String id = h.schemaName() + "." + h.tableName();
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
}
