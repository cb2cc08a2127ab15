package io.tsmigrate.bootstrap;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Copy progress: rows and bytes in total, rate and ETA, shown as the {@link ProgressMode} says. Thread-safe.
 */
final class Progress implements AutoCloseable {

    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong totalRows = new AtomicLong();
    private final long expectedBytes;
    private final PrintStream out;
    private final ProgressBar bar;
    private final long started = System.currentTimeMillis();
    private final Thread ticker;
    private final ProgressMode mode;

    Progress(long expectedBytes, PrintStream out, ProgressMode mode) {
        this.expectedBytes = Math.max(1, expectedBytes);
        this.out = out;
        this.mode = mode;
        boolean terminal = mode == ProgressMode.BAR;
        this.bar = terminal ? new ProgressBarBuilder().setTaskName("copy").setInitialMax(this.expectedBytes >> 20).setUnit(" MiB", 1)
                .setStyle(ProgressBarStyle.ASCII).showSpeed().build() : null;
        this.ticker = terminal || out == null ? null : new Thread(this::tick, "tsmigrate-progress");
        if (ticker != null) {
            ticker.setDaemon(true);
            ticker.start();
        }
    }

    void bytes(String table, long n) {
        long now = bytes.addAndGet(n);
        if (bar != null) {
            bar.stepTo(Math.min(now, expectedBytes) >> 20);
        }
    }

    void rows(String table, long n) {
        totalRows.addAndGet(n);
        if (bar != null) {
            bar.setExtraMessage(totalRows.get() + " rows");
        }
    }

    long totalRows() {
        return totalRows.get();
    }

    private void tick() {
        try {
            while (!Thread.currentThread().isInterrupted()) {
                Thread.sleep(2000);
                line();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void line() {
        double secs = Math.max(0.001, (System.currentTimeMillis() - started) / 1000.0);
        double rate = bytes.get() / secs;
        long eta = rate <= 0 ? -1 : Math.max(0, Math.round((expectedBytes - bytes.get()) / rate));
        if (mode == ProgressMode.JSON) {
            out.printf(java.util.Locale.ROOT, "{\"event\":\"copy-progress\",\"rows\":%d,\"bytes\":%d,\"expected_bytes\":%d,\"bytes_per_s\":%.0f,\"eta_s\":%d}%n",
                    totalRows.get(), bytes.get(), expectedBytes, rate, eta);
        } else {
            out.printf(java.util.Locale.ROOT, "copy: %d rows, %.1f of %.1f MiB (%.0f%%), %.1f MiB/s, %s left%n", totalRows.get(), bytes.get() / 1048576.0,
                    expectedBytes / 1048576.0, Math.min(100.0, 100.0 * bytes.get() / expectedBytes), rate / 1048576.0, eta < 0 ? "?" : eta + " s");
        }
        out.flush();
    }

    @Override
    public void close() {
        if (ticker != null) {
            ticker.interrupt();
            line();
        }
        if (bar != null) {
            bar.close();
        }
    }
}
