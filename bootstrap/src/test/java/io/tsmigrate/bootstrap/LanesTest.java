package io.tsmigrate.bootstrap;

import io.tsmigrate.common.Db;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LanesTest {

    private static TableInfo table(String name, long bytes, String sourceTime) {
        return new TableInfo("public", name, bytes, 1, 1, List.of("a"), List.of(), List.of("a"), 'd', List.of(), List.of("a"), sourceTime, null);
    }

    @Test
    void lane_one_keeps_the_migrations_names_the_others_add_their_number() {
        assertThat(Lanes.of("mig", "pub", 3)).containsExactly(new Lanes.Lane(1, "mig", "pub"), new Lanes.Lane(2, "mig_2", "pub_2"),
                new Lanes.Lane(3, "mig_3", "pub_3"));
        assertThat(Lanes.of("mig", "pub", 1)).containsExactly(new Lanes.Lane(1, "mig", "pub"));
    }

    @Test
    void tables_are_split_by_size_and_every_table_is_in_exactly_one_lane() {
        List<TableInfo> tables = List.of(table("big", 900, null), table("mid", 500, null), table("small", 300, null), table("tiny", 100, null),
                table("empty", 0, null));
        List<List<TableInfo>> split = Lanes.split(tables, 2);
        assertThat(split.get(0)).extracting(TableInfo::name).containsExactly("big", "empty");
        assertThat(split.get(1)).extracting(TableInfo::name).containsExactly("mid", "small", "tiny");
        assertThat(split.stream().mapToInt(List::size).sum()).isEqualTo(tables.size());
        assertThat(Lanes.split(tables, 1)).containsExactly(tables.stream().sorted((a, b) -> Long.compare(b.bytes(), a.bytes())).toList());
    }

    @Test
    void a_timescaledb_sources_hypertables_stay_in_lane_one_with_their_chunks() {
        List<TableInfo> tables = List.of(table("plain_a", 10, null), table("hyper", 5000, "ts"), table("plain_b", 20, null), table("hyper2", 1, "ts"));
        List<List<TableInfo>> split = Lanes.split(tables, 2);
        assertThat(split.get(0)).extracting(TableInfo::name).containsExactly("hyper", "hyper2");
        assertThat(split.get(1)).extracting(TableInfo::name).containsExactly("plain_b", "plain_a");
        assertThat(Lanes.split(List.of(table("hyper", 5000, "ts")), 2).get(1)).as("nothing left for lane 2").isEmpty();
    }

    @Test
    void a_split_table_is_in_every_lane_with_a_row_filter_per_lane() {
        List<TableInfo> tables = List.of(table("hot", 9000, null), table("mid", 500, null), table("small", 300, null));
        List<List<TableInfo>> split = Lanes.split(tables, 2, java.util.Set.of("public.hot"));
        assertThat(split.get(0)).extracting(TableInfo::name).containsExactly("hot", "mid");
        assertThat(split.get(1)).extracting(TableInfo::name).containsExactly("hot", "small");
        assertThat(SplitTables.filter(List.of("device", "Zeit \"x\""), 3, 2)).isEqualTo("(hash_record(ROW(\"device\", \"Zeit \"\"x\"\"\")) & 2147483647) % 3 = 1");
        assertThat(SplitTables.ids(List.of("hot", " app.t "))).containsExactly("public.hot", "app.t");
        assertThat(Bootstrap.publicationSql("p", List.of(tables.get(0), tables.get(1)), 170000, t -> t.name().equals("hot") ? "x = 1" : null))
                .isEqualTo("CREATE PUBLICATION \"p\" FOR TABLE \"public\".\"hot\" WHERE (x = 1), \"public\".\"mid\" WITH (publish_via_partition_root = true)");
    }

    @Test
    void a_plan_with_too_many_or_too_long_lanes_is_refused() {
        assertThatThrownBy(() -> plan("mig", 0)).hasMessageContaining("sources must be 1 to 16");
        assertThatThrownBy(() -> plan("mig", 17)).hasMessageContaining("sources must be 1 to 16");
        assertThatThrownBy(() -> plan("m".repeat(62), 2)).hasMessageContaining("longer than PostgreSQL's 63 characters");
        assertThat(plan("mig", 4).lanes()).hasSize(4);
    }

    private static BootstrapPlan plan(String slot, int sources) {
        return new BootstrapPlan(new Db("jdbc:postgresql://localhost/s", null, null), new Db("jdbc:postgresql://localhost/t", null, null), null, null,
                null, 1, 1, slot, slot, null, false, false, null, null, null, sources, null);
    }
}
