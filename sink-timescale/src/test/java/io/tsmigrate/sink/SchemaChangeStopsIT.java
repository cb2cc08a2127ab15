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

    /**
     * Streams {@code table} (as users run it: no Debezium snapshot), applies one row, runs {@code ddl} and inserts
     * another; returns the sink's failure trace once only the first row is on the target.
     */
    private static String stopsOn(TestDatabases dbs, String table, String columns, String first, String ddl, String second) throws Exception {
        Pipeline p = new Pipeline(dbs, table);
        p.both("CREATE TABLE " + table + " " + columns);
        Map<String, String> source = p.sourceConfig();
        source.put("snapshot.mode", "no_data");
        source.put("table.include.list", "public." + table);
        p.startSource(source);
        p.startSink(p.sinkConfig());
        try {
            p.source("INSERT INTO " + table + " VALUES " + first);
            p.awaitEqual(Duration.ofSeconds(90), table);
            p.source(ddl, "INSERT INTO " + table + " VALUES " + second);
            String trace = p.awaitSinkFailure(Duration.ofSeconds(90));
            assertThat(p.digests(false, table).get(table)).startsWith("1:");
            return trace;
        } finally {
            p.stop();
        }
    }
}
