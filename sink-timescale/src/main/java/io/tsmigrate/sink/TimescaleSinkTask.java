package io.tsmigrate.sink;

import io.tsmigrate.sink.buffer.Buffered;
import io.tsmigrate.sink.buffer.RecordBuffer;
import io.tsmigrate.sink.read.ChangeEvent;
import io.tsmigrate.sink.read.EventReader;
import io.tsmigrate.sink.read.TableRouter;
import io.tsmigrate.sink.sql.MetadataCache;
import io.tsmigrate.sink.write.Applier;
import io.tsmigrate.sink.write.KeyMoves;
import io.tsmigrate.sink.write.OffsetStore;
import io.tsmigrate.sink.write.Position;
import io.tsmigrate.sink.write.TargetSession;
import io.tsmigrate.sink.write.TruncateBarriers;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.errors.RetriableException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Collection;
import java.util.Map;

/**
 * The sink task: reads records into events ({@link EventReader}), buffers them ({@link RecordBuffer}) and hands
 * them to its {@link WritePipeline}, which applies them in one target transaction per flush together with their
 * Kafka offsets, on the target connection of a {@link TargetSession}; a failed flush is retried or stops the task as
 * {@link RetryPolicy} says. Offsets live in the target ({@link OffsetStore}): on {@link #open} the task seeks to them,
 * every flush skips what is already applied, and {@link #preCommit} reports what the target has committed, so every
 * record takes effect exactly once. Called by one Connect thread.
 */
public final class TimescaleSinkTask extends SinkTask {

    private static final Logger LOG = LoggerFactory.getLogger(TimescaleSinkTask.class);

    private TimescaleSinkConfig config;
    private String connectorName;
    private EventReader reader;
    private final MetadataCache metadata = new MetadataCache();
    private final SinkMetrics metrics = new SinkMetrics();
    private TargetSession session;
    private WritePipeline pipeline;
    private final RecordBuffer buffer = new RecordBuffer();
    private RetryPolicy retry;

    @Override
    public String version() {
        return Version.get();
    }

    @Override
    public void start(Map<String, String> props) {
        config = new TimescaleSinkConfig(props);
        connectorName = props.getOrDefault("name", "tsmigrate-sink");
        reader = new EventReader(new TableRouter(config.tableNameFormat()));
        OffsetStore offsetStore = new OffsetStore(connectorName, config.stateSchema());
        KeyMoves keyMoves = new KeyMoves(config.stateSchema());
        TruncateBarriers barriers = new TruncateBarriers(config.stateSchema());
        session = new TargetSession(config, connectorName, offsetStore, keyMoves, barriers, metadata);
        retry = new RetryPolicy(config.maxRetries(), config.retryBackoff().toMillis(), metrics);
        pipeline = new WritePipeline(buffer, session, new Applier(config, offsetStore, metadata, keyMoves, barriers), config, metrics, retry, context,
                "tsmigrate-sink-writer-" + connectorName + "-" + TimescaleSinkConfig.taskId(props));
        metrics.register(connectorName, TimescaleSinkConfig.taskId(props), config.logInterval().toMillis());
        LOG.info("Starting the Timescale sink {} against {}", connectorName, Redact.url(config.url()));
    }

    @Override
    public void open(Collection<TopicPartition> partitions) {
        pipeline.settle();
        Map<TopicPartition, Position> stored = session.storedOffsets(partitions, retry);
        for (TopicPartition tp : partitions) {
            long offset = stored.getOrDefault(tp, Position.NONE).offset();
            buffer.committed(tp, offset);
            if (offset >= 0) {
                context.offset(tp, offset + 1);
            }
        }
        LOG.info("Opened {} partition(s); resuming after the offsets stored in the target: {}", partitions.size(), stored);
    }

    @Override
    public void put(Collection<SinkRecord> records) {
        long backoffLeft = retry.backoffLeft();
        if (backoffLeft > 0 && !buffer.isEmpty()) {
            // Connect redelivers earlier than asked when an offset commit falls due; keep to the backoff without
            // touching the target, and without taking more records into the buffer meanwhile.
            context.timeout(backoffLeft);
            throw new RetriableException("the target failed; retrying in " + backoffLeft + " ms");
        }
        for (SinkRecord r : records) {
            if (!buffer.isNew(r)) {
                continue;
            }
            ChangeEvent event;
            try {
                event = reader.read(r);
            } catch (DataException e) {
                pipeline.reportUnreadable(new Buffered(r, null), e);
                continue;
            }
            buffer.add(new Buffered(r, event));
        }
        if (buffer.size() >= config.batchSize() || pipeline.sinceLastFlush() >= config.flushInterval().toMillis()) {
            pipeline.flush();
        }
        if (!buffer.isEmpty() || pipeline.busy()) {
            // Connect polls until its next offset commit (offset.flush.interval.ms, 60 s by default) and calls put()
            // only when records come; ask to be called again when the flush interval ends, so the tail of a burst
            // lands within flush.interval.ms whatever the worker's settings (and records a write in flight holds back
            // for a later flush come back to the buffer then).
            long left = config.flushInterval().toMillis() - pipeline.sinceLastFlush();
            context.timeout(Math.max(1, left));
        }
    }

    @Override
    public Map<TopicPartition, OffsetAndMetadata> preCommit(Map<TopicPartition, OffsetAndMetadata> currentOffsets) {
        // While a transient error's backoff runs, leave the retry to put() (Connect redelivers after the timeout),
        // so an offset commit neither hammers the target nor counts as a retry.
        if (retry.backoffLeft() <= 0) {
            try {
                pipeline.flush();
            } catch (RuntimeException e) {
                // put() raises the same error on its next call; here only report what the target holds. Ask for that
                // call now: Connect calls put() only when records come or a timeout asked for ends, and without it
                // a failure first seen here (a pipelined write) would be retried by each offset commit forever.
                LOG.debug("Flush before offset commit deferred: {}", e.getMessage());
                context.timeout(1);
            }
        }
        return buffer.toCommit(currentOffsets.keySet());
    }

    @Override
    public void close(Collection<TopicPartition> partitions) {
        // What is in flight belongs to partitions this task still owns until close returns: let it land.
        pipeline.settle();
        buffer.forget(partitions);
    }

    @Override
    public void stop() {
        if (pipeline != null) {
            pipeline.stop();
        }
        session.close();
        metrics.unregister();
    }
}
