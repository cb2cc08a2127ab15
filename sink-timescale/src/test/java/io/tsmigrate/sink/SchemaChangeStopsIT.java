package io.tsmigrate.sink;

import io.tsmigrate.testkit.ServicesExtension;
import io.tsmigrate.testkit.TestDatabases;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;

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
        Pipeline p = new Pipeline(dbs, "dropnn");
        p.both("CREATE TABLE shrinks (id int PRIMARY KEY, a text NOT NULL, b int)");
        start(p, "shrinks");
        try {
            p.source("INSERT INTO shrinks VALUES (1, 'x', 1)");
            p.awaitEqual(Duration.ofSeconds(90), "shrinks");
            p.source("ALTER TABLE shrinks DROP COLUMN a", "INSERT INTO shrinks VALUES (2, 2)");
            String trace = p.awaitSinkFailure(Duration.ofSeconds(90));
            assertThat(trace).contains("table public.shrinks, column a").contains("NOT NULL without a default")
                    .contains("DROP COLUMN \"a\"").contains("ALTER COLUMN \"a\" DROP NOT NULL");
            assertThat(p.digests(false, "shrinks").get("shrinks")).startsWith("1:");
        } finally {
            p.stop();
        }
    }

    @Test
    @DisplayName("a column whose type changed on the source: the task stops naming the column, both types and the fix")
    void changed_column_type(TestDatabases dbs) throws Exception {
        Pipeline p = new Pipeline(dbs, "retype");
        p.both("CREATE TABLE retypes (id int PRIMARY KEY, flag int)");
        start(p, "retypes");
        try {
            p.source("INSERT INTO retypes VALUES (1, 1)");
            p.awaitEqual(Duration.ofSeconds(90), "retypes");
            p.source("ALTER TABLE retypes ALTER COLUMN flag TYPE boolean USING flag <> 0", "INSERT INTO retypes VALUES (2, true)");
            String trace = p.awaitSinkFailure(Duration.ofSeconds(90));
            assertThat(trace).contains("table public.retypes, column flag").contains("target column is integer").contains("ALTER COLUMN \"flag\" TYPE");
            assertThat(p.digests(false, "retypes").get("retypes")).startsWith("1:");
        } finally {
            p.stop();
        }
    }

    /** Streams only {@code table}, as users run it (no Debezium snapshot). */
    private static void start(Pipeline p, String table) {
        java.util.Map<String, String> source = p.sourceConfig();
        source.put("snapshot.mode", "no_data");
        source.put("table.include.list", "public." + table);
        p.startSource(source);
        p.startSink(p.sinkConfig());
    }
}
