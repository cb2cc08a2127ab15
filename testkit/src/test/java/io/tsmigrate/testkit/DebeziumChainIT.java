package io.tsmigrate.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

@ExtendWith(ServicesExtension.class)
class DebeziumChainIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    @DisplayName("the real Debezium connector, registered through the Connect REST API, streams inserts, updates and deletes into a topic")
    void debezium_streams_changes_into_kafka(TestDatabases dbs) throws Exception {
        try (Connection c = dbs.openSource(); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, price numeric(10,2))");
            st.execute("INSERT INTO items VALUES (1, 'first', 1.50)");
        }
        String prefix = "chain_" + dbs.name();
        Map<String, String> config = dbs.debeziumSource(prefix, "slot_" + dbs.name());
        config.put("table.include.list", "public.items");
        config.put("decimal.handling.mode", "string");
        dbs.registerConnector("chain-" + dbs.name(), config);
        dbs.services().connect().awaitRunning("chain-" + dbs.name(), Duration.ofSeconds(90));

        String topic = prefix + ".public.items";
        // The snapshot row arrives once the connector streams; then change the table.
        TopicReader.readUntil(dbs.services().kafkaBootstrap(), topic, r -> !r.isEmpty(), Duration.ofSeconds(60));
        try (Connection c = dbs.openSource(); Statement st = c.createStatement()) {
            st.execute("INSERT INTO items VALUES (2, 'second', 2.25), (3, 'third', NULL)");
            st.execute("UPDATE items SET name = 'SECOND', price = 9.99 WHERE id = 2");
            st.execute("DELETE FROM items WHERE id = 1");
        }

        List<ConsumerRecord<String, String>> records = TopicReader.readUntil(dbs.services().kafkaBootstrap(), topic,
                // Five events and the delete's tombstone, which may come in a later fetch than the delete.
                r -> r.stream().filter(x -> x.value() != null).count() >= 5 && r.get(r.size() - 1).value() == null, Duration.ofSeconds(60));
        List<JsonNode> events = records.stream().filter(r -> r.value() != null).map(r -> read(r.value()).path("payload")).toList();

        assertThat(events).extracting(e -> e.path("op").asText(), e -> key(e))
                .containsExactly(tuple("r", 1), tuple("c", 2), tuple("c", 3), tuple("u", 2), tuple("d", 1));
        assertThat(events.get(0).path("after").path("name").asText()).isEqualTo("first");
        assertThat(events.get(0).path("after").path("price").asText()).isEqualTo("1.50");
        assertThat(events.get(2).path("after").path("price").isNull()).isTrue();
        assertThat(events.get(3).path("after").path("name").asText()).isEqualTo("SECOND");
        assertThat(events.get(3).path("after").path("price").asText()).isEqualTo("9.99");
        assertThat(events.get(4).path("after").isNull()).isTrue();
        assertThat(events.get(4).path("source").path("lsn").asLong()).isPositive();
        // A delete is followed by its tombstone (null value) for log compaction.
        assertThat(records.get(records.size() - 1).value()).isNull();
    }

    private static int key(JsonNode event) {
        JsonNode row = event.path("after").isNull() ? event.path("before") : event.path("after");
        return row.path("id").asInt();
    }

    private static JsonNode read(String json) {
        try {
            return JSON.readTree(json);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
