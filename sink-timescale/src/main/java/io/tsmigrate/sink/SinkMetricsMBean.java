package io.tsmigrate.sink;

/** JMX view of one sink task: {@code io.tsmigrate:type=sink-task,connector=<name>,task=<id>}. */
public interface SinkMetricsMBean {
    long getRecordsApplied();

    long getRowsWritten();

    long getBatches();

    long getRetries();

    long getRecordsSentToDeadLetterQueue();

    double getLastFlushMillis();

    long getLastAppliedSourceLsn();

    long getLastSourceCommitTimeMs();

    long getLastTargetCommitTimeMs();

    /** Time from the last applied change's commit on the source to its commit on the target. */
    long getLagMillis();
}
