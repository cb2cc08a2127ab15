package io.tsmigrate.sink;

import io.tsmigrate.sink.buffer.Buffered;
import io.tsmigrate.sink.write.Applier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The task's writer thread, which writes one flush while Connect polls and converts the next records, so the
 * worker's CPU and the target's work overlap. At most one write is in flight; the task settles it (waits for it)
 * before its next flush and before any use of the connection on its own thread. Called by the task's thread.
 */
final class WriterThread {

    private static final Logger LOG = LoggerFactory.getLogger(WriterThread.class);

    /**
     * How a write ended: its result, or (when it failed, or waiting for it was interrupted) the records it was given,
     * to go back to the buffer.
     */
    record Settled(Applier.Result result, List<Buffered> failed, boolean interrupted) {
    }

    private final ExecutorService executor;
    private Future<Applier.Result> inFlight;
    private List<Buffered> inFlightItems = List.of();

    WriterThread(String name) {
        executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    boolean busy() {
        return inFlight != null;
    }

    /** Starts writing {@code items}; nothing may be in flight. */
    void submit(List<Buffered> items, Callable<Applier.Result> write) {
        if (inFlight != null) {
            throw new IllegalStateException("a write is in flight");
        }
        inFlightItems = items;
        inFlight = executor.submit(write);
    }

    /**
     * Waits for the write in flight, if any.
     *
     * @return null when nothing was in flight, else how it ended
     */
    Settled settle() {
        if (inFlight == null) {
            return null;
        }
        Future<Applier.Result> pending = inFlight;
        List<Buffered> items = inFlightItems;
        inFlight = null;
        inFlightItems = List.of();
        try {
            return new Settled(pending.get(), List.of(), false);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Settled(null, items, true);
        } catch (ExecutionException e) {
            LOG.info("A write failed; its {} record(s) go back to the buffer: {}", items.size(), e.getCause().getMessage());
            return new Settled(null, items, false);
        }
    }

    /**
     * Lets the write in flight land and stops the thread. A write that fails now is not retried: its records and
     * offsets are not in the target, so the next owner of the partitions reads them again.
     */
    void stop() {
        if (inFlight != null) {
            try {
                inFlight.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException e) {
                LOG.info("The last write before stopping failed; the next task applies its records again: {}", e.getCause().getMessage());
            }
            inFlight = null;
        }
        executor.shutdownNow();
    }
}
