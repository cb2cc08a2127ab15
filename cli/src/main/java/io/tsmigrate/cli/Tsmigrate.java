package io.tsmigrate.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The {@code tsmigrate} command line. */
@Command(name = "tsmigrate", mixinStandardHelpOptions = true, versionProvider = Tsmigrate.Versions.class,
        description = "Low-downtime migration of a live PostgreSQL database into TimescaleDB, built on Kafka Connect.",
        subcommands = {CheckCommand.class, BootstrapCommand.class, StartCommand.class, StatusCommand.class, VerifyCommand.class, MigrateCommand.class, DemoCommand.class,
                CutoverCommand.class, CleanCommand.class, CommandLine.HelpCommand.class},
        footer = {"%nA migration: migrate (= check, bootstrap, start, catch up), stop writes (or cutover --block-writes ROLE), cutover, clean.",
                "Without --connect the commands run their own Kafka broker and Connect worker (embedded mode) until clean.",
                "Options can also come from a YAML file: --config FILE (keys are the long option names without dashes)."})
public final class Tsmigrate implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT, description = "Show stack traces of errors")
    boolean verbose;

    @CommandLine.Option(names = "--config", scope = CommandLine.ScopeType.INHERIT, paramLabel = "FILE",
            description = "YAML file with option values (keys: long option names without dashes)")
    java.nio.file.Path config;

    public static void main(String[] args) {
        System.exit(commandLine(args).execute(args));
    }

    static CommandLine commandLine(String[] args) {
        CommandLine cl = new CommandLine(new Tsmigrate());
        cl.setExecutionExceptionHandler(new ErrorHandler());
        cl.setDefaultValueProvider(ConfigFile.from(args));
        cl.setColorScheme(CommandLine.Help.defaultColorScheme(System.console() != null ? CommandLine.Help.Ansi.AUTO : CommandLine.Help.Ansi.OFF));
        return cl;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** One sentence per error, a stack trace only with --verbose; exit 2. */
    static final class ErrorHandler implements CommandLine.IExecutionExceptionHandler {
        @Override
        public int handleExecutionException(Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
            boolean verbose = parsed.matchedOption("--verbose") != null || parsed.subcommands().stream().anyMatch(p -> p.matchedOption("--verbose") != null);
            String message = e instanceof io.tsmigrate.common.UserError ? e.getMessage()
                    : e instanceof java.sql.SQLException ? "database error: " + e.getMessage() : e.getClass().getSimpleName() + ": " + e.getMessage();
            cl.getErr().println("tsmigrate " + cl.getCommandName() + ": " + message);
            if (verbose) {
                e.printStackTrace(cl.getErr());
            }
            return 2;
        }
    }

    /** Prints the project version and the versions of Kafka, Debezium and pgjdbc it was built with. */
    static final class Versions implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in = Tsmigrate.class.getResourceAsStream("versions.properties")) {
                p.load(in);
            }
            return new String[] {
                "tsmigrate " + p.getProperty("tsmigrate"),
                "built with Kafka " + p.getProperty("kafka") + ", Debezium " + p.getProperty("debezium") + ", pgjdbc " + p.getProperty("pgjdbc"),
            };
        }
    }
}
