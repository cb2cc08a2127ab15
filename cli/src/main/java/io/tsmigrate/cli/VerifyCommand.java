package io.tsmigrate.cli;

import io.tsmigrate.common.MigrationScope;
import io.tsmigrate.common.ConnectClient;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code tsmigrate verify}: the migration's tables compared on source and target ({@link Verification}, {@link OnlineVerification}). */
@Command(name = "verify", mixinStandardHelpOptions = true, description = {"Compares source and target table by table: row counts and row digests, "
        + "per time bucket for hypertables. Exit code 1 on any mismatch.",
        "With --online, compares range by range while the stream runs and writes go on (hypertables by time range, tables with an "
                + "integer key by key range), throttled, and records each range verified in the target: later passes and cutover compare only "
                + "what the sink changed since. --repair (writes stopped) re-copies the ranges that differ from the source.",
        "While streaming, --older-than limits the offline comparison of hypertables to rows older than the current lag."},
        footer = {"%nExamples:%n  tsmigrate verify --online --source-url ... --target-url ...   (while migrating; again later: only what changed)",
                "  tsmigrate verify --online --full ...   (every range again)",
                "  tsmigrate verify --repair ...   (writes stopped: re-copies the differing ranges, verifies them, reports what changed)",
                "  tsmigrate verify --source-url ... --target-url ...   (every row in one pass, per table)"})
final class VerifyCommand implements Callable<Integer> {

    @Mixin
    Endpoints endpoints;

    /** The migration's publication names the tables it covers. */
    @Mixin
    Names names = new Names();

    @Mixin
    Selection selection = new Selection();

    @Option(names = "--jobs", defaultValue = "2", description = "Tables compared in parallel (default: ${DEFAULT-VALUE})")
    int jobs;

    @Option(names = "--bucket", defaultValue = "1 day", description = "Time bucket for hypertables (default: ${DEFAULT-VALUE})")
    String bucket;

    @Option(names = "--older-than", description = "Compare only hypertable rows older than this interval, e.g. '10 minutes'")
    String olderThan;

    @Option(names = "--online", description = "Compare range by range while the stream runs; record what matched (cutover then compares only what changed)")
    boolean online;

    @Option(names = "--full", description = "With --online: compare every range again, not only the ones changed since they were verified")
    boolean full;

    @Option(names = "--follow", description = "With --online: after the pass, go on comparing what the sink changed since, pass after pass (at most one "
            + "a second), until stopped (Ctrl-C) or the stream stops at cutover; cutover then compares only the last seconds' changes")
    boolean follow;

    @Option(names = "--repair", description = "With writes stopped on the source: compare by range, re-copy the ranges that differ from the source, "
            + "compare them again and report what changed")
    boolean repair;

    @Option(names = "--rate", defaultValue = "100000", description = "With --online: source rows read per second at most, all jobs together "
            + "(0: no limit; default: ${DEFAULT-VALUE})")
    long rate;

    @Option(names = "--timeout", defaultValue = "600", description = "With --online: seconds to wait for the stream to reach a comparison point "
            + "(default: ${DEFAULT-VALUE})")
    int timeout;

    @Override
    public Integer call() throws Exception {
        try (Connection s = endpoints.source().open("tsmigrate-verify")) {
            new MigrationScope(SourceStreams.read(endpoints, names).publications(), selection.selection()).late(s).forEach(t -> System.out.println(MigrationScope.lateLine(t)));
        }
        if (follow && (!online || repair)) {
            throw new CliException("--follow needs --online (and no --repair): it follows the stream while writes go on");
        }
        if (online || repair) {
            return online();
        }
        List<Verification.Result> results = new Verification(SourceStreams.read(endpoints, names).publications(), selection.selection(), jobs, bucket, olderThan)
                .run(endpoints.source(), endpoints.target());
        return Verification.print(results, "source rows", "target rows");
    }

    private int online() throws Exception {
        List<String[]> tables;
        try (Connection s = endpoints.source().open("tsmigrate-verify")) {
            tables = new MigrationScope(SourceStreams.read(endpoints, names).publications(), selection.selection()).tables(s);
        }
        boolean stopped = streamStopped();
        if (repair && !stopped) {
            caughtUpWithWritesStopped();
        }
        Instant started = Instant.now();
        // After cutover the connectors are paused: nothing streams, both sides hold still, each range is compared once.
        OnlineVerification v = new OnlineVerification(endpoints, names, repair || stopped, rate, Duration.ofSeconds(timeout));
        List<OnlineVerification.TableRun> runs = v.tables(tables, full, jobs);
        long ranges = runs.stream().mapToLong(OnlineVerification.TableRun::rangesCompared).sum();
        long moving = runs.stream().mapToLong(OnlineVerification.TableRun::moving).sum();
        System.out.printf("Compared %d ranges in %.1f s%s%n", ranges, Duration.between(started, Instant.now()).toMillis() / 1000.0,
                moving > 0 ? "; " + moving + " ranges kept changing during the comparison (left for the next pass or cutover)" : "");
        if (follow && !stopped) {
            int code = Verification.print(runs.stream().map(OnlineVerification.TableRun::result).toList(), "source rows*", "target rows*");
            return follow(v.following(), tables, code);
        }
        if (repair) {
            for (OnlineVerification.TableRun run : runs) {
                for (String key : run.different()) {
                    Repair.Done done = Repair.range(endpoints.source(), endpoints.target(), run.ranges(), key);
                    OnlineVerification.Outcome after = v.recheck(run.ranges(), key);
                    System.out.printf("%s %s, %s: %d target rows deleted, %d rows copied from the source; now %s%n", after.equal() ? "REPAIRED" : "STILL DIFFERENT",
                            run.result().table(), OnlineVerification.describe(run.ranges(), key), done.deleted(), done.copied(),
                            after.equal() ? "equal" : after.detail() + " (are writes stopped on the source?)");
                }
            }
            runs = v.tables(tables, false, jobs);
        }
        return Verification.print(runs.stream().map(OnlineVerification.TableRun::result).toList(), "source rows*", "target rows*");
    }

    /**
     * Passes over the ranges changed since, one after the other (at most one a second), each printed in one line,
     * until interrupted or the stream stops (cutover paused the connectors). Returns 1 when the last pass found a
     * difference.
     */
    private int follow(OnlineVerification v, List<String[]> tables, int code) throws Exception {
        try {
            for (int pass = 2; ; pass++) {
                if (streamStopped()) {
                    System.out.println("follow: the stream has stopped (cutover); done");
                    return code;
                }
                Instant at = Instant.now();
                List<OnlineVerification.TableRun> runs;
                try {
                    runs = v.tables(tables, false, jobs);
                } catch (ConnectClient.Paused e) {
                    // Cutover paused the stream while this pass waited for it.
                    System.out.println("follow: the stream has stopped (cutover) during pass " + pass + "; done");
                    return code;
                }
                List<Verification.Result> different = runs.stream().map(OnlineVerification.TableRun::result).filter(r -> !r.equal()).toList();
                System.out.printf("follow: pass %d compared %d ranges (%,d source rows) in %.1f s (%s); %s%n", pass,
                        runs.stream().mapToLong(OnlineVerification.TableRun::rangesCompared).sum(),
                        runs.stream().mapToLong(r -> r.result().sourceRows()).sum(), Duration.between(at, Instant.now()).toMillis() / 1000.0,
                        v.waits(), different.isEmpty() ? "equal" : different.size() + " tables differ");
                different.forEach(r -> System.out.println("DIFFERENT " + r.table() + ": " + String.join("; ", r.mismatches())));
                code = different.isEmpty() ? 0 : 1;
                long rest = 1000 - Duration.between(at, Instant.now()).toMillis();
                if (rest > 0) {
                    Thread.sleep(rest);
                }
            }
        } finally {
            v.close();
        }
    }

    /** Whether the stream is over: every source connector paused (by cutover) or gone. */
    private boolean streamStopped() throws Exception {
        ConnectClient rest = Cluster.running(endpoints, names).connect();
        for (String source : SourceStreams.read(endpoints, names).connectors()) {
            if (rest.exists(source) && !"PAUSED".equals(rest.status(source).path("connector").path("state").asText())) {
                return false;
            }
        }
        return true;
    }

    /** A repair needs the target to hold every change: waits for the stream. */
    private void caughtUpWithWritesStopped() throws Exception {
        ConnectClient rest = Cluster.running(endpoints, names).connect();
        Instant deadline = Instant.now().plusSeconds(timeout);
        try (CatchUp catchUp = CatchUp.of(endpoints, names).watching(rest);
             Connection s = endpoints.source().open("tsmigrate-verify"); Connection t = endpoints.target().open("tsmigrate-verify")) {
            String lsn = CatchUp.emitMarker(s, "repair");
            catchUp.awaitStream(s, lsn, deadline);
            catchUp.awaitSink(t, null, deadline);
        }
        System.out.println("Stream caught up; repairing assumes writes are stopped on the source");
    }
}
