package io.tsmigrate.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.tsmigrate.testkit.Digest;
import io.tsmigrate.testkit.NativeServices;
import io.tsmigrate.testkit.PgEndpoint;
import io.tsmigrate.testkit.Services;
import io.tsmigrate.testkit.ServicesExtension;
import io.tsmigrate.testkit.TestDatabases;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.URI;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.tsmigrate.cli.CliIT.args;
import static io.tsmigrate.cli.CliIT.tsmigrate;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A migration on a two-worker Connect cluster with two sink tasks; one worker is killed (kill -9) while the
 * application writes. {@code status} names the orphaned tasks (Connect still reports them RUNNING on the dead worker)
 * instead of a healthy lag; {@code cutover} waits for Connect to move them before it stops anything, says so, and its
 * downtime stays that of a healthy cluster.
 */
@ExtendWith(ServicesExtension.class)
class ClusterCutoverIT {

    @Test
    @DisplayName("worker killed in a two-worker cluster: status names the orphaned tasks, cutover waits for them outside its downtime, equal")
    void cutover_waits_for_orphaned_tasks_before_the_downtime(TestDatabases dbs) throws Exception {
        assumeTrue(dbs.services().natives().isPresent(), "a second worker needs the native services");
        NativeServices natives = dbs.services().natives().orElseThrow();
        PgEndpoint[] pair = CliIT.freshPair(dbs, "clu");
        try (Connection c = Services.open(pair[0]); Statement st = c.createStatement()) {
            for (String t : List.of("a", "b", "c", "d")) {
                st.execute("CREATE TABLE " + t + " (id int PRIMARY KEY, n bigint NOT NULL)");
                st.execute("INSERT INTO " + t + " SELECT i, 0 FROM generate_series(1, 5000) i");
            }
        }
        int port = URI.create(dbs.services().connectUrl()).getPort() + 8;
        String worker2 = "127.0.0.1:" + port;
        natives.startWorker("connect3", port);
        List<String> ep = List.of("--source-url", pair[0].jdbcUrl(), "--target-url", pair[1].jdbcUrl(), "--connect", dbs.services().connectUrl(),
                "--kafka", dbs.services().kafkaBootstrap(), "--name", "clu");
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicReference<Throwable> writeFailed = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            try (Connection c = Services.open(pair[0]); Statement st = c.createStatement()) {
                for (int i = 0; writing.get(); i++) {
                    st.execute("UPDATE " + "abcd".charAt(i % 4) + " SET n = n + 1 WHERE id = " + (1 + i % 5000));
                    Thread.sleep(5);
                }
            } catch (Throwable e) {
                writeFailed.set(e);
            }
        });
        try {
            CliIT.Run migrate = tsmigrate(args(ep, "migrate", "--sink-tasks", "2", "--jobs", "2", "--pg-bin", dbs.services().pgBin().orElseThrow().toString()));
            System.out.println(migrate.out());
            assertThat(migrate.code()).as(migrate.out()).isZero();
            writer.start();
            ConnectRest rest = new ConnectRest(dbs.services().connectUrl());
            List<String> onWorker2 = new ArrayList<>();
            for (String connector : List.of("clu-source", "clu-sink")) {
                for (JsonNode t : rest.status(connector).path("tasks")) {
                    if (worker2.equals(t.path("worker_id").asText())) {
                        onWorker2.add(connector + " task " + t.path("id").asInt());
                    }
                }
            }
            System.out.println("[ClusterCutoverIT] tasks on " + worker2 + ": " + onWorker2);
            assertThat(onWorker2).as("Connect gave the second worker a task").isNotEmpty();
            Thread.sleep(1000);
            natives.kill("connect3");
            CliIT.Run status = tsmigrate(args(ep, "status"));
            System.out.println(status.out());
            assertThat(status.out()).contains("is orphaned").contains(worker2);
            Thread.sleep(1000);
            writing.set(false);
            writer.join();
            assertThat(writeFailed.get()).isNull();
            CliIT.Run cutover = tsmigrate(args(ep, "cutover", "--timeout", "180"));
            System.out.println(cutover.out());
            assertThat(cutover.code()).as(cutover.out()).isZero();
            assertThat(cutover.out()).contains("Waiting before the cutover for tasks to run").contains("Every task runs again");
            Matcher m = Pattern.compile("downtime ([0-9.]+) s").matcher(cutover.out());
            assertThat(m.find()).isTrue();
            assertThat(Double.parseDouble(m.group(1))).as("downtime after the tasks moved").isLessThan(15);
            try (Connection s = Services.open(pair[0]); Connection t = Services.open(pair[1])) {
                for (String table : List.of("a", "b", "c", "d")) {
                    assertThat(Digest.table(t, "public", table)).as(table).isEqualTo(Digest.table(s, "public", table));
                }
            }
        } finally {
            writing.set(false);
            if (writer.isAlive()) {
                writer.join();
            }
            natives.stopWorker("connect3");
            tsmigrate(args(ep, "clean", "--yes"));
            CliIT.dropPair(pair);
        }
    }
}
