package io.tsmigrate.source;

import io.debezium.connector.postgresql.PostgresConnectorTask;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.source.SourceTask;
import org.apache.kafka.connect.source.SourceTaskContext;

import java.util.List;
import java.util.Map;

/**
 * Debezium's PostgreSQL task, unchanged, with offsets from which a restart cannot skip the rest of a WAL record's
 * changes ({@link WalRecordOffsets}), and a TRUNCATE of a table spread over several partitions sent to each of them,
 * marked as this stream's copy when the table is split over several source streams ({@link TruncateCopies}), and with {@code tsmigrate.schema.defaults=drop} schemas without column defaults
 * ({@link SchemaDefaults}), and with the LastEvent metric naming a change's table, not rendering the whole change
 * ({@link LastEventSummary}). Debezium flushes the slot from the records Connect acknowledges, so it confirms
 * these offsets too. Connect calls a task from its own thread; this class adds no thread of its own.
 */
public final class ExactPostgresTask extends SourceTask {

    private final PostgresConnectorTask debezium = new PostgresConnectorTask();
    private WalRecordOffsets offsets;
    private TruncateCopies truncates;
    private SchemaDefaults defaults;
    private boolean lastEventPending;

    @Override
    public void initialize(SourceTaskContext context) {
        super.initialize(context);
        debezium.initialize(context);
    }

    @Override
    public void start(Map<String, String> props) {
        offsets = new WalRecordOffsets(partition -> context.offsetStorageReader().offset(partition));
        truncates = new TruncateCopies(props);
        defaults = new SchemaDefaults(props);
        lastEventPending = LastEventSummary.tableOnly(props);
        debezium.start(props);
        lastEventPending = lastEventPending && !LastEventSummary.tableOnly(debezium);
    }

    @Override
    public List<SourceRecord> poll() throws InterruptedException {
        if (lastEventPending) {
            lastEventPending = !LastEventSummary.tableOnly(debezium);
        }
        return truncates.apply(defaults.apply(offsets.apply(debezium.poll())));
    }

    @Override
    public void commit() throws InterruptedException {
        debezium.commit();
    }

    @Override
    public void commitRecord(SourceRecord record, RecordMetadata metadata) throws InterruptedException {
        debezium.commitRecord(record, metadata);
    }

    @Override
    public void stop() {
        debezium.stop();
    }

    @Override
    public String version() {
        return debezium.version();
    }
}
