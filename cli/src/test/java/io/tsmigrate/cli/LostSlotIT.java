package io.tsmigrate.cli;

import io.tsmigrate.common.ConnectClient;

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

import static io.tsmigrate.cli.CliIT.tsmigrate;
import static org.assertj.core.api.Assertions.assertThat;

/** A migration whose slot was dropped: status says so and what to do; cutover fails closed before stopping anything. */
@ExtendWith(ServicesExtension.class)
class LostSlotIT {

    @Test
    @DisplayName("slot dropped during streaming: status shows it missing, cutover refuses naming the slot and the sink's applied position")
    void cutover_fails_closed_without_the_slot(TestDatabases dbs) throws Exception {
        PgEndpoint[] pair = CliIT.freshPair(dbs, "lost");
        try (Connection c = Services.open(pair[0]); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE t (id int PRIMARY KEY, v text)");
            st.execute("INSERT INTO t SELECT i, 'v' FROM generate_series(1, 100) i");
        }
        List<String> ep = List.of("--source-url", pair[0].jdbcUrl(), "--target-url", pair[1].jdbcUrl(), "--connect", dbs.services().connectUrl(),
                "--kafka", dbs.services().kafkaBootstrap(), "--name", "lost");
        try {
            CliIT.Run migrate = tsmigrate(CliIT.args(ep, "migrate", "--pg-bin", dbs.services().pgBin().orElseThrow().toString()));
            assertThat(migrate.code()).as(migrate.out()).isZero();
            try (Connection c = Services.open(pair[0]); Statement st = c.createStatement()) {
                st.execute("INSERT INTO t VALUES (1000, 'streamed')");
            }
            try (Connection c = Services.open(pair[1]); Statement st = c.createStatement()) {
                for (int i = 0; ; i++) {
                    var rs = st.executeQuery("SELECT count(*) FROM t WHERE id = 1000");
                    rs.next();
                    if (rs.getInt(1) == 1) {
                        break;
                    }
                    assertThat(i).as("the streamed row reached the target").isLessThan(120);
                    Thread.sleep(500);
                }
            }
            new ConnectClient(dbs.services().connectUrl()).delete("lost-source");
            try (Connection c = Services.open(pair[0]); Statement st = c.createStatement()) {
                for (int i = 0; ; i++) {
                    try {
                        st.execute("SELECT pg_drop_replication_slot('lost')");
                        break;
                    } catch (java.sql.SQLException stillActive) {
                        if (i == 60) {
                            throw stillActive;
                        }
                        Thread.sleep(500);
                    }
                }
            }
            CliIT.Run status = tsmigrate(CliIT.args(ep, "status"));
            System.out.println(status.out());
            assertThat(status.out()).contains("lost (missing)").contains("does not exist");
            CliIT.Run cutover = tsmigrate(CliIT.args(ep, "cutover", "--block-writes", "postgres", "--timeout", "60"));
            System.out.println(cutover.out());
            assertThat(cutover.code()).isNotZero();
            assertThat(cutover.out()).contains("replication slot lost does not exist").contains("the sink has applied up to source LSN")
                    .doesNotContain("Writes blocked").doesNotContain("Cutover point");
        } finally {
            tsmigrate(CliIT.args(ep, "clean", "--yes"));
            CliIT.dropPair(pair);
        }
    }
}
