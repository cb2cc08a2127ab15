package io.tsmigrate.cli;

import io.tsmigrate.common.Ident;

import io.tsmigrate.common.MigrationScope;
import io.tsmigrate.common.TableSelection;
import io.tsmigrate.common.ConnectClient;

import io.tsmigrate.common.Sequences;


import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The cutover ({@code tsmigrate cutover}, and the demo's): with writes stopped on the source (or blocked here), waits
 * until everything up to this moment is applied on the target, copies sequence values, verifies, checks that the
 * source stayed idle and pauses the connectors; or, as {@link #rollback}, gives the source its writes back.
 */
final class Cutover {

    private final Endpoints endpoints;
    private final Names names;
    private final TableSelection selection;
    private final int timeout;
    private final List<String> blockWrites;

    /**
     * @param timeout     seconds to wait for the stream to catch up
     * @param blockWrites application roles whose writes on the migrated tables are revoked first (empty: none)
     */
    Cutover(Endpoints endpoints, Names names, TableSelection selection, int timeout, List<String> blockWrites) {
        this.endpoints = endpoints;
        this.names = names;
        this.selection = selection;
        this.timeout = timeout;
        this.blockWrites = blockWrites;
    }

    private static double since(Instant start) {
        return Duration.between(start, Instant.now()).toMillis() / 1000.0;
    }

    /** The measured downtime of the last run, in seconds. */
    private double downtimeSeconds;

    double downtimeSeconds() {
        return downtimeSeconds;
    }

    /** Grants back the writes revoked by a cutover's --block-writes and resumes the connectors it paused. */
    int rollback() throws Exception {
        try (Connection s = endpoints.source().open("tsmigrate-cutover"); Connection t = endpoints.target().open("tsmigrate-cutover")) {
            int n = WriteBlock.rollback(s, t);
            System.out.println("OK   rollback: " + n + " revoked privileges granted back on the source; the source takes writes again");
            for (String job : io.tsmigrate.bootstrap.TargetJobs.pause(t)) {
                System.out.println("Paused again on the target " + job + " (cutover had switched it on)");
            }
            for (String trigger : io.tsmigrate.bootstrap.TargetTriggers.pause(t)) {
                System.out.println("Disabled again on the target " + trigger + " (cutover had set it back)");
            }
        }
        // A successful cutover paused the connectors; going on with the source means streaming on.
        ConnectClient rest = Cluster.running(endpoints, names).connect();
        for (String connector : connectors()) {
            if (rest.exists(connector)) {
                rest.resume(connector);
                System.out.println("OK   connector " + connector + " resumed");
            }
        }
        return 0;
    }

    /** @return 0 when the target is ready (equal, source idle, connectors paused), else 1 (what is wrong printed) */
    int run() throws Exception {
        Instant deadline = Instant.now().plusSeconds(timeout);
        streams = SourceStreams.read(endpoints, names);
        try (Connection s = endpoints.source().open("tsmigrate-cutover"); Connection t = endpoints.target().open("tsmigrate-cutover")) {
            LostStream.requireSlot(s, t, names, streams);
        }
        // Not part of the downtime: nothing is stopped while a task waits for a worker.
        new TaskLiveness(Cluster.running(endpoints, names).connect()).awaitLive(deadline, connectors().toArray(String[]::new));
        Instant started = Instant.now();
        try (CatchUp catchUp = CatchUp.of(endpoints, names).watching(Cluster.running(endpoints, names).connect());
             Connection s = endpoints.source().open("tsmigrate-cutover"); Connection t = endpoints.target().open("tsmigrate-cutover")) {
            if (!blockWrites.isEmpty()) {
                int n = WriteBlock.block(s, t, streams.publications(), blockWrites);
                System.out.println("Writes blocked: " + n + " privileges of " + String.join(", ", blockWrites)
                        + " revoked on the source (tsmigrate cutover --rollback restores them)");
            }
            // Read before the cutover point: every materialized row this state describes is streamed before it.
            List<String> aggregates = io.tsmigrate.bootstrap.ContinuousAggregates.readState(s);
            Trace.of("cutover", "set-up", started);
            String lsn = CatchUp.emitMarker(s, "cutover");
            System.out.println("Cutover point " + lsn + "; waiting for Debezium to read up to it");
            catchUp.awaitStream(s, lsn, deadline);
            System.out.printf("Debezium is past the cutover point (%.1f s); waiting for the sink to apply every record%n", since(started));
            catchUp.awaitSink(t, null, deadline);
            endsAtCutover = catchUp.tableChangeEnds();
            System.out.printf("Sink caught up (%.1f s); sequences copied: %d%n", since(started), Sequences.copy(s, t));
            for (String line : io.tsmigrate.bootstrap.TimescaleFeatures.mirrorDroppedChunks(s, t)) {
                System.out.println("Dropped on the target as on the source: " + line);
            }
            long viewsFrom = System.nanoTime();
            var views = io.tsmigrate.bootstrap.MaterializedViews.refreshChanged(s, t, System.out::println);
            if (!views.refreshed().isEmpty()) {
                System.out.printf("Materialized views refreshed on the target (their source copies were refreshed during the migration; they are not "
                        + "streamed): %s (%.1f s)%n", String.join(", ", views.refreshed()), (System.nanoTime() - viewsFrom) / 1e9);
            }
            if (!views.stillDiffer().isEmpty()) {
                System.out.println("Materialized views whose source copy is older than its tables (refreshed before they last changed): "
                        + String.join(", ", views.stillDiffer()) + "; the target's copy is refreshed from the migrated rows");
            }
            int n = io.tsmigrate.bootstrap.ContinuousAggregates.writeState(t, aggregates);
            if (n > 0) {
                System.out.println("Continuous aggregates: watermark, invalidation threshold and pending invalidations of " + n
                        + " aggregates set as on the source");
            }
        }
        double beforeVerify = since(started);
        List<Verification.Result> results = verify();
        long bad = results.stream().filter(r -> !r.equal()).count();
        Duration downtime = Duration.between(started, Instant.now());
        downtimeSeconds = downtime.toMillis() / 1000.0;
        if (bad > 0) {
            results.stream().filter(r -> !r.equal()).forEach(r -> System.out.println("DIFFERENT " + r.table() + ": " + r.mismatches()));
            System.out.println("FAIL cutover: " + bad + " tables differ; the target is not ready (writes must stay stopped on the source). Rows that "
                    + "change without a row change to stream (a partition truncated, dropped, detached or attached on the source) show so; with "
                    + "writes still stopped, tsmigrate verify --repair copies the differing ranges again, then run cutover again");
            return 1;
        }
        System.out.printf("OK   target ready: %d tables equal; downtime %.1f s (from the cutover command's start to target ready; "
                + "catching up %.1f s, verifying %.1f s)%n", results.size(), downtimeSeconds, beforeVerify, downtimeSeconds - beforeVerify);
        int idle = idleThenPause(endsAtCutover, started.plusSeconds(timeout));
        if (idle != 0) {
            return idle;
        }
        // Only now is the target the database in use: before, its jobs would drop or compress what the stream still writes.
        try (Connection s = endpoints.source().open("tsmigrate-cutover"); Connection t = endpoints.target().open("tsmigrate-cutover")) {
            for (String job : io.tsmigrate.bootstrap.TargetJobs.enable(s, t)) {
                System.out.println("Enabled " + job);
            }
            for (String trigger : io.tsmigrate.bootstrap.TargetTriggers.enable(t)) {
                System.out.println("Enabled again on the target " + trigger + " (disabled while the sink applied)");
            }
        }
        return 0;
    }

    private java.util.Map<org.apache.kafka.common.TopicPartition, Long> endsAtCutover;

    private SourceStreams streams;

    /** The source streams' connectors, then the sink's. */
    private List<String> connectors() {
        if (streams == null) {
            streams = SourceStreams.read(endpoints, names);
        }
        List<String> all = new ArrayList<>(streams.connectors());
        all.add(names.sinkConnector());
        return all;
    }

    /**
     * With writes stopped and everything applied: tables an online verification has covered are compared only where
     * the sink changed them since (or where they differed); the others row by row.
     */
    private List<Verification.Result> verify() throws Exception {
        List<String[]> covered = new ArrayList<>();
        try (Connection s = endpoints.source().open("tsmigrate-cutover"); Connection t = endpoints.target().open("tsmigrate-cutover")) {
            new MigrationScope(streams.publications(), selection).late(s).forEach(x -> System.out.println("WARN " + MigrationScope.lateLine(x)));
            for (String[] table : new MigrationScope(streams.publications(), selection).tables(s)) {
                if (RangeState.complete(t, table[0], table[1])) {
                    covered.add(table);
                }
            }
        }
        List<Verification.Result> results = new ArrayList<>();
        if (!covered.isEmpty()) {
            Instant start = Instant.now();
            List<OnlineVerification.TableRun> runs = new OnlineVerification(endpoints, names, true, 0, Duration.ofSeconds(timeout)).tables(covered, false, 2);
            runs.forEach(r -> results.add(r.result()));
            System.out.printf("Verified online before: %d tables; compared again %d ranges the sink changed since (%,d source rows, %.1f s)%n",
                    covered.size(), runs.stream().mapToLong(OnlineVerification.TableRun::rangesCompared).sum(),
                    runs.stream().mapToLong(r -> r.result().sourceRows()).sum(), since(start));
        }
        java.util.Set<String> skip = new java.util.HashSet<>();
        covered.forEach(t -> skip.add(Ident.readable(t[0], t[1])));
        results.addAll(new Verification(streams.publications(), selection, 2, "1 day", null).skipping(skip)
                .run(endpoints.source(), endpoints.target()));
        return results;
    }

    /**
     * Checks that the source took no change on a migrated table since the cutover point (Debezium reads up to a
     * second marker; no change topic may have grown), then pauses both connectors: the stream is done. When a table
     * changed, the writes were not stopped: the connectors keep running and cutover fails, naming the topics.
     */
    private int idleThenPause(java.util.Map<org.apache.kafka.common.TopicPartition, Long> before, Instant deadline) throws Exception {
        java.util.Map<org.apache.kafka.common.TopicPartition, Long> after;
        try (CatchUp catchUp = CatchUp.of(endpoints, names).watching(Cluster.running(endpoints, names).connect());
             Connection s = endpoints.source().open("tsmigrate-cutover")) {
            catchUp.awaitStream(s, CatchUp.emitMarker(s, "idle-check"), deadline);
            after = catchUp.tableChangeEnds();
        }
        List<String> grew = new java.util.ArrayList<>();
        after.forEach((tp, end) -> {
            if (end > before.getOrDefault(tp, 0L)) {
                grew.add(tp.topic() + " (+" + (end - before.getOrDefault(tp, 0L)) + ")");
            }
        });
        if (!grew.isEmpty()) {
            System.out.println("FAIL cutover: the source took changes after the cutover point, in " + String.join(", ", grew) + "; writes were not "
                    + "stopped, so the target lacks them. The connectors keep streaming: stop the application's writes (or use --block-writes) "
                    + "and run cutover again");
            return 1;
        }
        ConnectClient rest = Cluster.running(endpoints, names).connect();
        connectors().forEach(rest::pause);
        // Pausing is asynchronous: say "paused" once Connect reports it.
        Instant until = Instant.now().plusSeconds(30);
        for (String c : connectors()) {
            while (!"PAUSED".equals(rest.status(c).path("connector").path("state").asText()) && Instant.now().isBefore(until)) {
                Thread.sleep(200);
            }
        }
        System.out.println("OK   source idle since the cutover point; connectors " + String.join(", ", connectors())
                + " paused (tsmigrate clean removes them)");
        return 0;
    }
}
