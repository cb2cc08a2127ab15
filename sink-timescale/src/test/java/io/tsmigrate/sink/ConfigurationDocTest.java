package io.tsmigrate.sink;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class ConfigurationDocTest {

    @Test
    void docs_configuration_md_matches_the_config_def() throws IOException {
        String generated = ConfigurationDoc.markdown();
        Files.createDirectories(Path.of("target"));
        Files.writeString(Path.of("target", "configuration.md"), generated);
        String committed = Files.readString(Path.of("..", "docs", "configuration.md"));
        assertThat(committed).as("docs/configuration.md is stale; regenerate it: cp sink-timescale/target/configuration.md docs/configuration.md")
                .isEqualTo(generated);
    }
}
