package io.tsmigrate.cli;

import io.tsmigrate.common.RowDigest;
import io.tsmigrate.common.VerificationTables;
import io.tsmigrate.common.Db;
import io.tsmigrate.common.Ident;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Comparing source and target range by range ({@link Ranges}), while the stream runs or with writes stopped.
 * <p>
 * While writes go on, a slice of ranges is compared so ({@link RangeRound}): (1) the ledger's versions of its ranges
 * are read on the target; (2) the source digests them in one snapshot, whose first statement reads the WAL insert
 * position (every commit the snapshot sees lies before it); (3) the comparison waits until Debezium has streamed a
 * WAL marker at or past that position and the sink has applied every change record before it, so every change the
 * snapshot holds is in the target; (4) the target digests the slice, and reads the ledger again, in one snapshot.
 * A range whose digests agree is recorded as verified at the ledger version of step 4: whatever the sink
 * applies to it later raises that version, so {@code cutover} compares it again. A range that differs while the
 * ledger shows the sink changed it between steps 1 and 4 was moving: it is left unverified for the next pass (or
 * cutover), which a changed-range pass finds in the ledger anyway. A range that differs twice with no change in
 * between is reported different, with its bounds.
 * <p>
 * With writes stopped and the stream caught up ({@code quiet}), each range is compared once.
 */
final class OnlineVerification {

    /** The outcome of one range. */
    record Outcome(long version, long sourceRows, long targetRows, boolean equal, String detail) {
    }

    private final Names names;
    private final SessionPool source;
    private final SessionPool target;
    private final Endpoints endpoints;
    private final boolean quiet;
    private final long rowsPerSecond;
    private final Duration timeout;
    /** When the current {@link #tables} call stops waiting for the stream. */
    private volatile Instant deadline;
    /** Keep the stream watcher between {@link #tables} calls (passes that follow each other); {@link #close} ends it. */
    private boolean following;
    /** Whether digests hash as UTF-8; the servers' encodings do not change during a run. */
    private Boolean asUtf8;
    private final Progress progress;

    /** @param quiet writes are stopped and the stream has caught up: no waiting for the sink, no retries */
    OnlineVerification(Endpoints endpoints, Names names, boolean quiet, long rowsPerSecond, Duration timeout) {
        this.endpoints = endpoints;
        this.names = names;
        this.source = new SessionPool(endpoints.source());
        this.target = new SessionPool(endpoints.target());
        this.quiet = quiet;
        this.rowsPerSecond = rowsPerSecond;
        this.timeout = timeout;
        this.deadline = Instant.now().plus(timeout);
        this.progress = new Progress(quiet ? Duration.ofDays(1) : Duration.ofSeconds(5));
    }

    /** What comparing one table found, and how many ranges it compared. */
    record TableRun(Verification.Result result, Ranges ranges, long rangesCompared, long moving, List<String> different) {
    }

    /** One table's pass, set up: its ranges, what to compare ({@code full}: every range), and what it found so far. */
    private static final class Plan {
        final String label;
        final Ranges r;
        final String hash;
        final RangeState state;
        final boolean full;
        final long whole;
        final List<Slice> slices;
        /** The newest ledger version read before the ranges to compare: checked once the pass completes (-1: do not record). */
        final long newest;
        /** The source table's partitions when a full pass began ({@link RangeState#partitions}). */
        final String partitions;
        final Map<String, Outcome> outcomes = new TreeMap<>();

        Plan(String label, Ranges r, String hash, RangeState state, boolean full, long whole, List<Slice> slices) {
            this(label, r, hash, state, full, whole, slices, -1, null);
        }

        Plan(String label, Ranges r, String hash, RangeState state, boolean full, long whole, List<Slice> slices, long newest, String partitions) {
            this.label = label;
            this.r = r;
            this.hash = hash;
            this.state = state;
            this.full = full;
            this.whole = whole;
            this.slices = slices;
            this.newest = newest;
            this.partitions = partitions;
        }
    }

    /**
     * Each table's pass, on {@code jobs} threads, reported in the tables' order. The passes over changed ranges (the
     * common case after a first complete pass: a follower, cutover), and full passes of one slice, run together: every
     * table's source digests, one wait for the stream, every table's target digests. Full passes of several slices
     * compare a slice of about {@link Slice#ROWS} rows a wait, table by table. Sessions are kept between uses
     * ({@link SessionPool}).
     */
    List<TableRun> tables(List<String[]> tables, boolean full, int jobs) throws Exception {
        deadline = Instant.now().plus(timeout);
        try (Connection t = target.open("tsmigrate-verify")) {
            VerificationTables.create(t);
            Instant at = Instant.now();
            RangeState.analyzeIfStale(t);
            Trace.of("state tables", "statistics", at);
        }
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(Math.max(1, jobs));
        try {
            List<Object> planned = all(pool, tables.stream().map(t -> (java.util.concurrent.Callable<Object>) () -> plan(t[0], t[1], full)).toList());
            List<Plan> changed = new ArrayList<>();
            List<java.util.concurrent.Callable<Void>> fulls = new ArrayList<>();
            for (Object o : planned) {
                // A full pass of one slice (a small table) joins the changed ranges' passes: one wait for all of them.
                if (o instanceof Plan p && p.full && p.slices.size() > 1) {
                    fulls.add(() -> {
                        for (Slice slice : p.slices) {
                            compare(pool, List.of(p), List.of(List.of(slice)), false);
                        }
                        return null;
                    });
                } else if (o instanceof Plan p) {
                    changed.add(p);
                }
            }
            compare(pool, changed, changed.stream().map(p -> p.slices).toList(), true);
            // A full pass compares its slices one after the other on its own thread (compare does not use the pool then).
            all(pool, fulls);
            List<TableRun> out = new ArrayList<>();
            for (Object o : planned) {
                out.add(o instanceof Plan p ? finish(p) : (TableRun) o);
            }
            return out;
        } finally {
            pool.shutdownNow();
            if (!following) {
                close();
            }
        }
    }

    /** Runs the tasks on the pool and returns their results in order; the first failure is thrown as itself. */
    private static <T> List<T> all(java.util.concurrent.ExecutorService pool, List<? extends java.util.concurrent.Callable<T>> tasks) throws Exception {
        List<java.util.concurrent.Future<T>> futures = new ArrayList<>();
        for (var task : tasks) {
            futures.add(pool.submit(task));
        }
        List<T> out = new ArrayList<>();
        for (var f : futures) {
            try {
                out.add(f.get());
            } catch (java.util.concurrent.ExecutionException e) {
                throw e.getCause() instanceof Exception x ? x : e;
            }
        }
        return out;
    }

    /** Keeps the stream watcher from one {@link #tables} call to the next, until {@link #close}. */
    OnlineVerification following() {
        following = true;
        return this;
    }

    /** Ends the stream watcher. */
    synchronized void close() {
        if (catchUp != null) {
            catchUp.close();
            catchUp = null;
        }
        source.close();
        target.close();
    }

    /** Whether digests hash as UTF-8 ({@link RowDigest#encodingsDiffer}), asked once per run. */
    private synchronized boolean asUtf8(Connection s, Connection t) throws SQLException {
        if (asUtf8 == null) {
            asUtf8 = RowDigest.encodingsDiffer(s, t);
        }
        return asUtf8;
    }

    /** Compares one range again (after a repair) and records the outcome. */
    Outcome recheck(Ranges r, String key) throws Exception {
        String hash;
        try (Connection s = source.open("tsmigrate-verify"); Connection t = target.open("tsmigrate-verify")) {
            hash = Verification.digest(Verification.columns(s, r.schema(), r.table()), asUtf8(s, t));
        }
        long k = r.ranged() ? Long.parseLong(key) : 0;
        Plan p = new Plan(r.schema() + "." + r.table(), r, hash, new RangeState(r), false, 0, List.of(Slice.of(k, k)));
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            compare(pool, List.of(p), List.of(p.slices), false);
        } finally {
            pool.shutdownNow();
        }
        return p.outcomes.getOrDefault(key, new Outcome(0, 0, 0, true, null));
    }

    /**
     * Sets up one table's pass (the state tables exist: {@link #tables}): every range ({@code full}, or when no pass
     * has completed, or when the sink changed rows whose range it could not tell), else only the ranges changed
     * since they were verified. A table missing on the target is its run at once.
     */
    private Object plan(String schema, String table, boolean full) throws Exception {
        String label = schema + "." + table;
        Instant began = Instant.now();
        try (Connection s = source.open("tsmigrate-verify"); Connection t = target.open("tsmigrate-verify")) {
            if (Db.one(t, "SELECT to_regclass(" + Ident.literal(Ident.quote(schema) + "." + Ident.quote(table)) + ")") == null) {
                return new TableRun(new Verification.Result(label, 0, 0, List.of(Verification.NOT_ON_TARGET)), null, 0, 0, List.of());
            }
            Ranges r = Ranges.define(s, t, schema, table);
            String hash = Verification.digest(Verification.columns(s, schema, table), asUtf8(s, t));
            RangeState state = new RangeState(r);
            long whole = state.wholeVersion(t);
            RangeState.Table done = state.table(t);
            String partitions = RangeState.partitions(s, r.qualified());
            boolean pass = full || !done.complete() || whole > done.wholeVersion() || !java.util.Objects.equals(partitions, done.partitions());
            long newest = state.newestVersion(t);
            List<Slice> slices = pass ? Slice.all(s, t, r) : Slice.stale(r, state.stale(t, done.checkedVersion()));
            if (pass) {
                state.started(t);
            }
            progress.table(Ranges.estimatedRows(s, r.qualified()));
            Trace.of(label, (pass ? "full" : "changed") + " pass set-up, " + slices.size() + " slices", began);
            return new Plan(label, r, hash, state, pass, whole, slices, newest, partitions);
        }
    }

    /** One table's run from its outcomes; a full pass is recorded complete. */
    private TableRun finish(Plan p) throws SQLException {
        long sourceRows = 0;
        long targetRows = 0;
        long moving = 0;
        List<String> mismatches = new ArrayList<>();
        List<String> different = new ArrayList<>();
        for (var e : p.outcomes.entrySet()) {
            Outcome o = e.getValue();
            sourceRows += o.sourceRows();
            targetRows += o.targetRows();
            if (o.detail() != null && o.equal()) {
                moving++;
            } else if (!o.equal()) {
                mismatches.add(describe(p.r, e.getKey()) + ": " + o.detail());
                different.add(e.getKey());
            }
        }
        // Ranges that kept moving have no verified record and a ledger entry (they moved): the next pass and cutover
        // compare them, so the pass is complete without them.
        if (p.full || p.newest >= 0) {
            try (Connection t = target.open("tsmigrate-verify")) {
                if (p.full) {
                    p.state.completed(t, p.whole, p.partitions);
                }
                // Every change up to the version read before the pass is compared now: a range that kept moving changed
                // again during the pass, after that version, and so stays in the next pass's reading.
                if (p.newest >= 0) {
                    p.state.checked(t, p.newest);
                }
            }
        }
        return new TableRun(new Verification.Result(p.label, sourceRows, targetRows, mismatches), p.r, p.outcomes.size(), moving, different);
    }

    /**
     * Compares these plans' slices ({@code slices.get(i)} of {@code plans.get(i)}) together: each attempt runs every
     * plan's source side on the pool, waits once for the stream, then runs every target side; ranges to confirm are
     * tried again the same way. Adds the outcomes to the plans and records them.
     */
    private void compare(java.util.concurrent.ExecutorService pool, List<Plan> plans, List<List<Slice>> slices, boolean parallel) throws Exception {
        Map<RangeRound, Plan> planOf = new java.util.LinkedHashMap<>();
        for (int i = 0; i < plans.size(); i++) {
            if (!slices.get(i).isEmpty()) {
                Plan p = plans.get(i);
                planOf.put(new RangeRound(p.r, p.hash, p.state, slices.get(i), quiet), p);
            }
        }
        List<RangeRound> rounds = List.copyOf(planOf.keySet());
        String lsn = null;
        Instant at = Instant.now();
        for (List<RangeRound> todo = rounds; !todo.isEmpty(); todo = todo.stream().filter(x -> !x.done()).toList()) {
            if (todo != rounds) {
                Thread.sleep(200L * todo.get(0).attempt());
            }
            List<String> since = each(pool, todo, parallel, x -> x.sourceSide(source, target, sides, progress, rowsPerSecond));
            Trace.of(todo.size() + " tables", "source sides", at);
            if (!quiet) {
                at = Instant.now();
                lsn = caughtUp(since.stream().max(java.util.Comparator.comparingLong(CatchUp::lsnNumber)).orElseThrow());
                Trace.of(todo.size() + " tables", "stream wait", at);
            }
            at = Instant.now();
            each(pool, todo, parallel, x -> {
                x.targetSide(target);
                return null;
            });
            Trace.of(todo.size() + " tables", "target sides", at);
        }
        String verifiedAt = lsn;
        each(pool, rounds, parallel, x -> {
            Plan p = planOf.get(x);
            Map<String, Outcome> out = x.record(target, verifiedAt);
            synchronized (p) {
                p.outcomes.putAll(out);
            }
            progress.step(p.label, out.values().stream().mapToLong(Outcome::sourceRows).sum());
            return null;
        });
    }

    private interface Step<T> {
        T run(RangeRound round) throws Exception;
    }

    /** {@code step} for each round: on the pool when {@code parallel}, else here, one after the other. */
    private static <T> List<T> each(java.util.concurrent.ExecutorService pool, List<RangeRound> rounds, boolean parallel, Step<T> step) throws Exception {
        if (!parallel) {
            List<T> out = new ArrayList<>();
            for (RangeRound x : rounds) {
                out.add(step.run(x));
            }
            return out;
        }
        return all(pool, rounds.stream().map(x -> (java.util.concurrent.Callable<T>) () -> step.run(x)).toList());
    }

    private CatchUp catchUp;
    /** Target digests beside the source's, with writes stopped ({@link #quiet}). */
    private final java.util.concurrent.ExecutorService sides = java.util.concurrent.Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "tsmigrate-verify-target");
        t.setDaemon(true);
        return t;
    });
    private String lastMarker;
    /** Waits for the stream since the last {@link #waits} call, and the time they took. */
    private long waitCount;
    private long waitMillis;

    /** How often and how long the comparisons waited for the stream since the last call (then starts again). */
    synchronized String waits() {
        String out = String.format("%d stream waits, %.1f s", waitCount, waitMillis / 1000.0);
        waitCount = 0;
        waitMillis = 0;
        return out;
    }

    /**
     * Waits until the target holds every change committed on the source before WAL position {@code since}; returns
     * the marker's position. A marker already waited for at or past {@code since} serves: threads whose source
     * snapshots were taken before another's marker share its wait.
     */
    private synchronized String caughtUp(String since) throws Exception {
        Instant asked = Instant.now();
        if (lastMarker != null && CatchUp.lsnNumber(lastMarker) >= CatchUp.lsnNumber(since)) {
            return lastMarker;
        }
        if (catchUp == null) {
            catchUp = CatchUp.of(endpoints, names).watching(Cluster.running(endpoints, names).connect());
        }
        try (Connection s = source.open("tsmigrate-verify"); Connection t = target.open("tsmigrate-verify")) {
            String lsn = CatchUp.emitMarker(s, "verify");
            Instant at = Instant.now();
            catchUp.awaitStream(s, lsn, deadline);
            Trace.of("marker " + lsn, "through Debezium", at);
            at = Instant.now();
            var ends = catchUp.tableChangeEnds();
            Trace.of("marker " + lsn, "topic ends", at);
            at = Instant.now();
            catchUp.awaitSink(t, ends, deadline);
            Trace.of("marker " + lsn, "sink", at);
            lastMarker = lsn;
            waitCount++;
            waitMillis += Duration.between(asked, Instant.now()).toMillis();
            return lsn;
        }
    }

    /** A range as a person reads it: its bounds. */
    static String describe(Ranges r, String key) {
        if (!r.ranged() || !key.matches("-?[0-9]+")) {
            return "whole table";
        }
        long k = Long.parseLong(key);
        if (k == Ranges.NULL_KEY && r.nullable()) {
            return r.column() + " IS NULL";
        }
        if (r.type().startsWith("timestamp") || r.type().equals("date")) {
            return r.column() + " from " + Instant.ofEpochSecond(k * r.width()) + " to " + Instant.ofEpochSecond((k + 1) * r.width());
        }
        return r.column() + " " + (k * r.width()) + " to " + ((k + 1) * r.width() - 1);
    }
}
