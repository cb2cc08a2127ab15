package io.tsmigrate.sink;

import io.tsmigrate.testkit.NativeServices;
import io.tsmigrate.testkit.ServicesExtension;
import io.tsmigrate.testkit.TestDatabases;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * On a Connect worker with Kafka's default {@code offset.flush.interval.ms} (60 s) the worker polls with a
 * timeout that runs to its next offset commit, so without new records {@code put()} is not called: the sink asks
 * for an earlier wake-up itself. The tail of a burst must land within the sink's flush interval, not a minute later.
 */
@ExtendWith(ServicesExtension.class)
class KafkaDefaultsWorkerIT {

    @Test
    @DisplayName("worker with Kafka's default offset.flush.interval.ms: the tail of a burst is applied within seconds")
    void the_tail_of_a_burst_lands_within_seconds(TestDatabases dbs) throws Exception {
        assertThat(dbs.services().natives()).as("restarting the worker needs the native services (the test kit starts them when no service is configured; see README)").isPresent();
        NativeServices natives = dbs.services().natives().orElseThrow();
        natives.restartConnect(60_000);
        try {
            Pipeline p = new Pipeline(dbs, "kdefault");
            p.both("CREATE TABLE burst (id int PRIMARY KEY, v text)");
            Map<String, String> source = p.sourceConfig();
            source.put("snapshot.mode", "no_data");
            source.put("table.include.list", "public.burst");
            p.startSource(source);
            Map<String, String> sink = p.sinkConfig();
            sink.put("flush.interval.ms", "1000");
            p.startSink(sink);
            try {
                // Warm up (topic creation, first poll), then a burst whose last records arrive after the worker's last poll.
                p.source("INSERT INTO burst VALUES (0, 'warm')");
                p.awaitEqual(Duration.ofSeconds(90), "burst");
                for (int round = 1; round <= 3; round++) {
                    p.source("INSERT INTO burst SELECT i, 'b' || i FROM generate_series(" + round * 10_000 + ", " + (round * 10_000 + 7_777) + ") i");
                    long start = System.nanoTime();
                    p.awaitEqual(Duration.ofSeconds(60), "burst");
                    double seconds = (System.nanoTime() - start) / 1e9;
                    System.out.printf("[KafkaDefaultsWorkerIT] burst %d applied %.1f s after its commit%n", round, seconds);
                    assertThat(seconds).as("burst %d", round).isLessThan(15.0);
                }
            } finally {
                p.stop();
            }
        } finally {
            natives.restartConnect(2_000);
        }
    }
}
