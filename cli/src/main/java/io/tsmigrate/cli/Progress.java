package io.tsmigrate.cli;

import java.time.Duration;
import java.time.Instant;

/**
 * The online verification's pace: a line every few seconds with rows compared, rate and an estimate of the time
 * left (from the planner's row estimates), and a throttle that keeps the source's reads at a rate. Thread-safe.
 */
final class Progress {

    private final Duration every;
    private final Instant started = Instant.now();
    private Instant lastLine = Instant.now();
    private long total;
    private long done;
    private long throttled;

    Progress(Duration every) {
        this.every = every;
    }

    synchronized void table(long estimatedRows) {
        total += estimatedRows;
    }

    synchronized void step(String table, long rows) {
        done += rows;
        if (Instant.now().isAfter(lastLine.plus(every))) {
            lastLine = Instant.now();
            double secs = Math.max(0.001, Duration.between(started, Instant.now()).toMillis() / 1000.0);
            double rate = done / secs;
            // An estimate only once a hundredth is done: the first tables are often the small, slow-to-start ones.
            String eta = total > done && rate > 0 && done * 100 >= total ? String.format(", about %.0f s left", (total - done) / rate) : "";
            System.out.printf("verify: %s ... %,d of about %,d rows compared (%.0f rows/s)%s%n", table, done, Math.max(total, done), rate, eta);
        }
    }

    /** Sleeps as long as needed so that the rows read since the start stay within {@code rowsPerSecond} (0: no limit). */
    void throttle(long rows, long rowsPerSecond) throws InterruptedException {
        long wait;
        synchronized (this) {
            throttled += rows;
            if (rowsPerSecond <= 0) {
                return;
            }
            long due = started.toEpochMilli() + throttled * 1000 / rowsPerSecond;
            wait = due - System.currentTimeMillis();
        }
        if (wait > 0) {
            Thread.sleep(wait);
        }
    }
}
