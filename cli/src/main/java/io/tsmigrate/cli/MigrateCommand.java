package io.tsmigrate.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/**
 * {@code tsmigrate migrate}: check, bootstrap, start, then waits until the stream has caught up with the moment it
 * started waiting, and says the migration is ready for cutover. Rerunning it resumes the bootstrap and re-applies
 * the same connector configs.
 */
@Command(name = "migrate", mixinStandardHelpOptions = true, description = {"Runs check, bootstrap and start, then waits until the stream has "
        + "caught up and says when the migration is ready for cutover.",
        "Without --connect it runs its own Kafka broker and Connect worker (embedded mode); they keep streaming in the background until "
                + "`tsmigrate clean`."},
        footer = {"%nExamples:%n  tsmigrate migrate --source-url jdbc:postgresql://db1/app --source-user migrator --target-url jdbc:postgresql://tsdb/app \\",
                "      --hypertable public.metrics:ts:1day",
                "  tsmigrate migrate --config migration.yaml --connect http://connect:8083 --kafka kafka:9092",
                "Then: stop the application's writes (or use cutover --block-writes ROLE), tsmigrate cutover, point the application at the "
                        + "target, tsmigrate clean."})
final class MigrateCommand implements Callable<Integer> {

    @Mixin
    Endpoints endpoints;

    @Mixin
    Names names = new Names();

    @Mixin
    Selection selection = new Selection();

    @Mixin
    BootstrapOptions bootstrap = new BootstrapOptions();

    @Mixin
    StartOptions start = new StartOptions();

    @Option(names = "--skip-check", description = "Go on even when check reports a FAIL")
    boolean skipCheck;

    @Option(names = "--timeout", defaultValue = "1800", description = "Seconds to wait for the stream to catch up (default: ${DEFAULT-VALUE})")
    int timeout = 1800;

    @Option(names = "--no-verify", description = "Do not compare source and target online once caught up (verify --online does it later)")
    boolean noVerify;

    @Option(names = "--verify-rate", defaultValue = "100000", description = "Source rows read per second at most by the online comparison "
            + "(0: no limit; default: ${DEFAULT-VALUE})")
    long verifyRate = 100_000;

    @Override
    public Integer call() throws Exception {
        return new Migration(endpoints, names, selection, bootstrap, start, new Migration.Settings(skipCheck, timeout, noVerify, verifyRate))
                .run();
    }
}
