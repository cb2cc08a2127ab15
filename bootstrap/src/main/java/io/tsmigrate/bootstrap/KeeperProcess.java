package io.tsmigrate.bootstrap;

import io.tsmigrate.common.Db;
import io.tsmigrate.common.StateStore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The bootstrap's handle on its {@link SnapshotKeeper}: started before the schema copy (its JVM starts and connects
 * beside pg_dump and psql), released when the slot is due, then awaited until its snapshot is in the target's state.
 * Closing a keeper that was never released ends it, having made nothing.
 */
final class KeeperProcess implements AutoCloseable {

    private final Process process;
    private final Path log;

    private KeeperProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** Starts the keeper of {@code plan}'s slot; its output goes to a log in the temporary folder. */
    static KeeperProcess start(BootstrapPlan plan) throws Exception {
        Path log = Path.of(System.getProperty("java.io.tmpdir"), "tsmigrate-snapshot-keeper-" + plan.slotName() + ".log");
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder pb = new ProcessBuilder(java, "-cp", classpath(), SnapshotKeeper.class.getName(),
                plan.source().url(), nullToEmpty(plan.source().user()), plan.target().url(), nullToEmpty(plan.target().user()), plan.slotName(),
                plan.publicationName());
        // Passwords in the environment, never on a command line.
        pb.environment().put("TSMIGRATE_SOURCE_PASSWORD", nullToEmpty(plan.source().password()));
        pb.environment().put("TSMIGRATE_TARGET_PASSWORD", nullToEmpty(plan.target().password()));
        pb.redirectErrorStream(true).redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.PIPE);
        return new KeeperProcess(pb.start(), log);
    }

    /** Tells the keeper to make the slot (the publication exists now); a keeper that died says why in {@link #awaitSnapshot}. */
    void release() {
        try {
            process.getOutputStream().write(SnapshotKeeper.GO);
        } catch (IOException e) {
            // It is no longer running: awaitSnapshot reports its log.
        }
        close();
    }

    /**
     * The target's state once the keeper has recorded its slot and snapshot there. PostgreSQL makes the slot once
     * the transactions open on the source when it was asked for have ended, however long that takes: this waits as
     * long, saying through {@code waits} which they are.
     */
    StateStore.State awaitSnapshot(Connection tgt, OpenTransactions waits) throws Exception {
        Instant start = Instant.now();
        while (true) {
            StateStore.State s = StateStore.load(tgt);
            if (s != null && s.phase() == StateStore.Phase.COPYING && s.snapshotName() != null) {
                return s;
            }
            if (!process.isAlive()) {
                throw new BootstrapException("creating the replication slot failed: " + Files.readString(log).strip());
            }
            waits.reportIfDue();
            // The slot is usually there within a tenth of a second; a source with long transactions makes it wait.
            Thread.sleep(Duration.between(start, Instant.now()).toSeconds() < 2 ? 20 : 200);
        }
    }

    /** Ends the keeper's input: a keeper not yet released then ends; a released one keeps its snapshot. */
    @Override
    public void close() {
        try {
            process.getOutputStream().close();
        } catch (IOException e) {
            // Already gone.
        }
    }

    /**
     * The keeper's own classes, the common module's it uses and pgjdbc, wherever they were loaded from (a jar, a
     * classes folder, a plugin's or Maven's class loader, where java.class.path holds none of them).
     */
    static String classpath() throws java.net.URISyntaxException {
        java.util.Set<String> parts = new java.util.LinkedHashSet<>();
        for (Class<?> c : List.of(SnapshotKeeper.class, Db.class, org.postgresql.Driver.class)) {
            parts.add(Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
        }
        parts.add(System.getProperty("java.class.path"));
        return String.join(java.io.File.pathSeparator, parts);
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }
}
