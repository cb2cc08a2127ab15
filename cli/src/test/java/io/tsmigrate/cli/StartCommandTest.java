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
        assertThatThrownBy(() -> start("avro", null).converterSettings()).hasMessageContaining("--registry-url");
        assertThatThrownBy(() -> start("xml", null).converterSettings()).hasMessageContaining("use json or avro");
    }
}
