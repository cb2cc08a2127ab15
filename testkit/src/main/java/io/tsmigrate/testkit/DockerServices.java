package io.tsmigrate.testkit;

import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.postgresql.PostgreSQLContainer;
import org.testcontainers.utility.DockerImageName;

import java.util.Optional;

/**
 * Services in containers, for machines with a Docker engine: source and target from the
 * {@code timescale/timescaledb} image (the source with {@code wal_level=logical}), a Kafka broker from
 * {@code apache/kafka}. The Connect worker still runs as a native child process (Kafka's own jars, this
 * project's plugins) through {@code services.sh start connect}, pointed at the container's broker.
 * Containers stop with the JVM (Testcontainers' reaper).
 */
final class DockerServices {

    private static final DockerImageName TIMESCALE = DockerImageName.parse("timescale/timescaledb:2.19.3-pg17").asCompatibleSubstituteFor("postgres");
    private static final DockerImageName KAFKA = DockerImageName.parse("apache/kafka:4.3.1");

    private DockerServices() {
    }

    /** The containerised services, or empty when no Docker engine answers. */
    static Optional<Services> startIfDockerAvailable() {
        boolean docker;
        try {
            docker = DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            docker = false;
        }
        if (!docker || "false".equals(System.getenv("TSMIGRATE_USE_DOCKER"))) {
            return Optional.empty();
        }
        PostgreSQLContainer source = new PostgreSQLContainer(TIMESCALE).withUsername("postgres").withPassword("postgres")
                .withCommand("postgres", "-c", "wal_level=logical", "-c", "max_replication_slots=20", "-c", "max_wal_senders=20",
                        "-c", "shared_preload_libraries=timescaledb");
        PostgreSQLContainer target = new PostgreSQLContainer(TIMESCALE).withUsername("postgres").withPassword("postgres")
                .withCommand("postgres", "-c", "max_connections=200", "-c", "shared_preload_libraries=timescaledb");
        KafkaContainer kafka = new KafkaContainer(KAFKA);
        source.start();
        target.start();
        kafka.start();
        NativeServices connect = NativeServices.connectOnly(kafka.getBootstrapServers());
        return Optional.of(new Services(endpoint(source), endpoint(target), kafka.getBootstrapServers(), connect.connectUrl(), null));
    }

    private static PgEndpoint endpoint(PostgreSQLContainer c) {
        return new PgEndpoint(c.getHost(), c.getMappedPort(5432), c.getUsername(), c.getPassword(), "postgres");
    }
}
