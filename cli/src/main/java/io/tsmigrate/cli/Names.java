package io.tsmigrate.cli;

import picocli.CommandLine.Option;

import java.util.Locale;

/**
 * What one migration is called: the prefix of its connectors and topics, and its replication slot and publication
 * (by default named after the migration, so {@code --name} alone tells migrations apart).
 */
final class Names {

    @Option(names = "--name", defaultValue = "tsmigrate", description = "Name of the migration: prefix of its connectors and topics (default: ${DEFAULT-VALUE})")
    String name = "tsmigrate";

    @Option(names = "--slot", description = "Replication slot (default: the --name, in lower case with _ for -)")
    String slot;

    @Option(names = "--publication", description = "Publication (default: the --name, in lower case with _ for -)")
    String publication;

    static Names of(String name) {
        Names n = new Names();
        n.name = name;
        return n;
    }

    String name() {
        return name;
    }

    String slot() {
        return slot != null ? slot : name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
    }

    String publication() {
        return publication != null ? publication : slot();
    }

    String sourceConnector() {
        return name + "-source";
    }

    String sinkConnector() {
        return name + "-sink";
    }
}
