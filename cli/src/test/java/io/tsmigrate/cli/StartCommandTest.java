package io.tsmigrate.cli;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StartCommandTest {

    private static StartOptions start(String converter, String registry) {
        StartOptions s = new StartOptions();
        s.converter = converter;
        s.registryUrl = registry;
        return s;
    }

    @Test
    void json_keeps_the_templates_converters_and_avro_switches_both_connectors_to_the_registry() {
        assertThat(start("json", null).converterSettings()).isEmpty();
        assertThat(start("avro", "http://registry:8080/apis/registry/v2").converterSettings())
                .containsEntry("value.converter", "io.apicurio.registry.utils.converter.AvroConverter")
                .containsEntry("key.converter", "io.apicurio.registry.utils.converter.AvroConverter")
                .containsEntry("value.converter.apicurio.registry.url", "http://registry:8080/apis/registry/v2");
        // Avro writes a field's default in place of null: the source task leaves the defaults out of the schemas.
        assertThat(start("avro", "http://registry:8080/apis/registry/v2").sourceConverterSettings()).containsEntry("tsmigrate.schema.defaults", "drop");
        assertThat(start("json", null).sourceConverterSettings()).isEmpty();
        assertThatThrownBy(() -> start("avro", null).converterSettings()).hasMessageContaining("--registry-url");
        assertThatThrownBy(() -> start("xml", null).converterSettings()).hasMessageContaining("use json or avro");
    }

    @Test
    void templates_name_the_converter_plugin_and_keep_the_sink_state_where_the_command_line_reads_it() {
        java.util.Map<String, String> any = new java.util.HashMap<>() {
            @Override
            public String get(Object key) {
                return "x";
            }
        };
        for (String t : new String[] {"source-postgres", "source-timescaledb", "source-rds", "sink-timescale"}) {
            assertThat(Templates.render(t, any)).as(t).containsEntry("key.converter", "io.tsmigrate.json.ExactJsonConverter")
                    .containsEntry("value.converter", "io.tsmigrate.json.ExactJsonConverter");
        }
        // The sink keeps its offsets and reads the verification's range definitions in its state.schema; status,
        // cutover and verify look for them in StateStore.SCHEMA.
        assertThat(Templates.render("sink-timescale", any)).containsEntry("state.schema", io.tsmigrate.common.StateStore.SCHEMA);
    }

    @Test
    void help_shows_config_provider_references_unexpanded_so_no_password_is_printed() {
        for (String command : new String[] {"start", "migrate"}) {
            String help = Tsmigrate.commandLine(new String[] {command}).getSubcommands().get(command).getUsageMessage().replaceAll("\\s+", "");
            // picocli would replace ${env:TSMIGRATE_SOURCE_PASSWORD} by the variable's value: the text must stay literal.
            assertThat(help).as(command).contains("${env:TSMIGRATE_SOURCE_PASSWORD}").contains("${file:PATH:source.password}");
        }
    }

    @Test
    void verify_takes_the_migration_name_like_every_other_command() {
        var cl = Tsmigrate.commandLine(new String[] {"verify"});
        var parsed = cl.parseArgs("verify", "--name", "orders", "--source-url", "jdbc:postgresql://h/db", "--target-url", "jdbc:postgresql://h/db");
        assertThat(parsed.subcommand().matchedOptionValue("--name", "")).isEqualTo("orders");
    }

    @Test
    void sslmode_comes_from_the_source_url_and_rds_requires_tls() {
        StartOptions o = new StartOptions();
        io.tsmigrate.common.Db plain = new io.tsmigrate.common.Db("jdbc:postgresql://h/app", null, null);
        io.tsmigrate.common.Db tls = new io.tsmigrate.common.Db("jdbc:postgresql://h/app?sslmode=verify-full", null, null);
        assertThat(o.sslmode(plain)).isEqualTo("prefer");
        assertThat(o.sslmode(tls)).isEqualTo("verify-full");
        o.flavour = "rds";
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> o.sslmode(plain)).hasMessageContaining("--flavour rds streams over TLS");
        assertThat(o.sslmode(tls)).isEqualTo("verify-full");
        o.sslmode = "require";
        assertThat(o.sslmode(plain)).isEqualTo("require");
    }

    @Test
    void spread_topics_are_named_as_debezium_names_them_and_only_they_get_the_partitions() {
        assertThat(Spread.topic("m", "public", "Orders 2026")).isEqualTo("m.public.Orders_2026");
        assertThat(Spread.topic("m", "sales", "café-x")).isEqualTo("m.sales.caf_-x");
        java.util.Map<String, String> template = java.util.Map.of("topic.creation.default.replication.factor", "3",
                "topic.creation.default.retention.ms", "604800000", "topic.creation.default.cleanup.policy", "delete");
        java.util.Map<String, String> s = Spread.settings(template, java.util.List.of("m.public.a", "m.public.b-c"), 4);
        assertThat(s).containsEntry("topic.creation.groups", "spread")
                .containsEntry("topic.creation.spread.include", "m\\.public\\.a,m\\.public\\.b\\-c")
                .containsEntry("topic.creation.spread.partitions", "4")
                .containsEntry("topic.creation.spread.replication.factor", "3")
                .containsEntry("tsmigrate.spread.topics", "(?:m\\.public\\.a|m\\.public\\.b\\-c)")
                .containsEntry("tsmigrate.spread.partitions", "4");
        assertThat(java.util.regex.Pattern.compile(s.get("tsmigrate.spread.topics")).matcher("m.public.b-c").matches()).isTrue();
        assertThat(java.util.regex.Pattern.compile(s.get("tsmigrate.spread.topics")).matcher("m.public.aa").matches()).isFalse();
        assertThat(Spread.settings(template, java.util.List.of("m.public.a"), 1)).isEmpty();
    }
}
