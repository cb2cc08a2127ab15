package io.tsmigrate.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * compose.yaml and the Dockerfiles cannot run here (no Docker engine); these checks keep them honest: build
 * contexts and copied files exist, images are pinned, every service has a health check, host ports do not
 * collide, secrets come from env files.
 */
class DeploymentFilesTest {

    private static final Path ROOT = root();

    private static Path root() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.exists(p.resolve("compose.yaml"))) {
                return p;
            }
        }
        throw new IllegalStateException("compose.yaml not found above " + Path.of("").toAbsolutePath());
    }

    private static JsonNode compose() throws IOException {
        return new ObjectMapper(new YAMLFactory()).readTree(ROOT.resolve("compose.yaml").toFile());
    }

    @Test
    void every_service_has_a_health_check_and_a_pinned_image_or_a_build() throws IOException {
        JsonNode services = compose().path("services");
        assertThat(services.size()).isGreaterThanOrEqualTo(5);
        List<String> names = new ArrayList<>();
        services.fieldNames().forEachRemaining(names::add);
        assertThat(names).contains("source", "target", "kafka", "connect", "tsmigrate", "schema-registry", "prometheus", "grafana");
        for (String name : names) {
            JsonNode s = services.path(name);
            assertThat(s.has("healthcheck")).as(name + " has a health check").isTrue();
            if (s.has("image")) {
                String image = s.path("image").asText();
                assertThat(image).as(name + " image is pinned").contains(":").doesNotEndWith(":latest");
            } else {
                JsonNode build = s.path("build");
                Path context = ROOT.resolve(build.path("context").asText());
                assertThat(context).as(name + " build context").isDirectory();
                assertThat(context.resolve(build.path("dockerfile").asText("Dockerfile"))).as(name + " Dockerfile").isRegularFile();
            }
            s.path("depends_on").fields().forEachRemaining(d -> {
                assertThat(names).as(name + " depends on a known service").contains(d.getKey());
                assertThat(d.getValue().path("condition").asText()).isEqualTo("service_healthy");
            });
        }
    }

    @Test
    void mounted_files_exist_host_ports_are_unique_and_secrets_are_not_inline() throws IOException {
        JsonNode services = compose().path("services");
        Set<String> ports = new HashSet<>();
        services.fields().forEachRemaining(e -> {
            for (JsonNode v : e.getValue().path("volumes")) {
                String source = v.asText().split(":")[0];
                if (source.startsWith("./")) {
                    assertThat(ROOT.resolve(source)).as(e.getKey() + " mounts " + source).exists();
                }
            }
            for (JsonNode p : e.getValue().path("ports")) {
                String host = p.asText().substring(0, p.asText().lastIndexOf(':'));
                assertThat(ports.add(host)).as("host port " + host + " used once").isTrue();
                assertThat(host).as("ports bind to loopback").startsWith("127.0.0.1:");
            }
            e.getValue().path("environment").fields().forEachRemaining(env -> {
                if (env.getKey().contains("PASSWORD")) {
                    assertThat(env.getValue().asText()).as(env.getKey() + " comes from .env").startsWith("${");
                }
            });
        });
        assertThat(ROOT.resolve(".env.example")).isRegularFile();
    }

    @Test
    void files_the_dockerfiles_copy_exist_or_are_built() throws IOException {
        Pattern copy = Pattern.compile("^COPY (?!--from)(\\S+) ", Pattern.MULTILINE);
        for (String dockerfile : List.of("deploy/connect/Dockerfile", "deploy/cli/Dockerfile")) {
            String text = Files.readString(ROOT.resolve(dockerfile));
            assertThat(text).doesNotContain(":latest");
            Matcher m = copy.matcher(text);
            while (m.find()) {
                if (!m.group(1).equals(".")) {
                    assertThat(ROOT.resolve(m.group(1))).as(dockerfile + " copies " + m.group(1)).exists();
                }
            }
            Matcher built = Pattern.compile("COPY --from=build /src/(\\S+) ").matcher(text);
            while (built.find()) {
                String module = built.group(1).split("/target/")[0];
                Path dir = ROOT.resolve(module);
                boolean maven = Files.isRegularFile(dir.resolve("pom.xml")) || Files.isRegularFile(dir.resolve("avro-converter.pom.xml"));
                assertThat(maven).as(dockerfile + " builds " + built.group(1) + " with Maven").isTrue();
            }
        }
        String connect = Files.readString(ROOT.resolve("deploy/connect/Dockerfile"));
        assertThat(connect).contains("USER appuser").contains("jmx_prometheus_javaagent").contains("apicurio-avro-converter");
        assertThat(ROOT.resolve("deploy/connect/avro-converter.pom.xml")).isRegularFile();
    }

    @Test
    void the_demo_uses_the_tested_connector_templates_through_the_command_line() throws IOException {
        String demo = Files.readString(ROOT.resolve("deploy/compose/demo.sh"));
        assertThat(demo).contains("tsmigrate start").contains("tsmigrate bootstrap").contains("tsmigrate cutover").contains("tsmigrate verify");
        // The avro profile's registry switches the demo's connectors to Avro.
        assertThat(demo).contains("getent hosts schema-registry").contains("--converter avro --registry-url http://schema-registry:8080");
        assertThat(compose().path("services").path("schema-registry").path("profiles").toString()).contains("avro");
        for (String t : List.of("source-postgres", "source-timescaledb", "source-rds", "sink-timescale")) {
            assertThat(ROOT.resolve("connectors/" + t + ".json")).isRegularFile();
        }
        String k8s = Files.readString(ROOT.resolve("deploy/kubernetes/connectors.yaml"));
        assertThat(k8s).contains("snapshot.mode: no_data").contains("io.tsmigrate.sink.TimescaleSinkConnector").contains("${env:TSMIGRATE_TARGET_PASSWORD}");
    }
}
