package io.tsmigrate.cli;

import io.tsmigrate.common.Db;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * The comparison of one table's slices ({@link OnlineVerification} says why it is exact), in attempts of two sides:
 * {@link #sourceSide} (the ledger's versions, then the source's digests, each in a snapshot whose WAL position it
 * returns) and, once the target holds every change before that position, {@link #targetSide} (the target's digests
 * with the ledger's versions in the same snapshot). The caller waits for the stream in between, once for all the
 * rounds it runs together. Ranges that differ without having moved are tried again, up to {@link #ATTEMPTS}; then
 * {@link #record} writes the outcomes. Not thread-safe: one thread a side at a time.
 */
final class RangeRound {

    private static final int ATTEMPTS = 3;

    private final Ranges r;
    private final String hash;
    private final RangeState state;
    private final List<Slice> slices;
    private final boolean quiet;
    private final Map<String, OnlineVerification.Outcome> outcomes = new TreeMap<>();
    private final Map<String, Integer> differed = new TreeMap<>();
    private List<Slice> todo;
    private int attempt;
    private final List<Map<String, Long>> before = new ArrayList<>();
    private final List<Map<String, String[]>> src = new ArrayList<>();
    private final List<Map<String, Long>> afters = new ArrayList<>();
    private final List<Future<Map<String, String[]>>> targets = new ArrayList<>();

    /** @param quiet writes are stopped and the stream has caught up: the target's digests run beside the source's, nothing is tried again */
    RangeRound(Ranges r, String hash, RangeState state, List<Slice> slices, boolean quiet) {
        this.r = r;
        this.hash = hash;
        this.state = state;
        this.slices = slices;
        this.quiet = quiet;
        this.todo = slices;
    }

    boolean done() {
        return todo.isEmpty();
    }

    int attempt() {
        return attempt;
    }

    /**
     * The source's side of the next attempt; returns the source's WAL position after its snapshots. With {@code quiet},
     * the target's digests are started on {@code sides} at once.
     */
    String sourceSide(SessionPool source, SessionPool target, ExecutorService sides, Progress progress, long rowsPerSecond) throws Exception {
        attempt++;
        before.clear();
        src.clear();
        afters.clear();
        targets.clear();
        if (quiet) {
            for (Slice part : todo) {
                Map<String, Long> after = Collections.synchronizedMap(new TreeMap<>());
                afters.add(after);
                targets.add(sides.submit(() -> digest(target, r, hash, part, null, (t) -> after.putAll(state.versions(t, part)))));
            }
        }
        String since = null;
        for (Slice part : todo) {
            if (quiet) {
                before.add(Map.of());
            } else {
                try (Connection t = target.open("tsmigrate-verify")) {
                    before.add(state.versions(t, part));
                }
            }
            String[] read = new String[1];
            // Read first, so that it takes the snapshot: every commit the digest sees lies before this position.
            Map<String, String[]> d = digest(source, r, hash, part, (c) -> read[0] = Db.one(c, "SELECT pg_current_wal_insert_lsn()::text"), null);
            since = since == null || CatchUp.lsnNumber(read[0]) > CatchUp.lsnNumber(since) ? read[0] : since;
            src.add(d);
            progress.throttle(d.values().stream().mapToLong(v -> Long.parseLong(v[0])).sum(), rowsPerSecond);
        }
        return since;
    }

    /** The target's side of the attempt (the target holds every change before the source side's position): the outcomes, and what to try again. */
    void targetSide(SessionPool target) throws Exception {
        List<String> again = new ArrayList<>();
        for (int i = 0; i < todo.size(); i++) {
            Slice part = todo.get(i);
            Map<String, Long> after;
            Map<String, String[]> tgt;
            if (quiet) {
                try {
                    tgt = targets.get(i).get();
                } catch (ExecutionException e) {
                    throw e.getCause() instanceof Exception x ? x : e;
                }
                after = afters.get(i);
            } else {
                Map<String, Long> read = new TreeMap<>();
                tgt = digest(target, r, hash, part, null, (t) -> read.putAll(state.versions(t, part)));
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
                // A still range that differs is confirmed once more; a moving one is left.
                if (!equal && !quiet && !moved && differed.merge(k, 1, Integer::sum) < 2 && attempt < ATTEMPTS) {
                    again.add(k);
                    continue;
                }
                if (!equal && !quiet && moved) {
                    // Changing while compared: not verified; the next pass or cutover compares it again.
                    outcomes.put(k, new OnlineVerification.Outcome(-1, Long.parseLong(a[0]), Long.parseLong(b[0]), true, "changing"));
                    continue;
                }
                outcomes.put(k, new OnlineVerification.Outcome(version, Long.parseLong(a[0]), Long.parseLong(b[0]), equal, detail));
            }
        }
        todo = Slice.stale(r, again);
    }

    /** Records the outcomes of the round's slices (verified at the marker {@code lsn}); returns them by range key. */
    Map<String, OnlineVerification.Outcome> record(SessionPool target, String lsn) throws SQLException {
        try (Connection t = target.open("tsmigrate-verify")) {
            for (Slice slice : slices) {
                Map<String, OnlineVerification.Outcome> record = new TreeMap<>();
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

    private interface SameSnapshot {
        void read(Connection c) throws SQLException;
    }

    /** Per range key of the slice: rows and digest, in one repeatable-read snapshot (with {@code first} and {@code also} read in it, before and after). */
    private static Map<String, String[]> digest(SessionPool db, Ranges r, String hash, Slice slice, SameSnapshot first, SameSnapshot also) throws SQLException {
        Map<String, String[]> out = new TreeMap<>();
        try (Connection c = db.open("tsmigrate-verify")) {
            // JIT compilation off: the digests' cost estimates pass its thresholds, and compiling took 300 ms to 1 s a
            // query, more than the query (132 ms for 40,000 rows of 2,000 scattered ranges without it).
            try (Statement st = c.createStatement()) {
                st.execute("SET jit = off");
            }
            c.setAutoCommit(false);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            String rows = !r.ranged() ? "" : slice.keys() == null ? " WHERE " + r.between(slice.from(), slice.to()) : r.rowsOf(slice.keys());
            String sql = r.ranged()
                    ? "SELECT (" + r.keyOf(io.tsmigrate.common.Ident.quote(r.column())) + ")::text, count(*), " + hash + " FROM " + r.qualified() + rows + " GROUP BY 1"
                    : "SELECT '" + Ranges.ALL + "', count(*), " + hash + " FROM " + r.qualified() + " HAVING count(*) > 0";
            if (first != null) {
                first.read(c);
            }
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
}
