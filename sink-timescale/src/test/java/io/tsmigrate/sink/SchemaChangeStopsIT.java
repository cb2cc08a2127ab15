package io.tsmigrate.sink;

import io.tsmigrate.testkit.ServicesExtension;
import io.tsmigrate.testkit.TestDatabases;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Source DDL the sink cannot follow stops its task with one message that names the table, the column and the fix,
 * and nothing after the change is applied (through the real Debezium, streamed).
 */
@ExtendWith(ServicesExtension.class)
class SchemaChangeStopsIT {

    @Test
    @DisplayName("a column dropped on the source that is NOT NULL on the target: the task stops naming the column and both fixes")
    void dropped_not_null_column(TestDatabases dbs) throws Exception {
        String trace = stopsOn(dbs, "shrinks", "(id int PRIMARY KEY, a text NOT NULL, b int)", "(1, 'x', 1)",
                "ALTER TABLE shrinks DROP COLUMN a", "(2, 2)");
        assertThat(trace).contains("table public.shrinks, column a").contains("NOT NULL without a default")
                .contains("DROP COLUMN \"a\"").contains("ALTER COLUMN \"a\" DROP NOT NULL");
    }

    @Test
    @DisplayName("a column whose type changed on the source: the task stops naming the column, both types and the fix")
    void changed_column_type(TestDatabases dbs) throws Exception {
        String trace = stopsOn(dbs, "retypes", "(id int PRIMARY KEY, flag int)", "(1, 1)",
                "ALTER TABLE retypes ALTER COLUMN flag TYPE boolean USING flag <> 0", "(2, true)");
        assertThat(trace).contains("table public.retypes, column flag").contains("target column is integer").contains("ALTER COLUMN \"flag\" TYPE");
    }

    @Test
    @DisplayName("a column added on the source whose name begins __tsm_ (the sink's own columns): the task stops naming it and the fix")
    void reserved_column_name(TestDatabases dbs) throws Exception {
        Pipeline p = new Pipeline(dbs, "notes");
        try {
            // Added on the target too (as a user following the add-column advice would): the sink must still refuse it.
            String trace = stopsOn(p, "notes", java.util.List.of("CREATE TABLE notes (id int PRIMARY KEY, b int)"), "(1, 1)",
                    "ALTER TABLE notes ADD COLUMN __tsm_op text", "(2, 2, 'x')", true);
            assertThat(trace).contains("table public.notes, column __tsm_op").contains("RENAME COLUMN");
        } finally {
            p.stop();
        }
    }

    @Test
    @DisplayName("a partition created on the source during the migration: the task stops with the fix; once the target has it, a restart "
            + "applies the row (nothing lost)")
    void new_partition(TestDatabases dbs) throws Exception {
        Pipeline p = new Pipeline(dbs, "parts");
        try {
            String trace = stopsOn(p, "parts", java.util.List.of("CREATE TABLE parts (id int, region int, PRIMARY KEY (id, region)) PARTITION BY LIST (region)",
                    "CREATE TABLE parts_1 PARTITION OF parts FOR VALUES IN (1)"), "(1, 1)", "CREATE TABLE parts_2 PARTITION OF parts FOR VALUES IN (2)", "(2, 2)", false);
            assertThat(trace).contains("no partition of relation \"parts\"").contains("create the same partition on the target");
            p.target("CREATE TABLE parts_2 PARTITION OF parts FOR VALUES IN (2)");
            dbs.services().connect().restart(p.sinkName);
            p.awaitEqual(Duration.ofSeconds(90), "parts");
        } finally {
            p.stop();
        }
    }

    @Test
    @DisplayName("an enum value added on the source during the migration: the task stops with the fix")
    void new_enum_value(TestDatabases dbs) throws Exception {
        Pipeline p = new Pipeline(dbs, "moods");
        try {
            String trace = stopsOn(p, "moods", java.util.List.of("DO $$ BEGIN CREATE TYPE feeling AS ENUM ('sad', 'ok'); "
                    + "EXCEPTION WHEN duplicate_object THEN NULL; END $$", "CREATE TABLE moods (id int PRIMARY KEY, f feeling)"), "(1, 'ok')",
                    "ALTER TYPE feeling ADD VALUE 'glad'", "(2, 'glad')", false);
            assertThat(trace).contains("invalid input value for enum feeling").contains("ALTER TYPE ... ADD VALUE");
        } finally {
            p.stop();
        }
    }

    /**
     * Streams {@code table} (as users run it: no Debezium snapshot), applies one row, runs {@code ddl} and inserts
     * another; returns the sink's failure trace once only the first row is on the target.
     */
    private static String stopsOn(TestDatabases dbs, String table, String columns, String first, String ddl, String second) throws Exception {
        Pipeline p = new Pipeline(dbs, table);
        try {
            return stopsOn(p, table, java.util.List.of("CREATE TABLE " + table + " " + columns), first, ddl, second, false);
        } finally {
            p.stop();
        }
    }

    /** {@link #stopsOn(TestDatabases, String, String, String, String, String)} with the tables made by {@code create} on both sides (and the
     * DDL too when {@code ddlOnTarget}). */
    private static String stopsOn(Pipeline p, String table, java.util.List<String> create, String first, String ddl, String second,
            boolean ddlOnTarget) throws Exception {
        p.both(create.toArray(String[]::new));
        Map<String, String> source = p.sourceConfig();
        // As the bootstrap publishes: partitions under their root table.
        p.source("DROP PUBLICATION IF EXISTS " + source.get("publication.name"),
                "CREATE PUBLICATION " + source.get("publication.name") + " FOR TABLE " + table + " WITH (publish_via_partition_root = true)");
        source.put("publication.autocreate.mode", "disabled");
        source.put("snapshot.mode", "no_data");
        source.put("table.include.list", "public." + table);
        p.startSource(source);
        p.startSink(p.sinkConfig());
        p.source("INSERT INTO " + table + " VALUES " + first);
        p.awaitEqual(Duration.ofSeconds(90), table);
        if (ddlOnTarget) {
            p.target(ddl);
        }
        p.source(ddl, "INSERT INTO " + table + " VALUES " + second);
        String trace = p.awaitSinkFailure(Duration.ofSeconds(90));
        assertThat(p.digests(false, table).get(table)).startsWith("1:");
        return trace;
    }
}
