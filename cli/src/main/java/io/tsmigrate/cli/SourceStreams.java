package io.tsmigrate.cli;

import io.tsmigrate.common.StateStore;
import io.tsmigrate.bootstrap.Lanes;

import java.sql.Connection;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The source side of a migration: one Debezium connector per source stream, each with its slot, publication and
 * topic prefix (the bootstrap's {@link Lanes}; {@code --sources}). Stream 1 carries the migration's own names
 * ({@code <name>-source}, the slot, the publication, topics {@code <name>.<schema>.<table>}); stream {@code i} adds
 * {@code -i} to the connector and {@code _i} to the others. Immutable.
 */
record SourceStreams(List<Stream> streams) {

    /**
     * One source stream.
     *
     * @param number      1 to K
     * @param connector   its Debezium connector
     * @param slot        its replication slot
     * @param publication its publication
     * @param topicPrefix its topics' prefix ({@code topic.prefix})
     */
    record Stream(int number, String connector, String slot, String publication, String topicPrefix) {

        /** Debezium's logical decoding messages of this stream (where the cutover markers come through). */
        String messageTopic() {
            return topicPrefix + ".message";
        }

        /** Debezium's transaction boundaries of this stream (no table's changes). */
        String transactionTopic() {
            return topicPrefix + ".transaction";
        }
    }

    SourceStreams {
        streams = List.copyOf(streams);
    }

    /** The streams of a migration with {@code count} of them. */
    static SourceStreams of(Names names, int count) {
        return new SourceStreams(Lanes.of(names.slot(), names.publication(), count).stream().map(l -> l.number() == 1
                ? new Stream(1, names.sourceConnector(), l.slot(), l.publication(), names.name())
                : new Stream(l.number(), names.sourceConnector() + "-" + l.number(), l.slot(), l.publication(), names.name() + "_" + l.number()))
                .toList());
    }

    /** The streams the migration's bootstrap recorded on the target (one when it recorded none). */
    static SourceStreams read(Endpoints endpoints, Names names) {
        try (Connection t = endpoints.target().open("tsmigrate-streams")) {
            return of(names, StateStore.recordedSources(t));
        } catch (java.sql.SQLException e) {
            throw new CliException("cannot read the migration's source streams from the target " + endpoints.target() + ": " + e.getMessage(), e);
        }
    }

    int count() {
        return streams.size();
    }

    List<String> connectors() {
        return streams.stream().map(Stream::connector).toList();
    }

    List<String> publications() {
        return streams.stream().map(Stream::publication).toList();
    }

    List<String> slots() {
        return streams.stream().map(Stream::slot).toList();
    }

    /** Whether a topic is one of the migration's (a change, message or transaction topic of any stream). */
    boolean owns(String topic) {
        return streams.stream().anyMatch(s -> topic.startsWith(s.topicPrefix() + "."));
    }

    /** Whether a topic carries no table's changes: a stream's transaction topic. */
    boolean isTransactionTopic(String topic) {
        return streams.stream().anyMatch(s -> topic.equals(s.transactionTopic()));
    }

    /** Whether a topic is a stream's logical decoding messages. */
    boolean isMessageTopic(String topic) {
        return streams.stream().anyMatch(s -> topic.equals(s.messageTopic()));
    }

    /** The sink's {@code topics.regex}: every topic of every stream but their transaction topics. */
    String sinkTopicRegex() {
        String prefixes = streams.size() == 1 ? Pattern.quote(streams.get(0).topicPrefix())
                : "(?:" + String.join("|", streams.stream().map(s -> Pattern.quote(s.topicPrefix())).toList()) + ")";
        return prefixes + "\\.(?!transaction$).*";
    }
}
