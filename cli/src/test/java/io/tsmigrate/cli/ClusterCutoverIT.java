package io.tsmigrate.cli;

import io.tsmigrate.common.ConnectClient;

import com.fasterxml.jackson.databind.JsonNode;
import io.tsmigrate.testkit.Digest;
import io.tsmigrate.testkit.NativeServices;
import io.tsmigrate.testkit.PgEndpoint;
import io.tsmigrate.testkit.Services;
import io.tsmigrate.testkit.ServicesExtension;
import io.tsmigrate.testkit.TestDatabases;
import io.tsmigrate.testkit.WriteLoad;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.URI;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
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
        try {
            CliIT.Run migrate = tsmigrate(args(ep, "migrate", "--sink-tasks", "2", "--jobs", "2", "--pg-bin", dbs.services().pgBin().orElseThrow().toString()));
            System.out.println(migrate.out());
            assertThat(migrate.code()).as(migrate.out()).isZero();
            try (WriteLoad writer = WriteLoad.repeat("updates", () -> Services.open(pair[0]), 5, (st, i) -> {
                st.execute("UPDATE " + "abcd".charAt((int) (i % 4)) + " SET n = n + 1 WHERE id = " + (1 + i % 5000));
                return true;
            })) {
                ConnectClient rest = new ConnectClient(dbs.services().connectUrl());
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
                writer.check();
            }
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
            natives.stopWorker("connect3");
            tsmigrate(args(ep, "clean", "--yes"));
            CliIT.dropPair(pair);
        }
    }

    /**
     * {@code migrate --topic-partitions 3 --sink-tasks 3}: the keyed tables without another unique index (one becomes a
     * hypertable) get three partitions, a keyless table and one with a unique e-mail keep one; under writes with key
     * changes of rows with large unchanged values and a TRUNCATE of a spread table, cutover comes out equal; a later
     * start with another partition count is refused, naming the topic.
     */
    @Test
    @DisplayName("--topic-partitions 3 --sink-tasks 3: keyed tables spread, keyless and uniquely indexed ones not, key changes and a TRUNCATE across partitions: equal")
    void spreads_keyed_tables_over_partitions(TestDatabases dbs) throws Exception {
        PgEndpoint[] pair = CliIT.freshPair(dbs, "spr");
        try (Connection c = Services.open(pair[0]); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE accounts (id int PRIMARY KEY, owner text, doc text)");
            st.execute("ALTER TABLE accounts ALTER doc SET STORAGE EXTERNAL");
            st.execute("CREATE TABLE readings (dev int, at timestamptz, val float8, PRIMARY KEY (dev, at))");
            st.execute("CREATE TABLE log (at timestamptz NOT NULL, msg text)");
            st.execute("CREATE TABLE users (id int PRIMARY KEY, email text UNIQUE)");
            st.execute("INSERT INTO accounts SELECT i, 'o' || i, CASE WHEN i % 4 = 0 THEN repeat(md5(i::text), 200) END FROM generate_series(1, 4000) i");
            st.execute("INSERT INTO readings SELECT i % 20, '2026-01-01'::timestamptz + i * INTERVAL '1 minute', i FROM generate_series(1, 6000) i");
            st.execute("INSERT INTO log SELECT now(), 'l' || i FROM generate_series(1, 1000) i");
            st.execute("INSERT INTO users SELECT i, 'u' || i || '@x' FROM generate_series(1, 500) i");
        }
        List<String> ep = List.of("--source-url", pair[0].jdbcUrl(), "--target-url", pair[1].jdbcUrl(), "--connect", dbs.services().connectUrl(),
                "--kafka", dbs.services().kafkaBootstrap(), "--name", "spr");
        try {
            CliIT.Run migrate = tsmigrate(args(ep, "migrate", "--topic-partitions", "3", "--sink-tasks", "3", "--hypertable", "public.readings:at:1day",
                    "--pg-bin", dbs.services().pgBin().orElseThrow().toString()));
            System.out.println(migrate.out());
            assertThat(migrate.code()).as(migrate.out()).isZero();
            assertThat(migrate.out()).contains("2 table(s) spread over 3 partitions each");
            try (Connection c = Services.open(pair[0]); Statement st = c.createStatement()) {
                st.execute("UPDATE accounts SET id = id + 10000 WHERE id % 8 = 0");
                st.execute("UPDATE accounts SET id = -id, owner = 'moved' WHERE id > 10000 AND id % 3 = 0");
                st.execute("UPDATE readings SET at = at + INTERVAL '3 days 7 seconds' WHERE dev = 5");
                st.execute("INSERT INTO readings SELECT i % 20, '2026-02-01'::timestamptz + i * INTERVAL '1 minute', -i FROM generate_series(1, 3000) i");
                st.execute("BEGIN; INSERT INTO accounts SELECT i, 'pre', NULL FROM generate_series(20001, 20100) i; TRUNCATE accounts; "
                        + "INSERT INTO accounts SELECT i, 'post', repeat('p', 3000) FROM generate_series(30001, 30600) i; COMMIT");
                st.execute("UPDATE accounts SET id = id + 1000 WHERE id % 5 = 0");
                st.execute("INSERT INTO log SELECT now(), 'm' || i FROM generate_series(1, 500) i");
                st.execute("UPDATE users SET email = 'v' || id || '@x' WHERE id % 2 = 0");
            }
            CliIT.Run cutover = tsmigrate(args(ep, "cutover", "--timeout", "180"));
            System.out.println(cutover.out());
            assertThat(cutover.code()).as(cutover.out()).isZero();
            try (Connection s = Services.open(pair[0]); Connection t = Services.open(pair[1])) {
                for (String table : List.of("accounts", "readings", "log", "users")) {
                    assertThat(Digest.table(t, "public", table)).as(table).isEqualTo(Digest.table(s, "public", table));
                }
            }
            // Made by Connect as Debezium first wrote to them.
            java.util.Properties kp = new java.util.Properties();
            kp.put("bootstrap.servers", dbs.services().kafkaBootstrap());
            try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(kp)) {
                var topics = admin.describeTopics(List.of("spr.public.accounts", "spr.public.readings", "spr.public.log", "spr.public.users"))
                        .allTopicNames().get();
                assertThat(topics.get("spr.public.accounts").partitions()).hasSize(3);
                assertThat(topics.get("spr.public.readings").partitions()).hasSize(3);
                assertThat(topics.get("spr.public.log").partitions()).as("no key: one partition").hasSize(1);
                assertThat(topics.get("spr.public.users").partitions()).as("a unique index beside the key: one partition").hasSize(1);
            }
            CliIT.Run again = tsmigrate(args(ep, "start", "--topic-partitions", "2"));
            System.out.println(again.out());
            assertThat(again.code()).isNotZero();
            assertThat(again.out()).contains("spr.public.accounts has 3 partitions").contains("--topic-partitions 3");
        } finally {
            tsmigrate(args(ep, "clean", "--yes"));
            CliIT.dropPair(pair);
        }
    }
}
