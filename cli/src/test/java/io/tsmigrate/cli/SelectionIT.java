package io.tsmigrate.cli;

import io.tsmigrate.common.Db;

import io.tsmigrate.testkit.Digest;
import io.tsmigrate.testkit.PgEndpoint;
import io.tsmigrate.testkit.Services;
import io.tsmigrate.testkit.ServicesExtension;
import io.tsmigrate.testkit.TestDatabases;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;

import static io.tsmigrate.cli.CliIT.tsmigrate;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Table selection from one --config file used by every command: check judges only the covered tables, the
 * bootstrap copies only them (schema, data, publication), and verify and cutover compare only them.
 */
@ExtendWith(ServicesExtension.class)
class SelectionIT {

    @Test
    @DisplayName("--include-schema/--exclude-table/--table in a --config file: only the covered tables are checked, copied, streamed and verified")
    void one_selection_for_every_command(TestDatabases dbs) throws Exception {
        PgEndpoint[] pair = CliIT.freshPair(dbs, "sel");
        PgEndpoint srcDb = pair[0];
        PgEndpoint tgtDb = pair[1];
        try (Connection c = Services.open(srcDb); Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA app");
            st.execute("CREATE SCHEMA \"Other\"");
            st.execute("CREATE TABLE app.orders (id int PRIMARY KEY, v text)");
            st.execute("CREATE TABLE app.scratch_1 (a int)");
            st.execute("CREATE TABLE app.scratch_2 (a int PRIMARY KEY)");
            // A foreign key to a table the selection leaves out: not made on the target, said once.
            st.execute("CREATE TABLE app.\"Line Items\" (id int PRIMARY KEY, order_id int, scratch int REFERENCES app.scratch_2 (a))");
            st.execute("CREATE TABLE \"Other\".nokey (a int)");
            // Views over left-out tables (directly, through another view, a materialized one with an index, across schemas):
            // left out with them; a view over a migrated table comes along.
            st.execute("CREATE VIEW app.scratch_view AS SELECT * FROM app.scratch_1");
            st.execute("CREATE VIEW app.\"On Scratch View\" AS SELECT a FROM app.scratch_view");
            st.execute("CREATE MATERIALIZED VIEW app.order_scratch AS SELECT o.id FROM app.orders o JOIN \"Other\".nokey k ON k.a = o.id");
            st.execute("CREATE INDEX order_scratch_id ON app.order_scratch (id)");
            st.execute("CREATE VIEW app.order_view AS SELECT id FROM app.orders");
            st.execute("INSERT INTO app.orders SELECT i, 'o' || i FROM generate_series(1, 500) i");
            st.execute("INSERT INTO app.\"Line Items\" SELECT i, i % 500 FROM generate_series(1, 800) i");
            st.execute("INSERT INTO app.scratch_1 SELECT generate_series(1, 10)");
            st.execute("INSERT INTO \"Other\".nokey SELECT generate_series(1, 10)");
        }
        Path config = Path.of("target", "selection-it.yaml").toAbsolutePath();
        Files.createDirectories(config.getParent());
        Files.writeString(config, String.join("\n",
                "source-url: " + srcDb.jdbcUrl(),
                "target-url: " + tgtDb.jdbcUrl(),
                "connect: " + dbs.services().connectUrl(),
                "kafka: " + dbs.services().kafkaBootstrap(),
                "name: sel",
                "include-schema: [app, \"\\\"Other\\\"\"]",
                "exclude-schema: ['\"Other\"']",
                "exclude-table: ['app.scratch_*']",
                "pg-bin: " + dbs.services().pgBin().orElseThrow(),
                ""));
        String cfg = "--config=" + config;
        try {
            CliIT.Run check = tsmigrate("check", cfg);
            System.out.println(check.out());
            assertThat(check.out()).doesNotContain("scratch").doesNotContain("nokey");
            CliIT.Run migrate = tsmigrate("migrate", cfg, "--jobs", "2");
            System.out.println(migrate.out());
            assertThat(migrate.code()).as(migrate.out()).isZero();
            assertThat(migrate.out()).contains("WARN foreign key").contains("references app.scratch_2, which the migration leaves out")
                    .contains("WARN views app.\"On Scratch View\", app.order_scratch, app.scratch_view read tables the selection leaves out");
            try (Connection c = Services.open(srcDb); Statement st = c.createStatement()) {
                st.execute("UPDATE app.orders SET v = 'changed' WHERE id % 7 = 0");
                st.execute("INSERT INTO app.\"Line Items\" VALUES (5000, 1)");
                st.execute("INSERT INTO app.scratch_1 VALUES (99)");
                ResultSet rs = st.executeQuery("SELECT string_agg(schemaname || '.' || tablename, ',' ORDER BY tablename COLLATE \"C\") FROM pg_publication_tables WHERE pubname = 'sel'");
                rs.next();
                assertThat(rs.getString(1)).isEqualTo("app.Line Items,app.orders");
            }
            CliIT.Run cutover = tsmigrate("cutover", cfg, "--timeout", "120");
            System.out.println(cutover.out());
            assertThat(cutover.code()).as(cutover.out()).isZero();
            assertThat(cutover.out()).contains("2 tables equal");
            CliIT.Run verify = tsmigrate("verify", cfg, "--table", "app.orders");
            assertThat(verify.code()).as(verify.out()).isZero();
            assertThat(verify.out()).contains("All 1 tables equal.");
            try (Connection s = Services.open(srcDb); Connection t = Services.open(tgtDb); Statement st = t.createStatement()) {
                for (String table : List.of("orders", "Line Items")) {
                    assertThat(Digest.table(t, "app", table)).as(table).isEqualTo(Digest.table(s, "app", table));
                }
                ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_class WHERE relname IN ('scratch_1', 'scratch_2', 'nokey', 'scratch_view', "
                        + "'On Scratch View', 'order_scratch', 'order_scratch_id')");
                rs.next();
                assertThat(rs.getInt(1)).as("left-out tables and the views over them are not on the target").isZero();
                assertThat(Db.one(t, "SELECT count(*) FROM app.order_view")).isEqualTo(Db.one(s, "SELECT count(*) FROM app.order_view"));
            }
        } finally {
            tsmigrate("clean", cfg, "--yes");
            CliIT.dropPair(srcDb, tgtDb);
        }
    }
}
