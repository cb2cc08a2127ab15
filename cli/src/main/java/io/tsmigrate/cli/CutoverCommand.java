package io.tsmigrate.cli;

import io.tsmigrate.bootstrap.Sequences;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;

/**
 * {@code tsmigrate cutover}: with writes stopped on the source, waits until everything up to this moment is
 * applied on the target, copies sequence values, verifies, and prints the downtime.
 */
@Command(name = "cutover", mixinStandardHelpOptions = true, description = {"Run after stopping writes on the source: marks the WAL position, waits "
        + "until Debezium has read and the sink has applied everything up to it, copies sequence values, verifies every table and prints the "
        + "downtime. Never reports success with lag or a mismatch left."},
        footer = {"%nExample:%n  tsmigrate cutover --source-url ... --target-url ... --connect http://connect:8083 --kafka kafka:9092"})
final class CutoverCommand implements Callable<Integer> {

    @Mixin
    Endpoints endpoints;

    @Option(names = "--kafka", required = true, description = "Kafka bootstrap servers, to read the topics' end offsets")
    String kafka;

    @Option(names = "--name", defaultValue = "tsmigrate", description = "Connector and topic prefix (default: ${DEFAULT-VALUE})")
    String name;

    @Option(names = "--slot", defaultValue = "tsmigrate", description = "Replication slot (default: ${DEFAULT-VALUE})")
    String slot;

    @Option(names = "--timeout", defaultValue = "600", description = "Seconds to wait for the stream to catch up (default: ${DEFAULT-VALUE})")
    int timeout;

    @Override
    public Integer call() throws Exception {
        Instant started = Instant.now();
        Instant deadline = started.plusSeconds(timeout);
        String lsn;
        try (Connection s = endpoints.source().open("tsmigrate-cutover"); Statement st = s.createStatement()) {
            // A transactional message makes the WAL move past everything written before, even when the tables are idle.
            try (ResultSet rs = st.executeQuery("SELECT pg_logical_emit_message(true, 'tsmigrate', 'cutover')::text")) {
                rs.next();
                lsn = rs.getString(1);
            }
            System.out.println("Cutover point " + lsn + "; waiting for Debezium to read up to it");
            while (true) {
                try (ResultSet rs = st.executeQuery("SELECT confirmed_flush_lsn >= '" + lsn + "'::pg_lsn FROM pg_replication_slots WHERE slot_name = '"
                        + slot.replace("'", "''") + "'")) {
                    if (!rs.next()) {
                        throw new CliException("replication slot " + slot + " does not exist on the source; was the migration started?");
                    }
                    if (rs.getBoolean(1)) {
                        break;
                    }
                }
                waitOrFail(deadline, "Debezium did not read up to the cutover point");
            }
        }
        System.out.println("Debezium is past the cutover point; waiting for the sink to apply every record");
        awaitSinkCaughtUp(deadline);
        try (Connection s = endpoints.source().open("tsmigrate-cutover"); Connection t = endpoints.target().open("tsmigrate-cutover")) {
            System.out.println("Sequences copied: " + Sequences.copy(s, t));
        }
        VerifyCommand verify = new VerifyCommand();
        verify.endpoints = endpoints;
        verify.jobs = 2;
        verify.bucket = "1 day";
        List<VerifyCommand.Result> results = verify.verify(endpoints.source(), endpoints.target());
        long bad = results.stream().filter(r -> !r.equal()).count();
        Duration downtime = Duration.between(started, Instant.now());
        if (bad > 0) {
            results.stream().filter(r -> !r.equal()).forEach(r -> System.out.println("DIFFERENT " + r.table() + ": " + r.mismatches()));
            System.out.println("FAIL cutover: " + bad + " tables differ; the target is not ready (writes must stay stopped on the source)");
            return 1;
        }
        System.out.printf("OK   target ready: %d tables equal; downtime %.1f s (from the cutover command's start to target ready)%n", results.size(),
                downtime.toMillis() / 1000.0);
        return 0;
    }

    private void awaitSinkCaughtUp(Instant deadline) throws Exception {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka);
        try (Admin admin = Admin.create(p); Connection t = endpoints.target().open("tsmigrate-cutover")) {
            while (true) {
                Map<TopicPartition, Long> applied = new HashMap<>();
                try (Statement st = t.createStatement(); ResultSet rs = st.executeQuery("SELECT topic, kafka_partition, kafka_offset FROM tsmigrate.sink_offsets "
                        + "WHERE connector = '" + (name + "-sink").replace("'", "''") + "'")) {
                    while (rs.next()) {
                        applied.put(new TopicPartition(rs.getString(1), rs.getInt(2)), rs.getLong(3));
                    }
                }
                Map<TopicPartition, OffsetSpec> request = new HashMap<>();
                for (String topic : admin.listTopics().names().get()) {
                    if (topic.startsWith(name + ".") && !topic.startsWith("__")) {
                        admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions()
                                .forEach(pi -> request.put(new TopicPartition(topic, pi.partition()), OffsetSpec.latest()));
                    }
                }
                long behind = 0;
                for (var e : admin.listOffsets(request).all().get().entrySet()) {
                    long end = e.getValue().offset();
                    long done = applied.getOrDefault(e.getKey(), -1L) + 1;
                    behind += Math.max(0, end - done);
                }
                if (behind == 0) {
                    return;
                }
                waitOrFail(deadline, "the sink still has " + behind + " records to apply");
            }
        }
    }

    private static void waitOrFail(Instant deadline, String what) throws InterruptedException {
        if (Instant.now().isAfter(deadline)) {
            throw new CliException(what + " within --timeout; check tsmigrate status");
        }
        Thread.sleep(200);
    }
}
