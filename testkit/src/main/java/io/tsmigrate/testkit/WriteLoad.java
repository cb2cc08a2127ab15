package io.tsmigrate.testkit;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

/**
 * A write load on a thread of its own, as tests run one beside a migration. Unlike a bare thread, a load that dies
 * fails the test: {@link #check} and {@link #close} throw its error (a load whose writes stopped early would leave
 * the pipeline nothing to catch up with, and the test would pass on less than it claims).
 *
 * <pre>{@code
 * try (WriteLoad load = WriteLoad.repeat("orders", dbs::openSource, 5, (st, n) -> {
 *         st.execute("INSERT INTO orders VALUES (" + n + ")");
 *         return true;
 *     })) {
 *     ... migrate, then load.close() (or leave it to the try) before comparing
 * }
 * }</pre>
 */
public final class WriteLoad implements AutoCloseable {

    /** Opens the connection a repeated load writes on. */
    @FunctionalInterface
    public interface Opener {
        Connection open() throws Exception;
    }

    /** One round of a repeated load ({@code n} from 0); false ends the load as planned (for example, writes were blocked). */
    @FunctionalInterface
    public interface Round {
        boolean run(Statement st, long n) throws Exception;
    }

    /** A load of its own shape; it should return soon after {@code running} turns false. */
    @FunctionalInterface
    public interface Body {
        void run(BooleanSupplier running) throws Exception;
    }

    private final String name;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final AtomicLong rounds;
    private final Thread thread;

    private WriteLoad(String name, AtomicLong rounds, Body body) {
        this.name = name;
        this.rounds = rounds;
        this.thread = new Thread(() -> {
            try {
                body.run(running::get);
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "write-load-" + name);
        thread.setDaemon(true);
    }

    /** Runs {@code round} on one connection, pausing {@code pauseMillis} after each, until the round says stop or the load is closed. */
    public static WriteLoad repeat(String name, Opener open, long pauseMillis, Round round) {
        AtomicLong done = new AtomicLong();
        WriteLoad load = new WriteLoad(name, done, running -> {
            try (Connection c = open.open(); Statement st = c.createStatement()) {
                for (long n = 0; running.getAsBoolean(); n++) {
                    if (!round.run(st, n)) {
                        return;
                    }
                    done.incrementAndGet();
                    if (pauseMillis > 0) {
                        Thread.sleep(pauseMillis);
                    }
                }
            }
        });
        load.thread.start();
        return load;
    }

    /** Runs {@code body} once (it may loop while it is running). */
    public static WriteLoad run(String name, Body body) {
        WriteLoad load = new WriteLoad(name, new AtomicLong(), body);
        load.thread.start();
        return load;
    }

    /** Rounds of a repeated load done so far. */
    public long rounds() {
        return rounds.get();
    }

    /** Whether the load is still writing. */
    public boolean alive() {
        return thread.isAlive();
    }

    /** Throws the load's error, if it died of one; it may go on otherwise. */
    public void check() {
        Throwable e = failure.get();
        if (e != null) {
            throw new AssertionError("the write load " + name + " failed after " + rounds.get() + " rounds: " + e, e);
        }
    }

    /** Waits until the load ends by itself (a body that ends, a round that says stop), then {@link #check}s it. */
    public void awaitEnd(Duration timeout) throws InterruptedException {
        thread.join(timeout.toMillis());
        if (thread.isAlive()) {
            throw new AssertionError("the write load " + name + " did not end within " + timeout);
        }
        check();
    }

    /** Stops the load, waits for it (60 s at most) and throws its error if it died of one. */
    @Override
    public void close() throws InterruptedException {
        running.set(false);
        awaitEnd(Duration.ofSeconds(60));
    }
}
