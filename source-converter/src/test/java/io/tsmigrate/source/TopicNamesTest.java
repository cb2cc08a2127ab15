package io.tsmigrate.source;

import io.debezium.relational.TableId;
import io.debezium.schema.SchemaTopicNamingStrategy;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

class TopicNamesTest {

    @Test
    void names_every_table_as_debeziums_strategy_does_each_time_asked() {
        for (Properties props : List.of(props("db1", null), props("prefix_2", "_"), props("p-3.x", null))) {
            SchemaTopicNamingStrategy debezium = new SchemaTopicNamingStrategy(props);
            TopicNames ours = new TopicNames(props);
            List<TableId> tables = List.of(new TableId(null, "public", "ticks"), new TableId("db", "public", "ticks"),
                    new TableId(null, "Mixed Case", "a.b"), new TableId(null, "schéma", "tâble \"q\""), new TableId(null, "public", "x/y*z"),
                    new TableId(null, "_timescaledb_internal", "_hyper_1_2_chunk"));
            for (int round = 0; round < 3; round++) {
                for (TableId t : tables) {
                    assertThat(ours.dataChangeTopic(t)).as(t + " with " + props).isEqualTo(debezium.dataChangeTopic(t));
                }
            }
            assertThat(ours.transactionTopic()).isEqualTo(debezium.transactionTopic());
            assertThat(ours.heartbeatTopic()).isEqualTo(debezium.heartbeatTopic());
        }
    }

    private static Properties props(String prefix, String delimiter) {
        Properties p = new Properties();
        p.put("topic.prefix", prefix);
        if (delimiter != null) {
            p.put("topic.delimiter", delimiter);
        }
        return p;
    }
}
