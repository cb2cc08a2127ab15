package io.tsmigrate.bootstrap;

import io.tsmigrate.common.Db;
import io.tsmigrate.common.Ident;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Declaratively partitioned source tables planned as hypertables (the usual way to TimescaleDB from time-partitioned
 * PostgreSQL). TimescaleDB cannot turn a partitioned table into a hypertable, so the target gets the root as a plain
 * table (pg_dump's definition without its {@code PARTITION BY}), which becomes the hypertable, and none of the
 * partitions: the rows are read through the root, and its changes stream under the root's name (the publication
 * publishes partitions via their root).
 */
final class PartitionedHypertables {

    /** pg_dump's spelling of each such root, with pg_dump's spelling of every partition under it (all levels). */
    private final Map<String, List<String>> roots = new LinkedHashMap<>();

    PartitionedHypertables(Connection src, List<BootstrapPlan.HypertableSpec> hypertables) throws SQLException {
        for (BootstrapPlan.HypertableSpec h : hypertables) {
            String root = Ident.literal(Ident.qualified(h.schemaName(), h.tableName()));
            if (!"p".equals(Db.one(src, "SELECT relkind FROM pg_class WHERE oid = to_regclass(" + root + ")"))) {
                continue;
            }
            roots.put(Db.one(src, "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    + "WHERE c.oid = " + root + "::regclass"),
                    Db.lines(src, "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_partition_tree(" + root + "::regclass) pt "
                            + "JOIN pg_class c ON c.oid = pt.relid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE pt.level > 0 ORDER BY 1"));
        }
    }

    /** pg_dump's exclusions of the partitions (their definitions, keys and indexes). */
    List<String> dumpExclusions() {
        return roots.values().stream().flatMap(List::stream).map(p -> "--exclude-table=" + p).toList();
    }

    /** The pre-data script with each such root created as a plain table. */
    String plainRoots(String dump) {
        String out = dump;
        for (String root : roots.keySet()) {
            Matcher m = Pattern.compile("(CREATE TABLE " + Pattern.quote(root) + " \\((?s:.*?)\\n\\))\\nPARTITION BY [^;]*;").matcher(out);
            if (!m.find()) {
                throw new BootstrapException("cannot find the definition of the partitioned table " + root + " in pg_dump's output");
            }
            out = out.substring(0, m.start()) + m.group(1) + ";" + out.substring(m.end());
        }
        return out;
    }

    boolean any() {
        return !roots.isEmpty();
    }
}
