package io.tsmigrate.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.concurrent.Callable;

/** {@code tsmigrate verify}: the migration's tables compared on source and target ({@link Verification}). */
@Command(name = "verify", mixinStandardHelpOptions = true, description = {"Compares source and target table by table: row counts and row digests, "
        + "per time bucket for hypertables. Exit code 1 on any mismatch.",
        "While streaming, --older-than limits hypertables to rows older than the current lag."},
        footer = {"%nExamples:%n  tsmigrate verify --source-url ... --target-url ...", "  tsmigrate verify --older-than '10 minutes' --bucket '1 hour' ..."})
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

    @Override
    public Integer call() throws Exception {
        List<Verification.Result> results = new Verification(names.publication(), selection.selection(), jobs, bucket, olderThan)
                .run(endpoints.source(), endpoints.target());
        System.out.printf("%-40s %12s %12s  %s%n", "table", "source rows", "target rows", "result");
        for (Verification.Result r : results) {
            System.out.printf("%-40s %12d %12d  %s%n", r.table(), r.sourceRows(), r.targetRows(), r.equal() ? "equal" : "DIFFERENT: "
                    + String.join("; ", r.mismatches()));
        }
        long bad = results.stream().filter(r -> !r.equal()).count();
        System.out.println(bad == 0 ? "All " + results.size() + " tables equal." : bad + " of " + results.size() + " tables differ.");
        return bad == 0 ? 0 : 1;
    }
}
