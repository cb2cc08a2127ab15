package io.tsmigrate.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tsmigrate.common.Check;
import io.tsmigrate.common.SourceRules;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.concurrent.Callable;

/** {@code tsmigrate check}: the preflight report. */
@Command(name = "check", mixinStandardHelpOptions = true, description = {"Checks the source, the target and Kafka Connect before a migration.",
        "One line per check: OK, WARN or FAIL with the fix. Exit code 1 when anything FAILs."},
        footer = {"%nExample:%n  TSMIGRATE_SOURCE_PASSWORD=... tsmigrate check --source-url jdbc:postgresql://db1/app --source-user migrator \\",
                "      --target-url jdbc:postgresql://tsdb/app --connect http://connect:8083"})
final class CheckCommand implements Callable<Integer> {

    @Mixin
    Endpoints endpoints;

    @Mixin
    Selection selection = new Selection();

    @Mixin
    Names names = new Names();

    @Option(names = "--flavour", defaultValue = "postgres", description = "Source flavour: postgres, timescaledb, rds (default: ${DEFAULT-VALUE})")
    String flavour;

    @Option(names = "--jobs", defaultValue = "2", description = "Planned copy jobs, checked against the target's max_connections")
    int jobs;

    @Option(names = "--index-jobs", description = "Planned parallel index builds (default: number of cores), checked with --jobs against the "
            + "target's max_connections")
    Integer indexJobs;

    @Option(names = "--json", description = "Print the report as JSON")
    boolean json;

    @Override
    public Integer call() throws Exception {
        List<Check> checks = PreflightReport.run(endpoints, selection.selection(), names, SourceRules.Flavour.of(flavour), jobs,
                indexJobs != null ? indexJobs : Runtime.getRuntime().availableProcessors(), 1);
        print(checks, json);
        return PreflightReport.failed(checks) ? 1 : 0;
    }

    /** The report, one line per check (or as JSON). */
    static void print(List<Check> checks, boolean json) throws Exception {
        if (json) {
            System.out.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(checks));
            return;
        }
        for (Check c : checks) {
            System.out.printf("%-4s %-8s %-28s %s%s%n", c.status(), c.area(), c.name(), c.detail(), c.fix() == null ? "" : " -> fix: " + c.fix());
        }
    }
}
