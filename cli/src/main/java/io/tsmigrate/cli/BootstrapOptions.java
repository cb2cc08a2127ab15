package io.tsmigrate.cli;

import io.tsmigrate.bootstrap.BootstrapPlan;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The options of {@code bootstrap} (and {@code migrate}), and the plan they make with the plan file. */
final class BootstrapOptions {

    @Option(names = "--plan", description = "Plan file (YAML or JSON, snake_case keys); flags given here override it")
    Path planFile;

    @Option(names = "--hypertable", description = "TABLE:TIME_COLUMN[:INTERVAL] to convert, e.g. public.metrics:ts:1day (repeatable)")
    List<String> hypertables = new ArrayList<>();

    @Option(names = "--jobs", description = "Parallel copy workers (default: number of cores)")
    Integer jobs;

    @Option(names = "--index-jobs", description = "Parallel index builds (default: number of cores)")
    Integer indexJobs;

    @Option(names = "--pg-bin", description = "Folder with pg_dump and psql (default: PATH)")
    String pgBin;

    @Option(names = "--extend-keys", description = "Add a hypertable's time column to its primary key and unique indexes when they lack it")
    boolean extendKeys;

    @Option(names = "--copy-roles", description = "Also copy the source's roles (without passwords: pg_dumpall --roles-only --no-role-passwords) "
            + "and keep the objects' owners and grants")
    boolean copyRoles;

    @Option(names = "--decompress-chunks", description = "Copy a TimescaleDB source's compressed chunks decompressed and compress them again on "
            + "the target (by default they are copied as they are where that is exact: the same TimescaleDB version on both sides)")
    boolean decompress;

    @Option(names = "--sources", description = "Source streams (default 1): the tables split over this many publications, each with its own "
            + "replication slot and Debezium connector, all starting at the snapshot's point, so several threads decode the source's WAL "
            + "(one Debezium connector decodes on one thread). Fixed at the bootstrap; start, status, cutover and clean take all of them")
    Integer sources;

    @Option(names = "--split-table", split = ",", description = "SCHEMA.TABLE spread over every source stream by primary key (row-filtered "
            + "publications, PostgreSQL 15+; with --sources 2 or more), for a table whose changes one stream cannot decode alone. Needs a primary "
            + "key and no other unique index, and REPLICA IDENTITY FULL when columns outside the key can be stored out of line (repeatable)")
    List<String> splitTables = new ArrayList<>();

    @Option(names = "--restart", description = "Drop the slot and the copied data of an earlier run and start over")
    boolean restart;

    @Option(names = "--json", description = "Copy progress as JSON lines (for programs); otherwise a progress bar on a terminal, plain lines elsewhere")
    boolean json;

    BootstrapPlan plan(Endpoints endpoints, Names names, Selection selection) throws Exception {
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
                either(selection.includeSchemas, base == null ? null : base.includeSchemas()),
                either(selection.excludeTables, base == null ? null : base.excludeTables()), specs,
                jobs != null ? jobs : base == null ? null : base.jobs(), indexJobs != null ? indexJobs : base == null ? null : base.indexJobs(),
                names.slot != null || base == null || base.slotName() == null ? names.slot() : base.slotName(),
                names.publication != null || base == null || base.publicationName() == null ? names.publication() : base.publicationName(),
                pgBin != null ? pgBin : base == null ? null : base.pgBin(), extendKeys || (base != null && base.extendKeys()),
                copyRoles || (base != null && base.copyRoles()), either(selection.excludeSchemas, base == null ? null : base.excludeSchemas()),
                either(selection.tables, base == null ? null : base.tables()), decompress ? Boolean.FALSE : base == null ? null : base.compressedCopy(),
                sources != null ? sources : base == null ? null : base.sources(),
                either(splitTables, base == null ? null : base.splitTables()));
    }

    /** Patterns given on the command line (or --config) replace the plan file's. */
    private static List<String> either(List<String> given, List<String> planned) {
        return given != null && !given.isEmpty() ? given : planned;
    }
}
