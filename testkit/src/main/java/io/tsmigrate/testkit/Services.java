package io.tsmigrate.testkit;

import io.tsmigrate.common.ConnectClient;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Optional;
import java.util.Properties;

/**
 * The four real services a test needs: a source PostgreSQL (logical decoding on), a target TimescaleDB,
 * a Kafka broker and a Kafka Connect worker.
 *
 * <p>Chosen once per JVM, in this order: the user's own servers from environment variables
 * ({@code TSMIGRATE_SOURCE_URL}, {@code TSMIGRATE_TARGET_URL}, {@code TSMIGRATE_KAFKA_BOOTSTRAP},
 * {@code TSMIGRATE_CONNECT_URL}); otherwise, where a Docker engine answers, containers (see {@link DockerServices});
 * otherwise the native services of {@code deploy/local/services.sh},
 * started on demand and stopped when the JVM ends (unless someone had started them before). Thread-safe.
 */
public final class Services {

    private static Services instance;

    private final PgEndpoint source;
    private final PgEndpoint target;
    private final String kafkaBootstrap;
    private final String connectUrl;
    private final NativeServices natives;

    Services(PgEndpoint source, PgEndpoint target, String kafkaBootstrap, String connectUrl, NativeServices natives) {
        this.source = source;
        this.target = target;
        this.kafkaBootstrap = kafkaBootstrap;
        this.connectUrl = connectUrl;
        this.natives = natives;
    }

    /** The services for this JVM, started on first use. */
    public static synchronized Services get() {
        if (instance == null) {
            instance = fromEnvironment().or(DockerServices::startIfDockerAvailable).orElseGet(NativeServices::start);
            Preflight.requireLogicalSource(instance.source);
        }
        return instance;
    }

    private static Optional<Services> fromEnvironment() {
        String src = System.getenv("TSMIGRATE_SOURCE_URL");
        if (src == null || src.isBlank()) {
            return Optional.empty();
        }
        String tgt = requireEnv("TSMIGRATE_TARGET_URL");
        return Optional.of(new Services(PgEndpoint.parse(src), PgEndpoint.parse(tgt),
                requireEnv("TSMIGRATE_KAFKA_BOOTSTRAP"), requireEnv("TSMIGRATE_CONNECT_URL"), null));
    }

    private static String requireEnv(String name) {
        String v = System.getenv(name);
        if (v == null || v.isBlank()) {
            throw new IllegalStateException("TSMIGRATE_SOURCE_URL is set, so the test kit uses your own servers, but " + name
                    + " is not set: set all of TSMIGRATE_SOURCE_URL, TSMIGRATE_TARGET_URL, TSMIGRATE_KAFKA_BOOTSTRAP and TSMIGRATE_CONNECT_URL, or none");
        }
        return v;
    }

    /** The source server's maintenance database ({@code postgres}). */
    public PgEndpoint source() {
        return source;
    }

    /** The target server's maintenance database ({@code postgres}). */
    public PgEndpoint target() {
        return target;
    }

    public String kafkaBootstrap() {
        return kafkaBootstrap;
    }

    public String connectUrl() {
        return connectUrl;
    }

    public ConnectClient connect() {
        return new ConnectClient(connectUrl);
    }

    /** The native services, for fault tests (kill and restart); empty when the user's own servers are used. */
    public Optional<NativeServices> natives() {
        return Optional.ofNullable(natives);
    }

    /** Folder with {@code psql}, {@code pg_dump}, {@code pg_restore} of PostgreSQL 17, when known. */
    public Optional<Path> pgBin() {
        String env = System.getenv("TSMIGRATE_PG_BIN");
        if (env != null && !env.isBlank()) {
            return Optional.of(Path.of(env));
        }
        return natives().map(NativeServices::pgBin);
    }

    /** Opens a connection (auto-commit on) to the given endpoint. */
    /** Drops (with their connections) and creates these databases empty, as a user's freshly created ones. */
    public static void recreateDatabases(PgEndpoint... databases) throws SQLException {
        for (PgEndpoint db : databases) {
            try (Connection c = open(db.withDatabase("postgres")); java.sql.Statement st = c.createStatement()) {
                st.execute("DROP DATABASE IF EXISTS " + TestDatabases.quote(db.database()) + " WITH (FORCE)");
                st.execute("CREATE DATABASE " + TestDatabases.quote(db.database()));
            }
        }
    }

    public static Connection open(PgEndpoint endpoint) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", endpoint.user());
        if (!endpoint.password().isEmpty()) {
            props.setProperty("password", endpoint.password());
        }
        props.setProperty("ApplicationName", "tsmigrate-testkit");
        return DriverManager.getConnection(endpoint.jdbcUrl(), props);
    }
}
