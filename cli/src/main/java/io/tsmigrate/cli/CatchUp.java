package io.tsmigrate.cli;

import io.tsmigrate.common.SinkState;
import io.tsmigrate.common.ConnectClient;

import io.tsmigrate.common.Ident;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Waiting for the stream to reach a point: Debezium's confirmed position in the slot past a WAL marker, then the
 * sink's committed offsets (in the target, with the data) at the change topics' end offsets. Shared by
 * {@code migrate} (caught up with the moment it asked) and {@code cutover} (caught up with everything).
 */
final class CatchUp implements AutoCloseable {

    private final Names names;
    private SourceStreams streams;
    private final String kafkaBootstrap;
    private final Admin admin;
    private ConnectClient connect;
    private Instant lastTaskCheck = Instant.EPOCH;
    private Instant lastNudge = Instant.now();
    private final boolean terminal = System.console() != null;

    CatchUp(Names names, String kafkaBootstrap) {
        this.names = names;
        this.kafkaBootstrap = kafkaBootstrap;
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafkaBootstrap);
        p.put(AdminClientConfig.CLIENT_ID_CONFIG, "tsmigrate-" + names.name());
        this.admin = Admin.create(p);
        this.streams = SourceStreams.of(names, 1);
    }

    /** Waiting for the migration's stream: all of its source streams (as the bootstrap recorded them). */
    static CatchUp of(Endpoints endpoints, Names names) {
        return new CatchUp(names, Cluster.running(endpoints, names).kafka()).streams(SourceStreams.read(endpoints, names));
    }

    /** The migration's source streams (one unless told otherwise): every one of them must pass a marker. */
    CatchUp streams(SourceStreams streams) {
        this.streams = streams;
        return this;
    }

    /** Also watch the connectors while waiting: a failed task ends the wait with its error. */
    CatchUp watching(ConnectClient rest) {
        this.connect = rest;
        return this;
    }

    /** A transactional WAL message: the WAL moves past everything committed before it, even when the tables are idle. */
    static String emitMarker(Connection source, String what) throws SQLException {
        try (Statement st = source.createStatement();
             ResultSet rs = st.executeQuery("SELECT pg_logical_emit_message(true, 'tsmigrate', " + Ident.literal(what) + ")::text")) {
            rs.next();
            return rs.getString(1);
        }
    }

    /**
     * Waits until Debezium has read up to the WAL marker at {@code lsn} and handed it to Kafka: the marker's own record
     * (or a later one) in the migration's {@code <name>.message} topic, where Debezium streams logical decoding
     * messages. Unlike the slot's confirmed position, which Debezium moves only when the worker commits offsets
     * ({@code offset.flush.interval.ms}, 60 s by Kafka's default), this does not depend on how the worker is tuned.
     * Records are sent in the order Debezium reads the WAL, so the change records before the marker are sent before
     * it. Falls back to {@link #awaitSlot} when the topic's records are not JSON (another converter).
     */
    void awaitStream(Connection source, String lsn, Instant deadline) throws Exception {
        long target = lsnNumber(lsn);
        java.util.Set<String> waiting = new java.util.LinkedHashSet<>();
        List<TopicPartition> tps = new java.util.ArrayList<>();
        for (SourceStreams.Stream s : streams.streams()) {
            waiting.add(s.messageTopic());
            tps.add(new TopicPartition(s.messageTopic(), 0));
        }
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        for (String topic : waiting) {
            while (!admin.listTopics().names().get().contains(topic)) {
                waitOrFail(deadline, "Debezium did not stream the marker at " + lsn + " (no topic " + topic + " yet)");
            }
        }
        boolean fresh = consumer == null;
        java.time.Instant made = java.time.Instant.now();
        var consumer = markerConsumer(tps);
        Trace.of("marker " + lsn, "consumer", made);
        if (fresh) {
            // The marker was just written: start a minute back in time. With no record that recent, start at the
            // beginning (only markers and the application's own messages go there), never at the end: the marker may
            // land between this lookup and the first fetch. A later wait goes on from where the last one stopped,
            // before any later marker.
            Map<TopicPartition, Long> back = new HashMap<>();
            tps.forEach(tp -> back.put(tp, System.currentTimeMillis() - 60_000));
            var starts = consumer.offsetsForTimes(back);
            for (TopicPartition tp : tps) {
                var start = starts.get(tp);
                if (start != null) {
                    consumer.seek(tp, start.offset());
                } else {
                    consumer.seekToBeginning(List.of(tp));
                }
            }
            Trace.of("marker " + lsn, "consumer and seek", made);
        }
        Instant fallback = Instant.now().plusSeconds(90);
        while (true) {
            if (Instant.now().isAfter(fallback)) {
                // Not seen in the topics (another topic naming, a transform that drops messages): the slots' positions.
                awaitSlot(source, lsn, deadline);
                return;
            }
            for (var r : consumer.poll(java.time.Duration.ofMillis(200))) {
                if (r.value() == null || !waiting.contains(r.topic())) {
                    continue;
                }
                com.fasterxml.jackson.databind.JsonNode v;
                try {
                    v = json.readTree(r.value());
                } catch (java.io.IOException e) {
                    awaitSlot(source, lsn, deadline);
                    return;
                }
                com.fasterxml.jackson.databind.JsonNode payload = v.has("payload") ? v.path("payload") : v;
                if (payload.path("source").path("lsn").asLong(-1) >= target) {
                    // Each stream reads every marker (logical decoding messages are not filtered by publication).
                    waiting.remove(r.topic());
                    if (waiting.isEmpty()) {
                        return;
                    }
                }
            }
            // The poll itself waited; only the deadline and the tasks are checked here.
            failIfStuck(deadline, "Debezium did not stream the marker at " + lsn + (streams.count() > 1 ? " in " + waiting : ""));
        }
    }

    private org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]> consumer;

    /** One consumer of the marker topic for this object's life (made once: a new one costs a second of set-up), quick to return. */
    private org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]> markerConsumer(List<TopicPartition> tps) {
        if (consumer == null) {
            Properties p = new Properties();
            p.put(org.apache.kafka.clients.consumer.ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafkaBootstrap);
            p.put(org.apache.kafka.clients.consumer.ConsumerConfig.CLIENT_ID_CONFIG, "tsmigrate-" + names.name() + "-marker");
            p.put(org.apache.kafka.clients.consumer.ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
            p.put(org.apache.kafka.clients.consumer.ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            p.put(org.apache.kafka.clients.consumer.ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "50");
            var bytes = new org.apache.kafka.common.serialization.ByteArrayDeserializer();
            consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<>(p, bytes, bytes);
            consumer.assign(tps);
        }
        return consumer;
    }

    /** A WAL position's number, as Debezium writes it in {@code source.lsn}: {@code 0/16B3748} is 0x16B3748. */
    static long lsnNumber(String lsn) {
        int slash = lsn.indexOf('/');
        return (Long.parseLong(lsn.substring(0, slash), 16) << 32) | Long.parseLong(lsn.substring(slash + 1), 16);
    }

    /** Waits until the slot's confirmed position (what Debezium has read and had stored in Kafka) passes {@code lsn}. */
    void awaitSlot(Connection source, String lsn, Instant deadline) throws SQLException, InterruptedException {
        for (String slot : streams.slots()) {
            awaitSlot(source, slot, lsn, deadline);
        }
    }

    private void awaitSlot(Connection source, String slot, String lsn, Instant deadline) throws SQLException, InterruptedException {
        try (Statement st = source.createStatement()) {
            while (true) {
                long bytesBehind;
                try (ResultSet rs = st.executeQuery("SELECT confirmed_flush_lsn >= " + Ident.literal(lsn) + "::pg_lsn, "
                        + "pg_wal_lsn_diff(" + Ident.literal(lsn) + "::pg_lsn, confirmed_flush_lsn)::bigint FROM pg_replication_slots WHERE slot_name = "
                        + Ident.literal(slot))) {
                    if (!rs.next()) {
                        throw new CliException("replication slot " + slot + " does not exist on the source; was the migration started?");
                    }
                    if (rs.getBoolean(1)) {
                        return;
                    }
                    bytesBehind = rs.getLong(2);
                }
                // Debezium confirms a position once it has processed the event after it: on an idle source that would be
                // its next heartbeat, seconds away. A tiny WAL message every half second is that next event.
                if (Instant.now().isAfter(lastNudge.plusMillis(500))) {
                    emitMarker(source, "nudge");
                    lastNudge = Instant.now();
                }
                waitOrFail(deadline, "Debezium did not read up to " + lsn + " (" + bytesBehind + " bytes behind)");
            }
        }
    }

    /** Deletes this migration's change topics and waits until they are gone; returns their names. */
    java.util.Set<String> deleteTopics() throws Exception {
        java.util.Set<String> topics = new java.util.TreeSet<>(changeTopics());
        if (!topics.isEmpty()) {
            admin.deleteTopics(topics).all().get();
            Instant deadline = Instant.now().plusSeconds(60);
            while (!changeTopics().isEmpty() && Instant.now().isBefore(deadline)) {
                Thread.sleep(200);
            }
        }
        return topics;
    }

    private List<String> changeTopics() throws Exception {
        return admin.listTopics().names().get().stream().filter(streams::owns).toList();
    }

    /** The change topics' current end offsets. */
    /** Partition counts of those of these topics that exist. */
    Map<String, Integer> partitionCounts(java.util.Collection<String> topics) throws Exception {
        java.util.Set<String> existing = new java.util.HashSet<>(admin.listTopics().names().get());
        List<String> ask = topics.stream().filter(existing::contains).toList();
        Map<String, Integer> out = new java.util.HashMap<>();
        if (!ask.isEmpty()) {
            admin.describeTopics(ask).allTopicNames().get().forEach((topic, d) -> out.put(topic, d.partitions().size()));
        }
        return out;
    }

    Map<TopicPartition, Long> endOffsets() throws Exception {
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        // Debezium's transaction topic (provide.transaction.metadata) is not a change topic: the sink does not read it.
        List<String> topics = admin.listTopics().names().get().stream()
                .filter(topic -> streams.owns(topic) && !streams.isTransactionTopic(topic)).toList();
        admin.describeTopics(topics).allTopicNames().get().forEach((topic, d) -> d.partitions()
                .forEach(pi -> request.put(new TopicPartition(topic, pi.partition()), OffsetSpec.latest())));
        Map<TopicPartition, Long> ends = new HashMap<>();
        admin.listOffsets(request).all().get().forEach((tp, info) -> ends.put(tp, info.offset()));
        return ends;
    }

    /**
     * The end offsets of the topics that carry table changes (not Debezium's logical decoding messages, where the
     * cutover markers go): they grow only when a migrated table changes.
     */
    Map<TopicPartition, Long> tableChangeEnds() throws Exception {
        Map<TopicPartition, Long> ends = endOffsets();
        ends.keySet().removeIf(tp -> streams.isMessageTopic(tp.topic()));
        return ends;
    }

    /**
     * Waits until the sink has committed every record before {@code ends} (null: the topics' ends, read again each
     * time, for when writes have stopped). Shows a progress bar on a terminal.
     */
    void awaitSink(Connection target, Map<TopicPartition, Long> ends, Instant deadline) throws Exception {
        ProgressBar bar = null;
        try {
            while (true) {
                long behind = behind(target, ends != null ? ends : endOffsets());
                if (behind == 0) {
                    if (bar != null) {
                        bar.stepTo(bar.getMax());
                    }
                    return;
                }
                if (bar == null && terminal) {
                    bar = new ProgressBarBuilder().setTaskName("sink catching up").setInitialMax(behind).setUnit(" records", 1)
                            .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500).continuousUpdate().build();
                }
                if (bar != null) {
                    bar.maxHint(Math.max(bar.getMax(), bar.getCurrent() + behind));
                    bar.stepTo(bar.getMax() - behind);
                }
                waitOrFail(deadline, "the sink still has " + behind + " records to apply");
            }
        } finally {
            if (bar != null) {
                bar.close();
            }
        }
    }

    /** Records in the topics before {@code ends} that the sink has not committed in the target. */
    long behind(Connection target, Map<TopicPartition, Long> ends) throws SQLException {
        return behind(applied(target), ends);
    }

    /** Records before {@code ends} beyond the sink's committed offsets {@code applied}. */
    static long behind(Map<TopicPartition, Long> applied, Map<TopicPartition, Long> ends) {
        long behind = 0;
        for (var e : ends.entrySet()) {
            behind += Math.max(0, e.getValue() - (applied.getOrDefault(e.getKey(), -1L) + 1));
        }
        return behind;
    }

    /** The sink's committed offsets in the target (empty before its first commit). */
    Map<TopicPartition, Long> applied(Connection target) throws SQLException {
        Map<TopicPartition, Long> applied = new java.util.HashMap<>();
        new SinkState(names.sinkConnector()).applied(target).forEach((p, offset) -> applied.put(new TopicPartition(p.topic(), p.partition()), offset));
        return applied;
    }

    private void waitOrFail(Instant deadline, String what) throws InterruptedException {
        failIfStuck(deadline, what);
        // Each look is one small query or metadata request; cutover's downtime includes the time between looks.
        Thread.sleep(50);
    }

    private void failIfStuck(Instant deadline, String what) {
        if (connect != null && Instant.now().isAfter(lastTaskCheck.plusSeconds(2))) {
            lastTaskCheck = Instant.now();
            for (String source : streams.connectors()) {
                connect.failIfPaused(source, connect.failIfFailed(source));
            }
            connect.failIfFailed(names.sinkConnector());
        }
        if (Instant.now().isAfter(deadline)) {
            throw new CliException(what + " within --timeout; check tsmigrate status");
        }
    }

    @Override
    public void close() {
        if (consumer != null) {
            consumer.close();
        }
        admin.close();
    }
}
