package io.tsmigrate.common;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TableSelectionTest {

    @Test
    void patterns_read_as_pg_dump_reads_them() {
        TableSelection s = new TableSelection(List.of("app*"), List.of("app_old"), List.of("orders_*", "\"Line.Items\"", "app2.?x"), List.of("*.orders_tmp"));
        assertThat(s.covers("app", "orders_2026")).isTrue();
        assertThat(s.covers("app", "Line.Items")).as("quoted: case and dot kept").isTrue();
        assertThat(s.covers("app", "line.items")).isFalse();
        assertThat(s.covers("app2", "ax")).isTrue();
        assertThat(s.covers("app2", "abx")).isFalse();
        assertThat(s.covers("app", "orders_tmp")).as("excluded").isFalse();
        assertThat(s.covers("app_old", "orders_1")).as("schema excluded").isFalse();
        assertThat(s.covers("public", "orders_1")).as("schema not included").isFalse();
        assertThat(new TableSelection(null, null, List.of("Orders"), null).covers("public", "orders")).as("unquoted folds").isTrue();
        assertThat(new TableSelection(null, null, List.of("\"a\"\"b\""), null).covers("public", "a\"b")).isTrue();
        assertThat(TableSelection.ALL.covers("x", "y")).isTrue();
    }

    @Test
    void pg_dump_gets_exact_quoted_names() {
        TableSelection s = new TableSelection(List.of("app"), null, null, List.of("app.big_*"));
        List<String[]> tables = List.of(new String[] {"app", "big_log"}, new String[] {"app", "orders"}, new String[] {"other", "t"});
        assertThat(s.dumpArgs(List.of("app", "other", "types_only"), tables)).containsExactly("--schema=\"app\"", "--exclude-table=\"app\".\"big_log\"");
        assertThat(new TableSelection(null, List.of("other"), null, null).dumpArgs(List.of("app", "other"), tables))
                .containsExactly("--exclude-schema=\"other\"");
        assertThat(TableSelection.ALL.dumpArgs(List.of("app"), tables)).isEmpty();
    }

    @Test
    void bad_patterns_name_the_option_and_the_fix() {
        assertThatThrownBy(() -> new TableSelection(List.of("a.b"), null, null, null)).hasMessageContaining("--include-schema a.b");
        assertThatThrownBy(() -> new TableSelection(null, null, List.of("a.b.c"), null)).hasMessageContaining("SCHEMA.TABLE");
        assertThatThrownBy(() -> new TableSelection(null, null, null, List.of("\"open"))).hasMessageContaining("not closed");
    }
}
