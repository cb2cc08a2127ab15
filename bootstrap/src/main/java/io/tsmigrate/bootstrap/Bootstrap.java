package io.tsmigrate.bootstrap;

import io.tsmigrate.common.StateStore;
import io.tsmigrate.common.Ident;

import io.tsmigrate.common.Db;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.PrintStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The bootstrap: schema copy, hypertables, a replication slot with an exported snapshot, a parallel copy of
 * that snapshot, indexes and constraints, sequences, and the hand-over to Debezium. Resumable: every step
 * records its end in the target's state, and a rerun continues where the last run stopped.
 */
public final class Bootstrap {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final BootstrapPlan plan;
    private final boolean restart;
    private final PrintStream out;
    private final ProgressMode progress;

    public Bootstrap(BootstrapPlan plan, boolean restart, PrintStream out, ProgressMode progress) {
        this.plan = plan;
        this.restart = restart;
        this.out = out;
        this.progress = progress;
    }

    /**
     * Runs (or resumes) the bootstrap.
     *
     * @throws BootstrapException for anything the user must fix, with the fix
     */
    public HandOver run() throws Exception {
        try {
            return bootstrap();
        } finally {
            // A keeper never released ends at the end of its input, having made nothing.
            if (keeper != null) {
                keeper.close();
            }
        }
    }

    private KeeperProcess keeper;

    private HandOver bootstrap() throws Exception {
        try (Connection src = plan.source().open("tsmigrate-bootstrap"); Connection tgt = plan.target().open("tsmigrate-bootstrap")) {
            StateStore.State state = StateStore.load(tgt);
            refuseAnotherMigration(state);
            if (restart && state != null) {
                restart(src, tgt, state);
                state = StateStore.load(tgt);
            }
            List<TableInfo> tables = SourceCatalog.tables(src, plan);
            BootstrapPlan effective = withSourceHypertables(src, plan, tables);
            Preflight.Result pf = Preflight.check(src, tgt, effective, tables, state != null && state.slotName() != null);
            pf.warnings().forEach(w -> say("WARN " + w));
            if (!pf.failures().isEmpty()) {
                throw new BootstrapException(String.join("\n", pf.failures()));
            }
            Set<String> extend = HypertablePlan.check(effective, tables);
            HypertablePlan.timeColumnsNotNull(src, effective, tables, w -> say("WARN " + w));
            int sources = sources(state);
            List<Lanes.Lane> lanes = Lanes.of(plan.slotName(), plan.publicationName(), sources);
            if (state != null && state.phase() == StateStore.Phase.DONE) {
                say("The bootstrap is already complete; streaming can start from slot " + state.slotName() + " (use --restart to copy again).");
                return new HandOver(state.slotName(), state.publicationName(), state.consistentLsn(), 0, sources);
            }
            PgTools tools = PgTools.locate(plan.pgBin(), src.getMetaData().getDatabaseMajorVersion());
            if (state == null || state.phase() == StateStore.Phase.SCHEMA || state.phase() == StateStore.Phase.SLOT) {
                // Its JVM starts and connects beside the schema copy; it makes the slot when released below.
                keeper = KeeperProcess.start(plan);
            }
            SchemaCopier schema = new SchemaCopier(effective, tools, src, tgt, this::say);
            if (state == null || state.phase() == StateStore.Phase.SCHEMA) {
                List<String> there = SchemaCopier.existing(tgt, tables);
                if (!there.isEmpty()) {
                    throw new BootstrapException("the target database already has " + there.size() + " of the tables to migrate ("
                            + String.join(", ", there.stream().limit(10).toList()) + (there.size() > 10 ? ", ..." : "") + "): the bootstrap "
                            + "copies the schema into a new target database, and nothing was copied. Migrate into a new database (CREATE "
                            + "DATABASE ... on the target), or drop those tables there first");
                }
                StateStore.create(tgt);
                StateStore.phase(tgt, StateStore.Phase.SCHEMA);
                schema.preData(tables);
                state = StateStore.load(tgt);
            }
            List<PostData.Entry> postData = null;
            if (state.phase() == StateStore.Phase.SLOT) {
                ContinuousAggregates.keepRefreshable(src, ContinuousAggregates.read(src), this::say);
                if (sources > 1 || (state != null && state.sources() > 1)) {
                    // Nothing streams before the slots exist: an earlier attempt's streams (perhaps another number of
                    // them, with the tables split otherwise) are made again.
                    Lanes.drop(src, Lanes.of(plan.slotName(), plan.publicationName(), Math.max(sources, state == null ? 1 : state.sources())), true);
                }
                StateStore.sources(tgt, sources);
                Set<String> everywhere = SplitTables.ids(plan.splitTables());
                List<List<TableInfo>> split = Lanes.split(tables, sources, everywhere);
                for (Lanes.Lane lane : lanes) {
                    createPublication(src, lane.publication(), split.get(lane.number() - 1),
                            t -> everywhere.contains(t.id()) ? SplitTables.filter(t.primaryKey(), sources, lane.number()) : null);
                }
                // The other streams' slots before the snapshot's own, so each can be moved to the snapshot's point.
                try (Connection c = plan.source().open("tsmigrate-bootstrap-lanes")) {
                    new OpenTransactions(plan.source(), java.time.Instant.now(), this::say).during(() -> Lanes.createSlots(c, lanes));
                }
                keeper.release();
                OpenTransactions waits = new OpenTransactions(plan.source(), java.time.Instant.now(), this::say);
                // The post-data section is read while the keeper makes the slot (it does not depend on it).
                postData = schema.postDataEntries(extend);
                state = keeper.awaitSnapshot(tgt, waits);
                say("Slot " + state.slotName() + " created at " + state.consistentLsn() + "; copying snapshot " + state.snapshotName());
            }
            if (sources > 1) {
                try (Connection c = plan.source().open("tsmigrate-bootstrap-lanes")) {
                    Lanes.advance(c, lanes, state.consistentLsn());
                }
                say(sources + " source streams, all from " + state.consistentLsn() + ": " + lanes.stream()
                        .map(l -> "slot " + l.slot() + " with publication " + l.publication()).collect(Collectors.joining("; ")));
            }
            long copied = 0;
            List<TableInfo> copiedTables = new ArrayList<>(tables);
            for (TableInfo m : SourceCatalog.materializations(src)) {
                if (Db.one(tgt, "SELECT to_regclass(" + Ident.literal(m.qualified()) + ")") != null) {
                    copiedTables.add(m);
                }
            }
            Map<String, TableInfo> byId = copiedTables.stream().collect(Collectors.toMap(TableInfo::id, Function.identity(), (a, b) -> a, LinkedHashMap::new));
            if (postData == null) {
                postData = schema.postDataEntries(extend);
            }
            // Each table's indexes and keys build as soon as its copy is complete, beside the rest of the copy.
            Set<String> analyzed;
            List<PostData.Entry> parallel = postData.stream().filter(PostData.Entry::parallel).toList();
            Map<String, String> spelled = PostDataBuilds.spelled(src, copiedTables);
            List<TableInfo> analyzable = PostDataBuilds.analyzable(src, tables);
            try (PostDataBuilds builds = new PostDataBuilds(plan.target(), parallel, copiedTables, spelled, analyzable, effective.indexJobs(), this::say)) {
                if (state.phase() == StateStore.Phase.COPYING) {
                    Set<String> analyzableIds = analyzable.stream().map(TableInfo::id).collect(Collectors.toSet());
                    copied = copy(src, tgt, state, copiedTables, byId, effective, builds, parallel, spelled, analyzableIds);
                    StateStore.phase(tgt, StateStore.Phase.COPIED);
                }
                builds.finish();
                analyzed = builds.analyzed();
            }
            schema.postDataSerial(postData);
            schema.sequences();
            schema.analyze(tables.stream().filter(t -> !analyzed.contains(t.id())).toList());
            TimescaleFeatures.apply(TimescaleFeatures.read(src), tgt, this::say, schema::parallel);
            List<String> quiet = TargetTriggers.quiet(tgt);
            if (!quiet.isEmpty()) {
                say("Triggers and rules disabled on the target until cutover (they would fire for the sink's writes): " + String.join(", ", quiet));
            }
            int views = MaterializedViews.refresh(src, tgt, this::say);
            if (views > 0) {
                say("Materialized views refreshed: " + views + " (from the copied rows; they hold that content until refreshed again)");
            }
            if (copiedTables.size() > tables.size()) {
                // Cutover writes it again once the stream has caught up; until then the target's aggregates answer as of now.
                ContinuousAggregates.writeState(tgt, ContinuousAggregates.readState(src));
            }
            StateStore.phase(tgt, StateStore.Phase.DONE);
            say("Bootstrap complete: " + copied + " rows copied. Start Debezium from slot " + state.slotName() + " with publication "
                    + state.publicationName() + " and snapshot.mode=no_data.");
            return new HandOver(state.slotName(), state.publicationName(), state.consistentLsn(), copied, sources);
        }
    }

    /**
     * The source streams: as the plan asks for a new bootstrap; as recorded once the slots exist (a rerun that does
     * not ask for more resumes with them; asking for another number is refused).
     */
    private int sources(StateStore.State state) {
        if (state == null || state.phase() == StateStore.Phase.SCHEMA || state.phase() == StateStore.Phase.SLOT) {
            return plan.sources();
        }
        if (plan.sources() != 1 && plan.sources() != state.sources()) {
            throw new BootstrapException("this bootstrap was started with " + state.sources() + " source stream(s), not " + plan.sources()
                    + ": resume it with --sources " + state.sources() + ", or start over with --restart");
        }
        return state.sources();
    }

    /**
     * A target database holds one migration's bootstrap: its state names the slot the copy's snapshot belongs to. A
     * run with another slot (another --name) would mix two snapshots in one target, and with --restart would drop the
     * other migration's slot and data.
     */
    private void refuseAnotherMigration(StateStore.State state) {
        if (state == null || state.slotName() == null || state.slotName().equals(plan.slotName())) {
            return;
        }
        throw new BootstrapException("the target database already holds the bootstrap of another migration (slot " + state.slotName()
                + ", publication " + state.publicationName() + ", " + state.phase().name().toLowerCase(java.util.Locale.ROOT)
                + "); nothing was changed. A target database takes one migration: resume that one with its own --name (or --slot "
                + state.slotName() + "), end it with tsmigrate clean under that name, or migrate into another target database");
    }

    private long copy(Connection src, Connection tgt, StateStore.State state, List<TableInfo> tables, Map<String, TableInfo> byId,
            BootstrapPlan effective, PostDataBuilds builds, List<PostData.Entry> entries, Map<String, String> spelled, Set<String> analyzable)
            throws Exception {
        List<Piece> pieces;
        try (Connection snap = plan.source().open("tsmigrate-bootstrap-plan")) {
            DataCopier.importSnapshot(snap, state.snapshotName());
            if (state.pieces() == null) {
                Map<String, String> times = new LinkedHashMap<>();
                effective.hypertables().forEach(h -> times.put(h.id(), h.timeColumn()));
                java.util.Set<String> chunked = plan.compressedCopy() ? CompressedCopy.hypertables(src, tgt, tables, this::say) : java.util.Set.of();
                pieces = PiecePlanner.plan(snap, tgt, tables, times, effective.jobs(), chunked);
                StateStore.pieces(tgt, JSON.writeValueAsString(pieces));
            } else {
                pieces = JSON.readValue(state.pieces(), new TypeReference<List<Piece>>() { });
            }
            snap.commit();
        }
        // Compressed chunks attach to a hypertable whose compression is set up: its settings come before the copy.
        if (pieces.stream().anyMatch(p -> p.compressed() != null)) {
            Set<String> withCompressed = pieces.stream().filter(p -> p.compressed() != null).map(Piece::table).collect(Collectors.toSet());
            for (TimescaleFeatures.Item i : TimescaleFeatures.read(src)) {
                if (i.kind() == TimescaleFeatures.Item.Kind.COMPRESSION_SETTINGS && withCompressed.stream().anyMatch(h -> i.what().endsWith(" " + h))) {
                    try (Statement st = tgt.createStatement()) {
                        st.execute(i.sql());
                    }
                }
            }
        }
        Set<String> done = StateStore.donePieces(tgt);
        List<Piece> todo = pieces.stream().filter(p -> !done.contains(p.key())).toList();
        if (!done.isEmpty()) {
            say("Resuming the copy: " + done.size() + " of " + pieces.size() + " pieces were copied by an earlier run");
        }
        long bytes = todo.stream().mapToLong(Piece::bytes).sum();
        boolean binary = src.getMetaData().getDatabaseMajorVersion() == tgt.getMetaData().getDatabaseMajorVersion();
        // Tables an earlier run copied whole build at once.
        Set<String> copying = todo.stream().map(Piece::table).collect(Collectors.toSet());
        for (Piece p : pieces) {
            if (!copying.contains(p.table())) {
                builds.tableCopied(p.table());
            }
        }
        try (Progress progress = new Progress(bytes, out, this.progress)) {
            ChunkBuilds chunkBuilds = ChunkBuilds.plan(tgt, entries, spelled, pieces, analyzable);
            builds.chunksAnalyzedInCopy(chunkBuilds::analyzesChunks);
            Set<String> textOnly = binary ? SourceCatalog.oidAliasTables(src) : Set.of();
            new DataCopier(plan.source(), plan.target(), state.snapshotName(), byId, binary, textOnly, chunkBuilds, progress)
                    .copy(todo, effective.jobs(), builds::tableCopied);
            return progress.totalRows();
        }
    }

    /**
     * Source hypertables become target hypertables with the same time column and chunk interval, and the same hash
     * dimension when they have one, unless the plan says otherwise.
     */
    private static BootstrapPlan withSourceHypertables(Connection src, BootstrapPlan plan, List<TableInfo> tables) throws SQLException {
        List<BootstrapPlan.HypertableSpec> specs = new ArrayList<>(plan.hypertables());
        for (TableInfo t : tables) {
            if (t.sourceTime() != null && specs.stream().noneMatch(h -> h.id().equals(t.id()))) {
                String[] space = SourceCatalog.spaceDimension(src, t.schema(), t.name());
                specs.add(new BootstrapPlan.HypertableSpec(t.id(), t.sourceTime(), t.sourceInterval(), space == null ? null : space[0],
                        space == null ? null : Integer.valueOf(space[1]), null));
            }
        }
        return plan.withHypertables(specs);
    }

    private static void createPublication(Connection src, String name, List<TableInfo> tables, Function<TableInfo, String> rowFilter)
            throws SQLException {
        if ("1".equals(Db.one(src, "SELECT count(*) FROM pg_publication WHERE pubname = " + Ident.literal(name)))) {
            return;
        }
        // The publication must exist before the slot: pgoutput decodes with the catalog as of each change.
        try (Statement st = src.createStatement()) {
            st.execute(publicationSql(name, tables, Integer.parseInt(Db.one(src, "SHOW server_version_num")), rowFilter));
        }
    }

    /** The publication of the migrated tables, as the bootstrap creates it (and as the preflight tells a superuser to). */
    static String publicationSql(String name, List<TableInfo> tables, int serverVersion) {
        return publicationSql(name, tables, serverVersion, t -> null);
    }

    /** The same, each table with the row filter {@code rowFilter} gives it (null: none; {@link SplitTables}). */
    static String publicationSql(String name, List<TableInfo> tables, int serverVersion, Function<TableInfo, String> rowFilter) {
        String list = tables.stream().map(t -> {
            String filter = rowFilter.apply(t);
            return filter == null ? t.qualified() : t.qualified() + " WHERE (" + filter + ")";
        }).collect(Collectors.joining(", "));
        boolean timescaleSource = tables.stream().anyMatch(t -> t.sourceTime() != null);
        if (list.isEmpty() && !timescaleSource) {
            throw new BootstrapException("no table to migrate: check include_schemas and exclude_tables");
        }
        StringBuilder sql = new StringBuilder("CREATE PUBLICATION " + Ident.quote(name) + " FOR TABLE ").append(list);
        if (timescaleSource) {
            // New chunks of source hypertables are tables in this schema; Debezium's TimescaleDb transform routes them.
            sql.append(", TABLES IN SCHEMA _timescaledb_internal");
        }
        if (serverVersion >= 130000) {
            // Changes of a partition are published as changes of its root: the target may hold the table in another
            // shape (other partitions, a hypertable), and the sink writes to the table the bootstrap made.
            sql.append(" WITH (publish_via_partition_root = true)");
        }
        return sql.toString();
    }

    private void restart(Connection src, Connection tgt, StateStore.State state) throws SQLException, InterruptedException {
        if (state.phase() == StateStore.Phase.DONE || state.phase() == StateStore.Phase.COPIED) {
            throw new BootstrapException("the earlier bootstrap got past the copy, so its indexes and constraints exist already; to start over, "
                    + "run tsmigrate clean and recreate the target database");
        }
        say("Restarting: dropping slot " + state.slotName() + ", publication " + state.publicationName() + " and the copied data");
        try (Statement st = src.createStatement()) {
            if (state.slotName() != null) {
                st.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = "
                        + Ident.literal(SnapshotKeeper.applicationName(state.slotName())));
                waitSlotInactive(src, state.slotName());
                st.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = " + Ident.literal(state.slotName()));
            }
            if (state.publicationName() != null) {
                st.execute("DROP PUBLICATION IF EXISTS " + Ident.quote(state.publicationName()));
            }
        }
        if (state.slotName() != null && state.publicationName() != null) {
            Lanes.drop(src, Lanes.of(state.slotName(), state.publicationName(), state.sources()), false);
        }
        if (state.phase() == StateStore.Phase.SCHEMA) {
            StateStore.drop(tgt);
            return;
        }
        List<TableInfo> tables = SourceCatalog.tables(src, plan);
        if (!tables.isEmpty()) {
            try (Statement st = tgt.createStatement()) {
                st.execute("TRUNCATE " + tables.stream().map(TableInfo::qualified).collect(Collectors.joining(", ")));
            }
        }
        StateStore.resetToSlot(tgt);
    }

    private static void waitSlotInactive(Connection src, String slot) throws SQLException {
        for (int i = 0; i < 50; i++) {
            try (PreparedStatement ps = src.prepareStatement("SELECT active FROM pg_replication_slots WHERE slot_name = ?")) {
                ps.setString(1, slot);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next() || !rs.getBoolean(1)) {
                        return;
                    }
                }
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void say(String line) {
        if (out != null) {
            out.println(line);
            out.flush();
        }
    }
}
