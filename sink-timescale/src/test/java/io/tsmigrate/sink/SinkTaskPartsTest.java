package io.tsmigrate.sink;

import io.tsmigrate.sink.buffer.Buffered;
import io.tsmigrate.sink.sql.TargetShapeException;
import io.tsmigrate.sink.write.Applier;
import io.tsmigrate.sink.write.Position;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.RetriableException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.Test;

import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The sink task's parts that need neither Connect nor a database: its retry policy and its writer thread. */
class SinkTaskPartsTest {

    private static SQLException state(String sqlState) {
        return new SQLException("boom", sqlState);
    }

    @Test
    void transient_errors_are_retried_with_a_doubling_backoff_then_given_up() {
        RetryPolicy retry = new RetryPolicy(3, 100, new SinkMetrics());
        assertThat(retry.backoffLeft()).isLessThanOrEqualTo(0);
        assertThat(retry.failed(state("08006"))).isInstanceOf(RetriableException.class);
        assertThat(retry.backoffLeft()).isBetween(1L, 100L);
        assertThat(retry.failed(state("40001"))).isInstanceOf(RetriableException.class);
        assertThat(retry.backoffLeft()).isBetween(101L, 200L);
        assertThat(retry.failed(state("40P01"))).isInstanceOf(RetriableException.class);
        RuntimeException last = retry.failed(state("57P01"));
        assertThat(last).isInstanceOf(ConnectException.class).isNotInstanceOf(RetriableException.class)
                .hasMessageContaining("giving up after 3 retries");
        assertThat(retry.backoff(30)).isEqualTo(30_000);
    }

    @Test
    void a_success_resets_the_count_and_data_errors_stop_at_once() {
        RetryPolicy retry = new RetryPolicy(1, 1, new SinkMetrics());
        assertThat(retry.failed(state("08006"))).isInstanceOf(RetriableException.class);
        retry.succeeded();
        assertThat(retry.failed(state("08006"))).isInstanceOf(RetriableException.class);
        assertThat(retry.failed(state("23505"))).isNotInstanceOf(RetriableException.class).hasMessage("boom");
        assertThat(retry.failed(new TargetShapeException("no such column"))).isNotInstanceOf(RetriableException.class)
                .hasMessageContaining("no such column");
        assertThat(retry.again(state("08006"), 1)).isTrue();
        assertThat(retry.again(state("08006"), 2)).isFalse();
        assertThat(retry.again(state("22P02"), 1)).isFalse();
    }

    @Test
    void a_write_lands_or_gives_its_records_back() throws Exception {
        WriterThread writer = new WriterThread("test-writer");
        List<Buffered> items = List.of(new Buffered(new SinkRecord("t", 0, null, null, Schema.STRING_SCHEMA, "", 7), null));
        assertThat(writer.settle()).isNull();

        CountDownLatch release = new CountDownLatch(1);
        Applier.Result ok = new Applier.Result(1, Map.of(new TopicPartition("t", 0), Position.NONE), 5, 6, List.of());
        writer.submit(items, () -> {
            release.await(10, TimeUnit.SECONDS);
            return ok;
        });
        assertThat(writer.busy()).isTrue();
        release.countDown();
        WriterThread.Settled landed = writer.settle();
        assertThat(landed.result()).isSameAs(ok);
        assertThat(landed.failed()).isEmpty();
        assertThat(writer.busy()).isFalse();

        writer.submit(items, () -> {
            throw state("08006");
        });
        WriterThread.Settled failed = writer.settle();
        assertThat(failed.result()).isNull();
        assertThat(failed.failed()).isEqualTo(items);
        assertThat(failed.interrupted()).isFalse();
        writer.stop();
    }
}
