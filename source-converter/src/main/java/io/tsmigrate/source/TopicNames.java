package io.tsmigrate.source;

import io.debezium.schema.SchemaTopicNamingStrategy;
import io.debezium.spi.schema.DataCollectionId;

import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Debezium's default topic names for PostgreSQL ({@code <prefix>.<schema>.<table>}, {@link SchemaTopicNamingStrategy},
 * every setting of it honoured) looked up without a lock. Debezium asks for the topic of every change it emits, on
 * the thread that decodes the WAL, and its own cache takes a lock on each look-up to keep its LRU order (4.8% of
 * that thread at 40,000 rows/s; docs/benchmarks.md, "The worker at 40,000 rows/s, profiled again"). Names are made
 * by Debezium's strategy once per table and kept; a source with more tables than {@link #LIMIT} has the rest
 * named by Debezium's strategy every time, as before.
 */
public final class TopicNames extends SchemaTopicNamingStrategy {

    static final int LIMIT = 100_000;

    private final Map<DataCollectionId, String> names = new ConcurrentHashMap<>();

    public TopicNames(Properties props) {
        super(props);
    }

    public TopicNames(Properties props, boolean multiPartitionMode) {
        super(props, multiPartitionMode);
    }

    @Override
    public String dataChangeTopic(DataCollectionId id) {
        String name = names.get(id);
        if (name == null) {
            name = super.dataChangeTopic(id);
            if (names.size() < LIMIT) {
                names.put(id, name);
            }
        }
        return name;
    }
}
