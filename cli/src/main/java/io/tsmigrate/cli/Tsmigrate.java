package io.tsmigrate.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The {@code tsmigrate} command line. */
@Command(name = "tsmigrate", mixinStandardHelpOptions = true, versionProvider = Tsmigrate.Versions.class,
        description = "Low-downtime migration of a live PostgreSQL database into TimescaleDB, built on Kafka Connect.",
        subcommands = {CommandLine.HelpCommand.class})
public final class Tsmigrate implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(new CommandLine(new Tsmigrate()).execute(args));
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
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
