package io.tsmigrate.sink.sql;

import io.tsmigrate.sink.read.TableId;
import io.tsmigrate.sink.write.BatchWriter;
import io.tsmigrate.sink.write.KeyMoves;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Every statement the sink runs, against golden files a reviewer can read (src/test/resources/golden). */
class SqlBuilderTest {

    private static final TableMeta HYPERTABLE = new TableMeta(new TableId("public", "Readings \"x\""), 7,
            List.of(col("id", "bigint", "int8", 'N'), col("ts", "timestamp with time zone", "timestamptz", 'D'),
                    col("a\"b; drop table x --", "text", "text", 'S')),
            List.of("id", "ts"), List.of(List.of("id", "ts")), "ts");

    private static final TableMeta PLAIN = new TableMeta(new TableId("Sales", "order"), 2,
            List.of(col("id", "integer", "int4", 'N'), col("select", "numeric(10,2)", "numeric", 'N')),
            List.of("id"), List.of(List.of("id")), null);

    private static Column col(String name, String sql, String type, char category) {
        return new Column(name, sql, type, category, false, false, false);
    }

    @Test
    void statements_match_the_golden_file() throws IOException {
        String actual = String.join("\n",
                SqlBuilder.copyInto(HYPERTABLE.id(), SqlBuilder.names(HYPERTABLE), false),
                SqlBuilder.createStage("tsm_stage_7", HYPERTABLE, List.of("id")),
                SqlBuilder.copyStage("tsm_stage_7", HYPERTABLE, List.of("id")),
                SqlBuilder.fillKept("tsm_stage_7", HYPERTABLE, List.of("id"), List.of(2)),
                SqlBuilder.deleteStaged("tsm_stage_7", HYPERTABLE, List.of("id"), false),
                SqlBuilder.deleteStaged("tsm_stage_7", HYPERTABLE, List.of("id"), true),
                SqlBuilder.insertStaged("tsm_stage_7", HYPERTABLE),
                SqlBuilder.deleteStaged("tsm_stage_2", PLAIN, List.of("id"), false),
                SqlBuilder.insertStaged("tsm_stage_2", PLAIN),
                SqlBuilder.truncate(PLAIN.id()),
                SqlBuilder.addColumn(PLAIN.id(), "new \"col\"", "numeric"),
                new KeyMoves("tsm \"state\"").stash("tsm_stage_7", HYPERTABLE),
                new KeyMoves("tsmigrate").fill("tsm_stage_2", PLAIN, List.of(1)),
                new KeyMoves("tsmigrate").consume("tsm_stage_2", PLAIN)) + "\n";
        String golden = golden("statements.sql");
        if (!actual.equals(golden)) {
            // For review: the new text next to the golden file's.
            java.nio.file.Files.writeString(java.nio.file.Path.of("target", "statements.sql.actual"), actual);
        }
        assertThat(actual).isEqualTo(golden);
    }

    @Test
    void missing_index_message_names_the_table_and_the_index_to_add() {
        assertThat(new BatchWriter.MissingIndexException(HYPERTABLE, List.of("id")).getMessage())
                .contains("public.Readings \"x\"").contains("(id)")
                .contains("CREATE UNIQUE INDEX ON \"public\".\"Readings \"\"x\"\"\" (\"id\", \"ts\")");
    }

    private static String golden(String name) throws IOException {
        try (InputStream in = SqlBuilderTest.class.getResourceAsStream("/golden/" + name)) {
            return in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
