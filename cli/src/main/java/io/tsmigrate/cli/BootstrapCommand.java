package io.tsmigrate.cli;

import io.tsmigrate.bootstrap.Bootstrap;
import io.tsmigrate.bootstrap.BootstrapPlan;
import io.tsmigrate.bootstrap.HandOver;
import io.tsmigrate.bootstrap.PlanReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code tsmigrate bootstrap}: schema, hypertables, consistent snapshot copy, hand-over. */
@Command(name = "bootstrap", mixinStandardHelpOptions = true, description = {"Copies the schema and a consistent snapshot of the source into the "
        + "target, converts the planned tables to hypertables, and creates the replication slot Debezium streams from.",
        "Resumable: rerun after a crash to continue; --restart starts over."},
        footer = {"%nExamples:%n  tsmigrate bootstrap --source-url jdbc:postgresql://db1/app --target-url jdbc:postgresql://tsdb/app \\",
                "      --hypertable public.metrics:ts:1day --jobs 4",
                "  tsmigrate bootstrap --plan plan.yaml --plan-only"})
final class BootstrapCommand implements Callable<Integer> {

    @Mixin
    Endpoints endpoints;

    @Mixin
    Names names = new Names();

    @Mixin
    Selection selection = new Selection();

    @Mixin
    BootstrapOptions options = new BootstrapOptions();

    @Option(names = "--plan-only", description = "Print the plan (sizes, row estimates, hypertables, candidates) and stop")
    boolean planOnly;

    @Override
    public Integer call() throws Exception {
        BootstrapPlan plan = options.plan(endpoints, names, selection);
        if (planOnly) {
            System.out.print(PlanReport.render(plan));
            return 0;
        }
        HandOver h = new Bootstrap(plan, options.restart, System.out, io.tsmigrate.bootstrap.ProgressMode.of(options.json, System.console() != null)).run();
        System.out.println("slot.name=" + h.slotName());
        System.out.println("publication.name=" + h.publicationName());
        System.out.println("consistent LSN=" + h.consistentLsn());
        if (h.sources() > 1) {
            System.out.println("source streams=" + h.sources() + " (slots and publications " + h.slotName() + "_2.." + h.sources() + ")");
        }
        return 0;
    }
}
