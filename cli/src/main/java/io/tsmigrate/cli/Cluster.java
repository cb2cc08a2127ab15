package io.tsmigrate.cli;

import io.tsmigrate.common.ConnectClient;

/**
 * The Kafka and Kafka Connect a migration streams through, running: the user's ({@code --connect}, {@code --kafka})
 * or the migration's embedded broker and worker, which {@link #running} starts, or resumes from their data, when
 * they are stopped. The one place a command's work starts them; {@link Endpoints} only holds the options.
 */
final class Cluster {

    private final Endpoints endpoints;
    private final Names names;

    private Cluster(Endpoints endpoints, Names names) {
        this.endpoints = endpoints;
        this.names = names;
    }

    /** The cluster, its embedded processes started first when the migration runs without --connect. */
    static Cluster running(Endpoints endpoints, Names names) {
        if (endpoints.isEmbedded()) {
            endpoints.embedded(names).ensureRunning();
        }
        return new Cluster(endpoints, names);
    }

    /** The Connect REST API. */
    ConnectClient connect() {
        return new ConnectClient(endpoints.isEmbedded() ? endpoints.embedded(names).connectUrl() : endpoints.connect);
    }

    /** Kafka's bootstrap servers: --kafka, or the embedded broker. */
    String kafka() {
        if (endpoints.isEmbedded()) {
            return endpoints.embedded(names).kafkaBootstrap();
        }
        if (endpoints.kafka == null) {
            throw new CliException("with --connect, also give the cluster's Kafka bootstrap servers: --kafka host:9092");
        }
        return endpoints.kafka;
    }
}
