package io.tsmigrate.sink;

import io.tsmigrate.sink.write.Applier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.management.MBeanServer;
import javax.management.ObjectName;
import java.lang.management.ManagementFactory;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counters of one task, published over JMX and summarised in an INFO line every log interval.
 * Written by the task thread, read by JMX threads.
 */
final class SinkMetrics implements SinkMetricsMBean {

    private static final Logger LOG = LoggerFactory.getLogger(SinkMetrics.class);

    private final AtomicLong records = new AtomicLong();
    private final AtomicLong rows = new AtomicLong();
    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong retries = new AtomicLong();
    private final AtomicLong deadLettered = new AtomicLong();
    private volatile double lastFlushMillis;
    private volatile long lastLsn = -1;
    private volatile long lastSourceTs = -1;
    private volatile long lastTargetTs = -1;
    private ObjectName name;
    private long logEveryMs;
    private long lastLogAt = System.currentTimeMillis();
    private long recordsAtLastLog;

    void register(String connector, int task, long logEveryMs) {
        this.logEveryMs = logEveryMs;
        try {
            name = new ObjectName("io.tsmigrate:type=sink-task,connector=" + ObjectName.quote(connector) + ",task=" + task);
            MBeanServer server = ManagementFactory.getPlatformMBeanServer();
            if (server.isRegistered(name)) {
                server.unregisterMBean(name);
            }
            server.registerMBean(this, name);
        } catch (Exception e) {
            LOG.warn("Cannot register the sink's JMX metrics: {}", e.toString());
            name = null;
        }
    }

    void unregister() {
        if (name != null) {
            try {
                ManagementFactory.getPlatformMBeanServer().unregisterMBean(name);
            } catch (Exception e) {
                LOG.debug("Unregistering metrics failed", e);
            }
        }
    }

    void flushed(Applier.Result result, long rowsWritten, double millis) {
        records.addAndGet(result.records());
        rows.set(rowsWritten);
        batches.incrementAndGet();
        lastFlushMillis = millis;
        if (result.lastLsn() >= 0) {
            lastLsn = result.lastLsn();
        }
        if (result.lastSourceTsMs() >= 0) {
            lastSourceTs = result.lastSourceTsMs();
        }
        lastTargetTs = System.currentTimeMillis();
        maybeLog();
    }

    void retried() {
        retries.incrementAndGet();
    }

    void deadLettered() {
        deadLettered.incrementAndGet();
    }

    private void maybeLog() {
        long now = System.currentTimeMillis();
        if (now - lastLogAt < logEveryMs) {
            return;
        }
        long total = records.get();
        double rate = (total - recordsAtLastLog) * 1000.0 / Math.max(1, now - lastLogAt);
        LOG.info("Applied {} records in the last {} s ({} records/s), {} in all; last flush {} ms; lag {} ms; source LSN {}; retries {}; dead-lettered {}",
                total - recordsAtLastLog, (now - lastLogAt) / 1000, Math.round(rate), total, Math.round(lastFlushMillis), getLagMillis(),
                lastLsn, retries.get(), deadLettered.get());
        lastLogAt = now;
        recordsAtLastLog = total;
    }

    @Override
    public long getRecordsApplied() {
        return records.get();
    }

    @Override
    public long getRowsWritten() {
        return rows.get();
    }

    @Override
    public long getBatches() {
        return batches.get();
    }

    @Override
    public long getRetries() {
        return retries.get();
    }

    @Override
    public long getRecordsSentToDeadLetterQueue() {
        return deadLettered.get();
    }

    @Override
    public double getLastFlushMillis() {
        return lastFlushMillis;
    }

    @Override
    public long getLastAppliedSourceLsn() {
        return lastLsn;
    }

    @Override
    public long getLastSourceCommitTimeMs() {
        return lastSourceTs;
    }

    @Override
    public long getLastTargetCommitTimeMs() {
        return lastTargetTs;
    }

    @Override
    public long getLagMillis() {
        return lastSourceTs < 0 || lastTargetTs < 0 ? -1 : Math.max(0, lastTargetTs - lastSourceTs);
    }
}
