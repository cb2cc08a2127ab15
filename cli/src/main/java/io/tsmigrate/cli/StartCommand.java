package io.tsmigrate.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.concurrent.Callable;

/** {@code tsmigrate start}: the source and sink connectors, from the templates, through the Connect REST API. */
@Command(name = "start", mixinStandardHelpOptions = true, description = {"Renders the connector definitions for the source flavour and the sink "
        + "and applies them through the Kafka Connect REST API, then waits until they run.",
        "Passwords go into the connector configs as config provider references ($${env:...} by default), never in clear."},
        footer = {"%nExample:%n  tsmigrate start --source-url jdbc:postgresql://db1/app --target-url jdbc:postgresql://tsdb/app --connect http://connect:8083"})
final class StartCommand implements Callable<Integer> {

    @Mixin
    Endpoints endpoints;

    @Mixin
    Names names = new Names();

    @Mixin
    StartOptions options = new StartOptions();

    @Override
    public Integer call() {
        new StreamingStart(options, endpoints, names).run();
        return 0;
    }
}
