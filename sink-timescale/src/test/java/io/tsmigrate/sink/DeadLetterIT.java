package io.tsmigrate.sink;

import io.tsmigrate.testkit.ServicesExtension;
import io.tsmigrate.testkit.TestDatabases;
import io.tsmigrate.testkit.TopicReader;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Records the target refuses: to the dead letter queue with their context, or the task stops naming them. */
@ExtendWith(ServicesExtension.class)
class DeadLetterIT {

    @Test
    @DisplayName("a poison record goes to the dead letter queue with its context; every other record is applied")
    void poison_record_goes_to_the_dead_letter_queue(TestDatabases dbs) throws Exception {
        Pipeline p = new Pipeline(dbs, "dlq");
        p.source("CREATE TABLE orders (id int PRIMARY KEY, qty int NOT NULL, note text)");
        // The target refuses what the source allows: a constraint added on the target only.
        p.target("CREATE TABLE orders (id int PRIMARY KEY, qty int NOT NULL CHECK (qty >= 0), note text)");
        p.source("INSERT INTO orders SELECT i, i, 'ok' FROM generate_series(1, 500) i",
                "INSERT INTO orders VALUES (501, -5, 'poison')",
                "INSERT INTO orders SELECT i, i, 'after' FROM generate_series(502, 800) i",
                "UPDATE orders SET note = 'updated' WHERE id % 50 = 0");
        String dlq = "dlq_" + dbs.name();
        Map<String, String> sink = p.sinkConfig();
        sink.put("errors.tolerance", "all");
        sink.put("errors.deadletterqueue.topic.name", dlq);
        sink.put("errors.deadletterqueue.topic.replication.factor", "1");
        sink.put("errors.deadletterqueue.context.headers.enable", "true");
        Map<String, String> source = p.sourceConfig();
        source.put("table.include.list", "public.orders");
        p.startSource(source);
        p.startSink(sink);
        try {
            List<ConsumerRecord<String, String>> dead = TopicReader.readUntil(dbs.services().kafkaBootstrap(), dlq, r -> !r.isEmpty(),
                    Duration.ofSeconds(90));
            assertThat(dead).hasSize(1);
            assertThat(dead.get(0).value()).contains("\"poison\"");
            String message = header(dead.get(0), "__connect.errors.exception.message");
            assertThat(message).contains("public.orders").contains("offset").contains("orders_qty_check");
            assertThat(header(dead.get(0), "__connect.errors.topic")).isEqualTo(p.prefix + ".public.orders");
            // The target equals the source without the poison row.
            p.source("CREATE TABLE orders_expected AS SELECT * FROM orders WHERE id <> 501");
            Instant deadline = Instant.now().plusSeconds(60);
            while (Instant.now().isBefore(deadline) && !p.digests(false, "orders").get("orders").startsWith("799:")) {
                Thread.sleep(300);
            }
            String expected;
            try (var c = dbs.openSource()) {
                expected = io.tsmigrate.testkit.Digest.table(c, "public", "orders_expected");
            }
            assertThat(p.digests(false, "orders").get("orders")).isEqualTo(expected);
            p.assertSinkNotFailed();
        } finally {
            p.stop();
        }
    }

    @Test
    @DisplayName("without a dead letter queue the task stops with the topic, partition, offset, table and column of the bad record")
    void without_tolerance_the_task_stops_naming_the_record(TestDatabases dbs) throws Exception {
        Pipeline p = new Pipeline(dbs, "stop");
        p.source("CREATE TABLE measures (id int PRIMARY KEY, small int)");
        p.target("CREATE TABLE measures (id int PRIMARY KEY, small smallint)");
        p.source("INSERT INTO measures VALUES (1, 1), (2, 100000), (3, 3)");
        Map<String, String> source = p.sourceConfig();
        source.put("table.include.list", "public.measures");
        p.startSource(source);
        dbs.registerConnector(p.sinkName, p.sinkConfig());
        try {
            String trace = p.awaitSinkFailure(Duration.ofSeconds(90));
            assertThat(trace).contains("topic " + p.prefix + ".public.measures").contains("partition 0").contains("offset 1")
                    .contains("table public.measures").contains("column small").contains("out of range")
                    .contains("errors.deadletterqueue.topic.name");
            // The record before the bad one is in; nothing after it was skipped silently.
            assertThat(p.digests(false, "measures").get("measures")).startsWith("1:");
        } finally {
            p.stop();
        }
    }

    private static String header(ConsumerRecord<String, String> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
