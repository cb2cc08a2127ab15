package io.tsmigrate.cli;

import io.tsmigrate.common.MigrationScope;
import io.tsmigrate.bootstrap.Bootstrap;
import io.tsmigrate.bootstrap.BootstrapPlan;
import io.tsmigrate.common.Check;
import io.tsmigrate.common.SourceRules;
import io.tsmigrate.bootstrap.HandOver;
import org.apache.kafka.common.TopicPartition;

import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The migration up to cutover ({@code tsmigrate migrate}, and the demo's): the preflight report, the bootstrap, the
 * connectors started, a wait until the stream has caught up with the moment it started waiting, and a first online
 * comparison. Rerunning it resumes the bootstrap and re-applies the same connector configs.
 */
final class Migration {

    /**
     * @param skipCheck  go on when the preflight report has a FAIL
     * @param timeout    seconds to wait for the stream to catch up (and for each comparison point)
     * @param noVerify   leave out the online comparison
     * @param verifyRate source rows read per second at most by the online comparison (0: no limit)
     */
    record Settings(boolean skipCheck, int timeout, boolean noVerify, long verifyRate) {
    }

    private final Endpoints endpoints;
    private final Names names;
    private final Selection selection;
    private final BootstrapOptions bootstrap;
    private final StartOptions start;
    private final Settings settings;

    Migration(Endpoints endpoints, Names names, Selection selection, BootstrapOptions bootstrap, StartOptions start, Settings settings) {
        this.endpoints = endpoints;
        this.names = names;
        this.selection = selection;
        this.bootstrap = bootstrap;
        this.start = start;
        this.settings = settings;
    }

    /** Rows the bootstrap copied in this run. */
    private long copiedRows;

    long copiedRows() {
        return copiedRows;
    }

    /** @return 0 when ready for cutover, 1 when the check or the online comparison failed (what is wrong printed) */
    int run() throws Exception {
        Instant began = Instant.now();
        // Settings that start would refuse are refused before anything is copied.
        start.sslmode(endpoints.source());
        start.converterSettings();
        BootstrapPlan plan = bootstrap.plan(endpoints, names, selection);
        step("1/5 check");
        List<Check> checks = PreflightReport.run(endpoints, selection.selection(), names, SourceRules.Flavour.of(start.flavour), plan.jobs(),
                plan.indexJobs(), plan.sources());
        CheckCommand.print(checks, false);
        if (PreflightReport.failed(checks) && !settings.skipCheck()) {
            System.out.println("FAIL migrate: check found problems (above, each with its fix); fix them, or pass --skip-check to go on anyway");
            return 1;
        }
        step("2/5 bootstrap");
        HandOver h = new Bootstrap(plan, bootstrap.restart, System.out,
                io.tsmigrate.bootstrap.ProgressMode.of(bootstrap.json, System.console() != null)).run();
        copiedRows = h.rowsCopied();
        System.out.println("Snapshot copied; slot " + h.slotName() + (h.sources() > 1 ? " and " + (h.sources() - 1) + " more (one per source stream)" : "")
                + " stream" + (h.sources() > 1 ? "" : "s") + " from " + h.consistentLsn());
        step("3/5 start");
        new StreamingStart(start, endpoints, names).run();
        step("4/5 catching up");
        Instant deadline = Instant.now().plusSeconds(settings.timeout());
        try (CatchUp catchUp = CatchUp.of(endpoints, names).watching(Cluster.running(endpoints, names).connect());
             Connection s = endpoints.source().open("tsmigrate-migrate"); Connection t = endpoints.target().open("tsmigrate-migrate")) {
            String lsn = CatchUp.emitMarker(s, "caught-up");
            System.out.println("Waiting for Debezium to read up to " + lsn + " (the source's position now)");
            catchUp.awaitStream(s, lsn, deadline);
            Map<TopicPartition, Long> ends = catchUp.endOffsets();
            System.out.println("Waiting for the sink to apply the " + catchUp.behind(t, ends) + " records before it");
            catchUp.awaitSink(t, ends, deadline);
        }
        if (!settings.noVerify()) {
            step("5/5 verifying online (range by range while writes go on; --no-verify skips it)");
            if (!verifyOnline(settings.timeout())) {
                return 1;
            }
        }
        System.out.printf("READY for cutover (%s): the target follows the source with little lag; watch it with tsmigrate status%s.%n",
                format(Duration.between(began, Instant.now())), endpoints.isEmbedded()
                        ? "; the embedded Kafka/Connect in " + endpoints.embedded(names).dataDir() + " keeps streaming until tsmigrate clean" : "");
        System.out.println("Next: stop writes on the source (or pass --block-writes ROLE to cutover), then run tsmigrate cutover with the same options.");
        return 0;
    }

    /** The first online pass: after it, cutover compares only what the sink changes from here on. */
    private boolean verifyOnline(int timeout) throws Exception {
        List<String[]> tables;
        try (Connection s = endpoints.source().open("tsmigrate-migrate")) {
            tables = new MigrationScope(SourceStreams.read(endpoints, names).publications(), selection.selection()).tables(s);
        }
        Instant started = Instant.now();
        List<OnlineVerification.TableRun> runs = new OnlineVerification(endpoints, names, false, settings.verifyRate(), Duration.ofSeconds(timeout))
                .tables(tables, true, 2);
        List<Verification.Result> bad = runs.stream().map(OnlineVerification.TableRun::result).filter(r -> !r.equal()).toList();
        long moving = runs.stream().mapToLong(OnlineVerification.TableRun::moving).sum();
        bad.forEach(r -> System.out.println("DIFFERENT " + r.table() + ": " + String.join("; ", r.mismatches())));
        System.out.printf("Verified online: %d ranges of %d tables compared in %s%s%n", runs.stream().mapToLong(OnlineVerification.TableRun::rangesCompared).sum(),
                runs.size(), format(Duration.between(started, Instant.now())), moving > 0 ? "; " + moving + " ranges kept changing (cutover compares them)" : "");
        if (!bad.isEmpty()) {
            System.out.println("FAIL migrate: " + bad.size() + " tables differ on the target (above, by range); with writes stopped, tsmigrate verify "
                    + "--repair re-copies those ranges");
            return false;
        }
        return true;
    }

    private static void step(String what) {
        System.out.println("== " + what);
    }

    private static String format(Duration d) {
        return String.format("%d min %02d s", d.toMinutes(), d.toSecondsPart());
    }
}
