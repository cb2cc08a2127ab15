package io.tsmigrate.cli;

import io.tsmigrate.testkit.Digest;
import io.tsmigrate.testkit.NativeServices;
import io.tsmigrate.testkit.PgEndpoint;
import io.tsmigrate.testkit.Services;
import io.tsmigrate.testkit.ServicesExtension;
import io.tsmigrate.testkit.TestDatabases;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.tsmigrate.cli.CliIT.args;
import static io.tsmigrate.cli.CliIT.tsmigrate;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * migrate and cutover on a Connect worker with Kafka's default offset.flush.interval.ms (60 s), as most shared
 * clusters run: the waits follow the cutover marker through the change stream, not the slot's confirmed position
 * (which Debezium moves only when the worker commits offsets), so neither waits for the next offset commit.
 */
@ExtendWith(ServicesExtension.class)
class DefaultWorkerCutoverIT {

    @Test
    @DisplayName("on a worker with offset.flush.interval.ms=60000: migrate reports READY and cutover ends within seconds, equal")
    void cutover_does_not_wait_for_the_workers_offset_commit(TestDatabases dbs) throws Exception {
        assumeTrue(dbs.services().natives().isPresent(), "restarting the worker needs the native services");
        NativeServices natives = dbs.services().natives().orElseThrow();
        PgEndpoint[] pair = CliIT.freshPair(dbs, "dwc");
        try (Connection c = Services.open(pair[0]); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL)");
            st.execute("INSERT INTO accounts SELECT i, 0 FROM generate_series(1, 20000) i");
        }
        List<String> ep = List.of("--source-url", pair[0].jdbcUrl(), "--target-url", pair[1].jdbcUrl(), "--connect", dbs.services().connectUrl(),
                "--kafka", dbs.services().kafkaBootstrap(), "--name", "dwc");
        natives.restartConnect(60_000);
        try {
            long started = System.nanoTime();
            CliIT.Run migrate = tsmigrate(args(ep, "migrate", "--timeout", "240", "--jobs", "2", "--pg-bin", dbs.services().pgBin().orElseThrow().toString()));
            System.out.println(migrate.out());
            assertThat(migrate.code()).as(migrate.out()).isZero();
            double migrateSeconds = (System.nanoTime() - started) / 1e9;
            assertThat(migrateSeconds).as("migrate did not wait for an offset commit").isLessThan(50);
            try (Connection c = Services.open(pair[0]); Statement st = c.createStatement()) {
                for (int i = 0; i < 50; i++) {
                    st.execute("UPDATE accounts SET balance = balance + " + i + " WHERE id = " + (1 + i * 100));
                }
            }
            CliIT.Run cutover = tsmigrate(args(ep, "cutover", "--timeout", "120"));
            System.out.println(cutover.out());
            assertThat(cutover.code()).as(cutover.out()).isZero();
            Matcher m = Pattern.compile("downtime ([0-9.]+) s").matcher(cutover.out());
            assertThat(m.find()).isTrue();
            assertThat(Double.parseDouble(m.group(1))).as("downtime on a worker with Kafka's default offset commit interval").isLessThan(8);
            try (Connection s = Services.open(pair[0]); Connection t = Services.open(pair[1])) {
                assertThat(Digest.table(t, "public", "accounts")).isEqualTo(Digest.table(s, "public", "accounts"));
            }
        } finally {
            natives.restartConnect(2_000);
            tsmigrate(args(ep, "clean", "--yes"));
            CliIT.dropPair(pair);
        }
    }
}
