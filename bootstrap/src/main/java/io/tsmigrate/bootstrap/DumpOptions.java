package io.tsmigrate.bootstrap;

import io.tsmigrate.common.Db;
import io.tsmigrate.common.Ident;
import io.tsmigrate.common.MigrationScope;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** What every pg_dump of the schema copy is told besides the sections: owners, tablespaces, views left out. */
final class DumpOptions {

    private final BootstrapPlan plan;
    private final Connection src;
    private final Connection tgt;
    private final Consumer<String> say;
    /** The source's tablespaces that the target lacks; null until the first dump asks. */
    private List<String> missingTablespaces;
    private PartitionedHypertables partitioned;
    /** Views left out because they read a table left out; null until the first dump asks. */
    private List<String> leftOutViews;

    DumpOptions(BootstrapPlan plan, Connection src, Connection tgt, Consumer<String> say) {
        this.plan = plan;
        this.src = src;
        this.tgt = tgt;
        this.say = say;
    }

    /** The partitioned tables planned as hypertables (their partitions are left out of the dumps). */
    PartitionedHypertables partitioned() throws SQLException {
        if (partitioned == null) {
            partitioned = new PartitionedHypertables(src, plan.hypertables());
        }
        return partitioned;
    }

    /**
     * pg_dump's options for owners, tablespaces and views. With roles copied, objects keep their owners and grants;
     * without, the target user owns everything. Objects keep their tablespaces when the target has each one the
     * source's objects use; otherwise (another server's storage) all go to the target's default tablespace, said once.
     * Views that read a table left out are left out ({@link #leftOutViews}).
     */
    List<String> args() throws SQLException {
        List<String> out = new ArrayList<>(plan.copyRoles() ? List.of() : List.of("--no-owner", "--no-privileges"));
        if (missingTablespaces == null) {
            List<String> used = Db.lines(src, "SELECT DISTINCT quote_ident(t.spcname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    + "JOIN pg_tablespace t ON t.oid = c.reltablespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'tsmigrate') "
                    + "AND n.nspname !~ '^(pg_toast|pg_temp|_timescaledb)' ORDER BY 1");
            List<String> present = Db.lines(tgt, "SELECT quote_ident(spcname) FROM pg_tablespace");
            missingTablespaces = used.stream().filter(t -> !present.contains(t)).toList();
            if (!missingTablespaces.isEmpty()) {
                say.accept("WARN tablespaces " + String.join(", ", missingTablespaces) + " of the source are not on the target: every table and "
                        + "index goes to the target database's default tablespace (to keep them apart, CREATE TABLESPACE each on the target "
                        + "first and bootstrap into a fresh target database)");
            }
        }
        if (!missingTablespaces.isEmpty()) {
            out.add("--no-tablespaces");
        }
        out.addAll(leftOutViews());
        out.addAll(partitioned().dumpExclusions());
        return out;
    }

    /**
     * pg_dump's exclusions for the views and materialized views that read a table the selection leaves out (directly
     * or through another view): pg_dump would copy them, and creating them on the target would fail. Said once.
     */
    private List<String> leftOutViews() throws SQLException {
        if (leftOutViews == null) {
            List<String> outside = new ArrayList<>();
            if (!plan.selection().all()) {
                for (String[] t : MigrationScope.userTables(src)) {
                    if (!plan.selection().covers(t[0], t[1])) {
                        outside.add(Ident.quote(t[0]) + "." + Ident.quote(t[1]));
                    }
                }
            }
            leftOutViews = new ArrayList<>();
            if (!outside.isEmpty()) {
                List<String> names = new ArrayList<>();
                try (java.sql.PreparedStatement ps = src.prepareStatement("WITH RECURSIVE dep(oid) AS (SELECT x::regclass::oid FROM unnest(?::text[]) x "
                        + "UNION SELECT r.ev_class FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid JOIN dep ON d.refobjid = dep.oid "
                        + "WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass AND r.ev_class <> d.refobjid) "
                        + "SELECT n.nspname, format('%I.%I', n.nspname, c.relname) FROM dep JOIN pg_class c ON c.oid = dep.oid JOIN pg_namespace n ON n.oid = c.relnamespace "
                        + "WHERE c.relkind IN ('v', 'm') ORDER BY 2")) {
                    ps.setArray(1, src.createArrayOf("text", outside.toArray()));
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            if (plan.selection().coversSchema(rs.getString(1))) {
                                String view = rs.getString(2);
                                names.add(view);
                                leftOutViews.add("--exclude-table=" + view);
                            }
                        }
                    }
                }
                if (!names.isEmpty()) {
                    say.accept("WARN views " + String.join(", ", names) + " read tables the selection leaves out, so they are left out too "
                            + "(create them on the target after cutover if they are still wanted there)");
                }
            }
        }
        return leftOutViews;
    }
}
