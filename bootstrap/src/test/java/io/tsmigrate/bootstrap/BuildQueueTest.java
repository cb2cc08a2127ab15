package io.tsmigrate.bootstrap;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.tsmigrate.bootstrap.BuildQueue.Lock.EXCLUSIVE;
import static io.tsmigrate.bootstrap.BuildQueue.Lock.NONE;
import static io.tsmigrate.bootstrap.BuildQueue.Lock.SHARED;
import static org.assertj.core.api.Assertions.assertThat;

class BuildQueueTest {

    @Test
    void a_key_build_runs_alone_on_its_table_and_the_connection_takes_another_tables_index_meanwhile() {
        BuildQueue<String> q = new BuildQueue<>();
        q.add("metrics pk", "metrics", EXCLUSIVE, 1000);
        q.add("metrics ts", "metrics", SHARED, 1000);
        q.add("orders pk", "orders", EXCLUSIVE, 10);
        var pk = q.poll();
        assertThat(pk.item()).isEqualTo("metrics pk");
        assertThat(q.poll().item()).as("metrics ts waits for the key; the orders key may start").isEqualTo("orders pk");
        assertThat(q.poll()).isNull();
        assertThat(q.done(pk)).as("metrics has a build left").isFalse();
        var ts = q.poll();
        assertThat(ts.item()).isEqualTo("metrics ts");
        assertThat(q.done(ts)).as("the last build of metrics").isTrue();
    }

    @Test
    void indexes_of_one_table_run_side_by_side_and_a_key_waits_for_them() {
        BuildQueue<String> q = new BuildQueue<>();
        q.add("a", "t", SHARED, 5);
        q.add("b", "t", SHARED, 5);
        q.add("key", "t", EXCLUSIVE, 5);
        var a = q.poll();
        var b = q.poll();
        assertThat(a.item() + b.item()).isEqualTo("ab");
        assertThat(q.poll()).isNull();
        q.done(a);
        assertThat(q.poll()).isNull();
        q.done(b);
        assertThat(q.poll().item()).isEqualTo("key");
    }

    @Test
    void largest_table_first_then_in_order_and_jobs_without_a_lock_never_wait() {
        BuildQueue<String> q = new BuildQueue<>();
        q.add("small", "s", SHARED, 1);
        q.add("big 1", "b", EXCLUSIVE, 9);
        q.add("big 2", "b", EXCLUSIVE, 9);
        q.add("analyze", "b", NONE, Long.MIN_VALUE);
        assertThat(q.poll().item()).isEqualTo("big 1");
        assertThat(q.poll().item()).isEqualTo("small");
        assertThat(q.poll().item()).isEqualTo("analyze");
        assertThat(q.poll()).isNull();
    }

    @Test
    void take_ends_once_closed_and_nothing_runs_and_a_running_job_may_still_add_work() throws Exception {
        BuildQueue<String> q = new BuildQueue<>();
        q.add("plan", null, NONE, 0);
        var plan = q.take();
        q.close();
        CompletableFuture<BuildQueue.Taken<String>> next = CompletableFuture.supplyAsync(() -> {
            try {
                return q.take();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(100);
        assertThat(next).as("a job still runs: the other connection waits").isNotDone();
        q.add("chunk", null, NONE, 0);
        assertThat(next.get(5, TimeUnit.SECONDS).item()).isEqualTo("chunk");
        q.done(plan);
        q.done(next.get());
        assertThat(q.take()).isNull();
    }

    @Test
    void abort_drops_what_has_not_started() throws Exception {
        BuildQueue<String> q = new BuildQueue<>();
        q.add("a", "t", SHARED, 1);
        q.add("b", "u", SHARED, 1);
        var a = q.take();
        q.abort();
        q.done(a);
        assertThat(q.take()).isNull();
    }
}
