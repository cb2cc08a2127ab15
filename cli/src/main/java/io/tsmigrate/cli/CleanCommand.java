package io.tsmigrate.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/** {@code tsmigrate clean}: removes the connectors, the slot, the publication and tsmigrate's state tables. */
@Command(name = "clean", mixinStandardHelpOptions = true, description = "Deletes the connectors, drops the replication slot and the publication on "
        + "the source, and removes tsmigrate's state tables on the target. Migrated data stays.",
        footer = {"%nExample:%n  tsmigrate clean --yes --source-url ... --target-url ... --connect http://connect:8083"})
final class CleanCommand implements Callable<Integer> {

    @Mixin
    Endpoints endpoints;

    @Mixin
    Names names = new Names();

    @Option(names = "--yes", description = "Do not ask for confirmation")
    boolean yes;

    @Override
    public Integer call() throws Exception {
        return new Teardown(endpoints, names).run(!yes);
    }
}
