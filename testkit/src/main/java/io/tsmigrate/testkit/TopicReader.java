package io.tsmigrate.testkit;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.function.Predicate;

/** Reads a topic from the beginning, as strings, for assertions on what a connector produced. */
public final class TopicReader {

    private TopicReader() {
    }

    /**
     * Reads {@code topic} from its beginning until {@code done} holds for the records read so far.
     *
     * @throws IllegalStateException when {@code timeout} passes first, with what was read
     */
    public static List<ConsumerRecord<String, String>> readUntil(String bootstrap, String topic,
            Predicate<List<ConsumerRecord<String, String>>> done, Duration timeout) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "tsmigrate-test-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            Instant deadline = Instant.now().plus(timeout);
            while (!done.test(records)) {
                if (Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("topic " + topic + ": condition not met within " + timeout + "; read " + records.size()
                            + " records: " + records.stream().map(ConsumerRecord::value).toList());
                }
                consumer.poll(Duration.ofMillis(500)).forEach(records::add);
            }
        }
        return records;
    }

    /**
     * Writes every record of {@code topic} (from its beginning to its end now) to {@code file}, one line each:
     * partition, offset, key, value. For diagnosing a failed comparison: what the source connector really sent.
     */
    public static void dump(String bootstrap, String topic, java.nio.file.Path file) throws java.io.IOException {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        java.nio.file.Files.createDirectories(file.getParent());
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer());
                var out = java.nio.file.Files.newBufferedWriter(file)) {
            List<org.apache.kafka.common.TopicPartition> parts = consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                    .map(i -> new org.apache.kafka.common.TopicPartition(topic, i.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            java.util.Map<org.apache.kafka.common.TopicPartition, Long> end = consumer.endOffsets(parts);
            Instant deadline = Instant.now().plus(Duration.ofMinutes(2));
            while (parts.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp)) && Instant.now().isBefore(deadline)) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                    out.write(r.partition() + "\t" + r.offset() + "\t" + r.key() + "\t" + r.value() + "\n");
                }
            }
        }
    }
}
