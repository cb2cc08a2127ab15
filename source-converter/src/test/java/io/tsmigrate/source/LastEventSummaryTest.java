package io.tsmigrate.source;

import io.debezium.data.Envelope;
import io.debezium.pipeline.meters.CommonEventMeter;
import io.debezium.pipeline.source.spi.EventMetadataProvider;
import io.debezium.pipeline.spi.OffsetContext;
import io.debezium.relational.TableId;
import io.debezium.spi.schema.DataCollectionId;
import io.debezium.util.Clock;
import org.apache.kafka.connect.data.Struct;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LastEventSummaryTest {

    /** Debezium 3.6's chain from the task to the meter, with Debezium's own meter at its end. */
    static final class Task {
        Object coordinator;
    }

    static final class Coordinator {
        Object snapshotMetrics;
        Object streamingMetrics;
    }

    static final class Metrics {
        private final CommonEventMeter commonEventMeter;

        Metrics(CommonEventMeter meter) {
            this.commonEventMeter = meter;
        }
    }

    private static final EventMetadataProvider PROVIDER = new EventMetadataProvider() {
        @Override
        public Instant getEventTimestamp(DataCollectionId source, OffsetContext offset, Object key, Struct value) {
            return Instant.EPOCH;
        }

        @Override
        public Map<String, String> getEventSourcePosition(DataCollectionId source, OffsetContext offset, Object key, Struct value) {
            return Map.of("lsn", "7");
        }

        @Override
        public String getTransactionId(DataCollectionId source, OffsetContext offset, Object key, Struct value) {
            return "tx";
        }

        @Override
        public String toSummaryString(DataCollectionId source, OffsetContext offset, Object key, Struct value) {
            throw new AssertionError("Debezium's summary is not made");
        }
    };

    @Test
    void the_last_event_names_its_table_and_everything_else_is_debeziums() {
        CommonEventMeter meter = new CommonEventMeter(Clock.system(), PROVIDER);
        Task task = new Task();
        assertThat(LastEventSummary.tableOnly(task)).as("not started yet: try again later").isFalse();
        Coordinator coordinator = new Coordinator();
        coordinator.streamingMetrics = new Metrics(meter);
        task.coordinator = coordinator;
        assertThat(LastEventSummary.tableOnly(task)).isTrue();
        TableId table = new TableId("db", "Public", "Tick \"s\"");
        meter.onEvent(table, null, "key", null, Envelope.Operation.CREATE);
        assertThat(meter.getLastEvent()).isEqualTo(table.identifier());
        assertThat(meter.getTotalNumberOfEventsSeen()).isEqualTo(1);
        assertThat(meter.getTotalNumberOfCreateEventsSeen()).isEqualTo(1);
        EventMetadataProvider wrapped = LastEventSummary.byTable(PROVIDER);
        assertThat(wrapped.getEventSourcePosition(table, null, null, null)).isEqualTo(Map.of("lsn", "7"));
        assertThat(wrapped.getTransactionId(table, null, null, null)).isEqualTo("tx");
    }

    @Test
    void another_layout_leaves_the_metric_alone_and_a_bad_setting_is_named() {
        assertThat(LastEventSummary.tableOnly(new Object())).isTrue();
        assertThat(LastEventSummary.tableOnly(Map.of())).isTrue();
        assertThat(LastEventSummary.tableOnly(Map.of(LastEventSummary.SETTING, "debezium"))).isFalse();
        assertThatThrownBy(() -> LastEventSummary.tableOnly(Map.of(LastEventSummary.SETTING, "none"))).hasMessageContaining(LastEventSummary.SETTING);
    }
}
