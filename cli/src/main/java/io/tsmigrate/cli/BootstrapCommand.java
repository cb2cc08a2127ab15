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

    @Option(names = "--plan", description = "Plan file (YAML or JSON, snake_case keys); flags given here override it")
    Path planFile;

    @Option(names = "--hypertable", description = "TABLE:TIME_COLUMN[:INTERVAL] to convert, e.g. public.metrics:ts:1day (repeatable)")
    List<String> hypertables = new ArrayList<>();

    @Option(names = "--jobs", description = "Parallel copy workers (default: number of cores)")
    Integer jobs;

    @Option(names = "--index-jobs", description = "Parallel index builds (default: number of cores)")
    Integer indexJobs;

    @Option(names = "--slot", description = "Replication slot name (default: tsmigrate)")
    String slot;

    @Option(names = "--publication", description = "Publication name (default: tsmigrate)")
    String publication;

    @Option(names = "--pg-bin", description = "Folder with pg_dump and psql (default: PATH)")
    String pgBin;

    @Option(names = "--extend-keys", description = "Add a hypertable's time column to its primary key and unique indexes when they lack it")
    boolean extendKeys;

    @Option(names = "--plan-only", description = "Print the plan (sizes, row estimates, hypertables, candidates) and stop")
    boolean planOnly;

    @Option(names = "--restart", description = "Drop the slot and the copied data of an earlier run and start over")
    boolean restart;

    @Override
    public Integer call() throws Exception {
        BootstrapPlan plan = plan();
        if (planOnly) {
            System.out.print(PlanReport.render(plan));
            return 0;
        }
        HandOver h = new Bootstrap(plan, restart, System.out, System.console() != null).run();
        System.out.println("slot.name=" + h.slotName());
        System.out.println("publication.name=" + h.publicationName());
        System.out.println("consistent LSN=" + h.consistentLsn());
        return 0;
    }

    BootstrapPlan plan() throws Exception {
        BootstrapPlan base = planFile != null ? BootstrapPlan.read(planFile) : null;
        List<BootstrapPlan.HypertableSpec> specs = new ArrayList<>(base == null ? List.of() : base.hypertables());
        for (String h : hypertables) {
            String[] p = h.split(":");
            if (p.length < 2) {
                throw new CliException("--hypertable " + h + " needs TABLE:TIME_COLUMN[:INTERVAL], for example public.metrics:ts:1day");
            }
            String interval = p.length > 2 ? p[2].replaceAll("^(\\d+)([a-z]+)$", "$1 $2") : null;
            specs.add(new BootstrapPlan.HypertableSpec(p[0], p[1], interval, null, null, null));
        }
        return new BootstrapPlan(endpoints.sourceUrl != null || base == null ? endpoints.source() : base.source(),
                endpoints.targetUrl != null || base == null ? endpoints.target() : base.target(),
                base == null ? null : base.includeSchemas(), base == null ? null : base.excludeTables(), specs,
                jobs != null ? jobs : base == null ? null : base.jobs(), indexJobs != null ? indexJobs : base == null ? null : base.indexJobs(),
                slot != null ? slot : base == null ? null : base.slotName(), publication != null ? publication : base == null ? null : base.publicationName(),
                pgBin != null ? pgBin : base == null ? null : base.pgBin(), extendKeys || (base != null && base.extendKeys()),
                base != null && base.copyRoles());
    }
}
