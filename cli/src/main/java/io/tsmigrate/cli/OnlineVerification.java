package io.tsmigrate.cli;

import io.tsmigrate.bootstrap.Db;
import io.tsmigrate.bootstrap.Ident;

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
 * While writes go on, a slice of ranges is compared so: (1) the ledger's versions of its ranges are read on the
 * target; (2) the source digests them in one snapshot; (3) a WAL marker is written after that snapshot, and the
 * comparison waits until Debezium has streamed it and the sink has applied every change record before it, so every
 * change the snapshot holds is in the target; (4) the target digests the slice, and reads the ledger again, in one
 * snapshot. A range whose digests agree is recorded as verified at the ledger version of step 4: whatever the sink
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

    private static final int ATTEMPTS = 3;
    /** Slices of changed ranges per wait for the stream. */
    private static final int ROUND = 16;

    private final Names names;
    private final Db source;
    private final Db target;
    private final Endpoints endpoints;
    private final boolean quiet;
    private final long rowsPerSecond;
    private final Duration timeout;
    /** When the current {@link #tables} call stops waiting for the stream. */
    private volatile Instant deadline;
    /** Keep the stream watcher between {@link #tables} calls (passes that follow each other); {@link #close} ends it. */
    private boolean following;
    private final Progress progress;

    /** @param quiet writes are stopped and the stream has caught up: no waiting for the sink, no retries */
    OnlineVerification(Endpoints endpoints, Names names, boolean quiet, long rowsPerSecond, Duration timeout) {
        this.endpoints = endpoints;
        this.names = names;
        this.source = endpoints.source();
        this.target = endpoints.target();
        this.quiet = quiet;
        this.rowsPerSecond = rowsPerSecond;
        this.timeout = timeout;
        this.deadline = Instant.now().plus(timeout);
        this.progress = new Progress(quiet ? Duration.ofDays(1) : Duration.ofSeconds(5));
    }

    /** What comparing one table found, and how many ranges it compared. */
    record TableRun(Verification.Result result, Ranges ranges, long rangesCompared, long moving, List<String> different) {
    }

    /** {@link #table} for each table, on {@code jobs} threads, in the tables' order. */
    List<TableRun> tables(List<String[]> tables, boolean full, int jobs) throws Exception {
        deadline = Instant.now().plus(timeout);
        try (Connection t = target.open("tsmigrate-verify")) {
            Ranges.createTables(t);
        }
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(Math.max(1, jobs));
        try {
            List<java.util.concurrent.Future<TableRun>> futures = new ArrayList<>();
            for (String[] t : tables) {
                futures.add(pool.submit(() -> table(t[0], t[1], full)));
            }
            List<TableRun> out = new ArrayList<>();
            for (var f : futures) {
                try {
                    out.add(f.get());
                } catch (java.util.concurrent.ExecutionException e) {
                    throw e.getCause() instanceof Exception x ? x : e;
                }
            }
            return out;
        } finally {
            pool.shutdownNow();
            if (!following) {
                close();
            }
        }
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
    }

    /** Compares one range again (after a repair) and records the outcome. */
    Outcome recheck(Ranges r, String key) throws Exception {
        String hash;
        try (Connection s = source.open("tsmigrate-verify")) {
            hash = Verification.digest(Verification.columns(s, r.schema(), r.table()));
        }
        long k = r.ranged() ? Long.parseLong(key) : 0;
        Map<String, Outcome> out = compareRound(r, hash, new RangeState(r), List.of(Slice.of(k, k)));
        return out.getOrDefault(key, new Outcome(0, 0, 0, true, null));
    }

    /**
     * Compares one table (the state tables exist: {@link #tables}): every range ({@code full}, or when no pass has completed, or when the sink changed rows
     * whose range it could not tell), else only the ranges changed since they were verified.
     */
    TableRun table(String schema, String table, boolean full) throws Exception {
        String label = schema + "." + table;
        Ranges r;
        RangeState state;
        boolean pass;
        long whole;
        List<Slice> slices;
        String hash;
        try (Connection s = source.open("tsmigrate-verify"); Connection t = target.open("tsmigrate-verify")) {
            if (CheckCommand.one(t, "SELECT to_regclass(" + Ident.literal(Ident.quote(schema) + "." + Ident.quote(table)) + ")") == null) {
                return new TableRun(new Verification.Result(label, 0, 0, List.of(Verification.NOT_ON_TARGET)), null, 0, 0, List.of());
            }
            r = Ranges.define(s, t, schema, table);
            hash = Verification.digest(Verification.columns(s, schema, table));
            state = new RangeState(r);
            whole = state.wholeVersion(t);
            RangeState.Table done = state.table(t);
            pass = full || !done.complete() || whole > done.wholeVersion();
            slices = pass ? Slice.all(s, t, r) : Slice.stale(r, state.stale(t));
            if (pass) {
                state.started(t);
            }
        }
        long sourceRows = 0;
        long targetRows = 0;
        long compared = 0;
        long moving = 0;
        List<String> mismatches = new ArrayList<>();
        List<String> different = new ArrayList<>();
        progress.table(estimate(r));
        // A full pass's slices hold about Slice.ROWS rows each; a pass over changed ranges has many small ones.
        int round = pass ? 1 : ROUND;
        for (int first = 0; first < slices.size(); first += round) {
            Map<String, Outcome> out = compareRound(r, hash, state, slices.subList(first, Math.min(slices.size(), first + round)));
            for (var e : out.entrySet()) {
                Outcome o = e.getValue();
                sourceRows += o.sourceRows();
                targetRows += o.targetRows();
                compared++;
                if (o.detail() != null && o.equal()) {
                    moving++;
                } else if (!o.equal()) {
                    mismatches.add(describe(r, e.getKey()) + ": " + o.detail());
                    different.add(e.getKey());
                }
            }
            progress.step(label, out.values().stream().mapToLong(Outcome::sourceRows).sum());
        }
        // Ranges that kept moving have no verified record and a ledger entry (they moved): the next pass and cutover
        // compare them, so the pass is complete without them.
        if (pass) {
            try (Connection t = target.open("tsmigrate-verify")) {
                state.completed(t, whole);
            }
        }
        return new TableRun(new Verification.Result(label, sourceRows, targetRows, mismatches), r, compared, moving, different);
    }

    /** Whether a whole pass over this table has completed (later changes are known from the ledger). */
    static boolean complete(Connection t, String schema, String table) throws SQLException {
        if (CheckCommand.one(t, "SELECT to_regclass('tsmigrate.verified_tables')") == null) {
            return false;
        }
        return "t".equals(CheckCommand.one(t, "SELECT complete FROM tsmigrate.verified_tables WHERE table_schema = " + Ident.literal(schema)
                + " AND table_name = " + Ident.literal(table)));
    }

    /**
     * Compares the ranges of these slices, trying moving ones again, and records the outcomes. The source digests of
     * all slices come first, then one wait for the stream, then the target's: one catch-up per round, not per slice.
     */
    private Map<String, Outcome> compareRound(Ranges r, String hash, RangeState state, List<Slice> slices) throws Exception {
        Map<String, Outcome> outcomes = new TreeMap<>();
        List<Slice> todo = slices;
        Map<String, Integer> differed = new TreeMap<>();
        String lsn = null;
        for (int attempt = 1; !todo.isEmpty(); attempt++) {
            List<Map<String, Long>> before = new ArrayList<>();
            List<Map<String, String[]>> src = new ArrayList<>();
            // With writes stopped and the stream caught up nothing moves: the target's digests run beside the source's.
            List<Map<String, Long>> afters = new ArrayList<>();
            List<java.util.concurrent.Future<Map<String, String[]>>> targets = new ArrayList<>();
            if (quiet) {
                for (Slice part : todo) {
                    Map<String, Long> after = java.util.Collections.synchronizedMap(new TreeMap<>());
                    afters.add(after);
                    targets.add(sides.submit(() -> digest(target, r, hash, part, (t) -> after.putAll(state.versions(t, part)))));
                }
            }
            for (Slice part : todo) {
                if (quiet) {
                    before.add(Map.of());
                } else {
                    try (Connection t = target.open("tsmigrate-verify")) {
                        before.add(state.versions(t, part));
                    }
                }
                Map<String, String[]> d = digest(source, r, hash, part, null);
                src.add(d);
                progress.throttle(d.values().stream().mapToLong(v -> Long.parseLong(v[0])).sum(), rowsPerSecond);
            }
            if (!quiet) {
                lsn = caughtUp();
            }
            List<String> again = new ArrayList<>();
            for (int i = 0; i < todo.size(); i++) {
                Slice part = todo.get(i);
                Map<String, Long> after;
                Map<String, String[]> tgt;
                if (quiet) {
                    try {
                        tgt = targets.get(i).get();
                    } catch (java.util.concurrent.ExecutionException e) {
                        throw e.getCause() instanceof Exception x ? x : e;
                    }
                    after = afters.get(i);
                } else {
                    Map<String, Long> read = new TreeMap<>();
                    tgt = digest(target, r, hash, part, (t) -> read.putAll(state.versions(t, part)));
                    after = read;
                }
                TreeSet<String> keys = new TreeSet<>(src.get(i).keySet());
                keys.addAll(tgt.keySet());
                keys.addAll(after.keySet());
                for (String k : keys) {
                    String[] a = src.get(i).getOrDefault(k, new String[] {"0", "0"});
                    String[] b = tgt.getOrDefault(k, new String[] {"0", "0"});
                    long version = after.getOrDefault(k, 0L);
                    boolean equal = a[0].equals(b[0]) && a[1].equals(b[1]);
                    String detail = equal ? null : !a[0].equals(b[0]) ? "rows " + a[0] + " on the source, " + b[0] + " on the target" : "same count, different rows";
                    boolean moved = version != before.get(i).getOrDefault(k, 0L);
                    // A moving range is tried once more, then left; a still one that differs is confirmed once.
                    if (!equal && !quiet && !moved && differed.merge(k, 1, Integer::sum) < 2 && attempt < ATTEMPTS) {
                        again.add(k);
                        continue;
                    }
                    if (!equal && !quiet && moved) {
                        // Still changing after every attempt: not verified; cutover compares it with writes stopped.
                        outcomes.put(k, new Outcome(-1, Long.parseLong(a[0]), Long.parseLong(b[0]), true, "changing"));
                        continue;
                    }
                    outcomes.put(k, new Outcome(version, Long.parseLong(a[0]), Long.parseLong(b[0]), equal, detail));
                }
            }
            todo = Slice.stale(r, again);
            if (!todo.isEmpty()) {
                Thread.sleep(200L * attempt);
            }
        }
        try (Connection t = target.open("tsmigrate-verify")) {
            for (Slice slice : slices) {
                Map<String, Outcome> record = new TreeMap<>();
                outcomes.forEach((k, o) -> {
                    long n = r.ranged() && !k.equals(Ranges.ALL) ? Long.parseLong(k) : 0;
                    if (o.version() >= 0 && slice.contains(n)) {
                        record.put(k, o);
                    }
                });
                state.record(t, slice, record, lsn);
            }
        }
        return outcomes;
    }

    private CatchUp catchUp;
    /** Target digests beside the source's, with writes stopped ({@link #quiet}). */
    private final java.util.concurrent.ExecutorService sides = java.util.concurrent.Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "tsmigrate-verify-target");
        t.setDaemon(true);
        return t;
    });
    private Instant lastMarkerAt = Instant.EPOCH;
    private String lastMarker;

    /**
     * Waits until the target holds every change committed on the source before this call; returns the marker's
     * position. Threads that ask while another waits share its next marker (written after they asked).
     */
    private synchronized String caughtUp() throws Exception {
        Instant asked = Instant.now();
        if (lastMarker != null && lastMarkerAt.isAfter(asked)) {
            return lastMarker;
        }
        if (catchUp == null) {
            catchUp = new CatchUp(names, endpoints.kafka(names)).watching(endpoints.connectRest(names));
        }
        try (Connection s = source.open("tsmigrate-verify"); Connection t = target.open("tsmigrate-verify")) {
            Instant at = Instant.now();
            String lsn = CatchUp.emitMarker(s, "verify");
            catchUp.awaitStream(s, lsn, deadline);
            catchUp.awaitSink(t, catchUp.tableChangeEnds(), deadline);
            lastMarker = lsn;
            lastMarkerAt = at;
            return lsn;
        }
    }

    private interface SameSnapshot {
        void read(Connection c) throws SQLException;
    }

    /** Per range key of the slice: rows and digest, in one repeatable-read snapshot (with {@code also} read in it). */
    private static Map<String, String[]> digest(Db db, Ranges r, String hash, Slice slice, SameSnapshot also) throws SQLException {
        Map<String, String[]> out = new TreeMap<>();
        try (Connection c = db.open("tsmigrate-verify")) {
            c.setAutoCommit(false);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            String rows = !r.ranged() ? "" : slice.keys() == null ? " WHERE " + r.between(slice.from(), slice.to()) : r.rowsOf(slice.keys());
            String sql = r.ranged()
                    ? "SELECT (" + r.keyOf(Ident.quote(r.column())) + ")::text, count(*), " + hash + " FROM " + r.qualified() + rows + " GROUP BY 1"
                    : "SELECT '" + Ranges.ALL + "', count(*), " + hash + " FROM " + r.qualified() + " HAVING count(*) > 0";
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
                while (rs.next()) {
                    out.put(rs.getString(1), new String[] {rs.getString(2), rs.getString(3)});
                }
                if (also != null) {
                    also.read(c);
                }
            } catch (SQLException e) {
                throw new CliException("cannot compare " + r.qualified() + " on " + db + ": " + e.getMessage(), e);
            }
            c.commit();
        }
        return out;
    }

    private long estimate(Ranges r) throws SQLException {
        try (Connection s = source.open("tsmigrate-verify")) {
            return Ranges.estimatedRows(s, r.qualified());
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
