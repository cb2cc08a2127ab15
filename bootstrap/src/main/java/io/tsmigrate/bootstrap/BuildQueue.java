package io.tsmigrate.bootstrap;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The index connections' work, handed out so that no connection waits on a lock another connection holds: a job that
 * takes its table exclusively ({@code ALTER TABLE ... ADD CONSTRAINT}, which holds an {@code AccessExclusiveLock} for
 * the whole build, on a hypertable over every chunk) starts only when nothing else of that table runs, and nothing of a
 * table starts while such a job runs; {@code CREATE INDEX}es of one table run side by side. A connection that would have
 * waited for the lock builds another table's indexes instead. Among the jobs that may start, the largest table's go
 * first, then in the order they came.
 *
 * @param <T> what a job carries
 */
final class BuildQueue<T> {

    /** What a job needs of its table. */
    enum Lock {
        /** Beside other shared jobs of the table. */
        SHARED,
        /** Alone on the table. */
        EXCLUSIVE,
        /** Nothing this queue orders (a job that waits for nothing the builds hold). */
        NONE
    }

    /** A job as handed out; give it back to {@link #done}. */
    record Taken<T>(T item, String table, Lock lock, long bytes, long order) {
    }

    private final Comparator<Taken<T>> first = Comparator.<Taken<T>>comparingLong(Taken::bytes).reversed().thenComparingLong(Taken::order);
    private final List<Taken<T>> ready = new ArrayList<>();
    private final Map<String, Integer> shared = new HashMap<>();
    private final Set<String> exclusive = new HashSet<>();
    private final Map<String, Integer> builds = new HashMap<>();
    private long order;
    private int running;
    private boolean closed;

    /**
     * Adds a job; {@code table} may be null for one that concerns no single table. A caller adding several jobs of one
     * table holds this queue's monitor around them, so that {@link #done} cannot report the table's last build between.
     */
    synchronized void add(T item, String table, Lock lock, long bytes) {
        Taken<T> t = new Taken<>(item, table, lock, bytes, order++);
        int at = 0;
        while (at < ready.size() && first.compare(ready.get(at), t) <= 0) {
            at++;
        }
        ready.add(at, t);
        if (table != null && lock != Lock.NONE) {
            builds.merge(table, 1, Integer::sum);
        }
        notifyAll();
    }

    /**
     * The first job that may start now; waits for one. Null once {@link #close} was called and nothing is left to
     * start or running (a running job may still add more).
     */
    synchronized Taken<T> take() throws InterruptedException {
        while (true) {
            Taken<T> t = poll();
            if (t != null) {
                return t;
            }
            if (closed && ready.isEmpty() && running == 0) {
                return null;
            }
            wait();
        }
    }

    /** The first job that may start now, or null. */
    synchronized Taken<T> poll() {
        for (int i = 0; i < ready.size(); i++) {
            Taken<T> t = ready.get(i);
            if (mayStart(t)) {
                ready.remove(i);
                running++;
                if (t.lock() == Lock.SHARED) {
                    shared.merge(t.table(), 1, Integer::sum);
                } else if (t.lock() == Lock.EXCLUSIVE) {
                    exclusive.add(t.table());
                }
                return t;
            }
        }
        return null;
    }

    /**
     * Marks a job finished.
     *
     * @return whether it was its table's last build (exclusive or shared) queued or running
     */
    synchronized boolean done(Taken<T> t) {
        running--;
        boolean last = false;
        if (t.lock() == Lock.SHARED) {
            shared.merge(t.table(), -1, Integer::sum);
        } else if (t.lock() == Lock.EXCLUSIVE) {
            exclusive.remove(t.table());
        }
        if (t.table() != null && t.lock() != Lock.NONE) {
            last = builds.merge(t.table(), -1, Integer::sum) == 0;
        }
        notifyAll();
        return last;
    }

    /** No more jobs come from outside: {@link #take} returns null once everything is done. */
    synchronized void close() {
        closed = true;
        notifyAll();
    }

    /** After a failure: nothing more starts; {@link #take} returns null once the running jobs are given back. */
    synchronized void abort() {
        closed = true;
        ready.clear();
        notifyAll();
    }

    private boolean mayStart(Taken<T> t) {
        if (t.table() == null || t.lock() == Lock.NONE) {
            return true;
        }
        if (exclusive.contains(t.table())) {
            return false;
        }
        return t.lock() == Lock.SHARED || shared.getOrDefault(t.table(), 0) == 0;
    }
}
