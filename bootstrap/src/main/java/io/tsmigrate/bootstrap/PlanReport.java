package io.tsmigrate.bootstrap;

import io.tsmigrate.common.Ident;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Locale;

/** The plan as {@code --plan-only} prints it: tables with size and rows, hypertables, and candidates. */
public final class PlanReport {

    private PlanReport() {
    }

    public static String render(BootstrapPlan plan) throws Exception {
        StringBuilder sb = new StringBuilder();
        try (Connection src = plan.source().open("tsmigrate-plan")) {
            List<TableInfo> tables = SourceCatalog.tables(src, plan);
            sb.append(String.format(Locale.ROOT, "%-40s %12s %14s  %s%n", "table", "size", "rows (est.)", "becomes"));
            for (TableInfo t : tables) {
                BootstrapPlan.HypertableSpec h = plan.hypertables().stream().filter(x -> x.id().equals(t.id()))
                        .findFirst().orElse(null);
                String becomes = "table";
                if (h != null) {
                    String interval = h.chunkInterval() != null ? h.chunkInterval() : ChunkInterval.derive(src, h) + " (derived: chunks of about 256 MiB)";
                    becomes = "hypertable on " + h.timeColumn() + ", chunk interval " + interval;
                } else if (t.sourceTime() != null) {
                    becomes = "hypertable on " + t.sourceTime() + ", chunk interval " + t.sourceInterval() + " (as on the source)";
                } else {
                    String candidate = candidate(src, t);
                    if (candidate != null) {
                        becomes = "table (hypertable candidate: --hypertable " + t.id() + ":" + candidate + ")";
                    }
                }
                sb.append(String.format(Locale.ROOT, "%-40s %9.1f MB %14d  %s%n", t.id(), t.bytes() / 1048576.0, t.rowEstimate(), becomes));
            }
            sb.append(String.format(Locale.ROOT, "%d tables, %.1f MB; %d copy jobs, %d index jobs; slot %s, publication %s%n", tables.size(),
                    tables.stream().mapToLong(TableInfo::bytes).sum() / 1048576.0, plan.jobs(), plan.indexJobs(), plan.slotName(), plan.publicationName()));
            if (plan.sources() > 1) {
                List<List<TableInfo>> split = Lanes.split(tables, plan.sources(), SplitTables.ids(plan.splitTables()));
                for (Lanes.Lane lane : plan.lanes()) {
                    List<TableInfo> own = split.get(lane.number() - 1);
                    sb.append(String.format(Locale.ROOT, "source stream %d (slot %s, publication %s): %.1f MB in %s%n", lane.number(), lane.slot(),
                            lane.publication(), own.stream().mapToLong(TableInfo::bytes).sum() / 1048576.0,
                            own.isEmpty() ? "no table" : own.stream().map(TableInfo::id).collect(java.util.stream.Collectors.joining(", "))));
                }
            }
        }
        return sb.toString();
    }

    /** A NOT NULL timestamptz, timestamp or date column that leads an index, on a table of at least 10 MB. */
    static String candidate(Connection src, TableInfo t) throws Exception {
        if (t.bytes() < (10L << 20)) {
            return null;
        }
        try (Statement st = src.createStatement(); ResultSet rs = st.executeQuery("SELECT attname FROM pg_attribute WHERE attrelid = "
                + Ident.literal(t.qualified()) + "::regclass AND attnum > 0 AND NOT attisdropped AND attnotnull AND atttypid IN "
                + "('timestamptz'::regtype, 'timestamp'::regtype, 'date'::regtype) ORDER BY attnum")) {
            while (rs.next()) {
                if (t.indexedColumns().contains(rs.getString(1))) {
                    return rs.getString(1);
                }
            }
        }
        return null;
    }
}
