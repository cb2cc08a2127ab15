package io.tsmigrate.testkit;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A fresh pair of databases for one test class: one on the source server, one (with the timescaledb
 * extension) on the target server, both with the same name. Connectors registered through
 * {@link #registerConnector} are deleted, and the databases dropped, by {@link #close()}.
 */
public final class TestDatabases implements AutoCloseable {

    private final Services services;
    private final String name;
    private final List<String> connectors = new ArrayList<>();

    TestDatabases(Services services, String name) {
        this.services = services;
        this.name = name;
    }

    static TestDatabases create(Services services, String testName) throws SQLException {
        String db = ("t_" + testName.toLowerCase().replaceAll("[^a-z0-9]+", "_") + "_" + Long.toString(System.nanoTime() % 1_000_000_000L, 36));
        if (db.length() > 60) {
            db = db.substring(db.length() - 60);
        }
        TestDatabases dbs = new TestDatabases(services, db);
        try (Connection c = Services.open(services.source()); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + quote(db));
        }
        try (Connection c = Services.open(services.target()); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + quote(db));
        }
        // Tests of the sink alone make hypertables on the target themselves. Tests that bootstrap get the target as a
        // user has it: a fresh database without the extension (-Dtsmigrate.testkit.target-extension=false).
        if (Boolean.parseBoolean(System.getProperty("tsmigrate.testkit.target-extension", "true"))) {
            try (Connection c = Services.open(dbs.target()); Statement st = c.createStatement()) {
                st.execute("CREATE EXTENSION IF NOT EXISTS timescaledb");
            }
        }
        return dbs;
    }

    /** The database's name (the same on source and target). */
    public String name() {
        return name;
    }

    public PgEndpoint source() {
        return services.source().withDatabase(name);
    }

    public PgEndpoint target() {
        return services.target().withDatabase(name);
    }

    public Services services() {
        return services;
    }

    public Connection openSource() throws SQLException {
        return Services.open(source());
    }

    public Connection openTarget() throws SQLException {
        return Services.open(target());
    }

    /** Registers a connector through the Connect REST API; it is deleted when this test class ends. */
    public void registerConnector(String connectorName, Map<String, ?> config) {
        connectors.add(connectorName);
        services.connect().put(connectorName, config);
    }

    /** Debezium PostgreSQL source settings for this class's source database, ready to extend. */
    public Map<String, String> debeziumSource(String topicPrefix, String slotName) {
        PgEndpoint s = source();
        return new java.util.LinkedHashMap<>(Map.ofEntries(
                Map.entry("connector.class", "io.tsmigrate.source.ExactPostgresConnector"),
                Map.entry("tasks.max", "1"),
                Map.entry("database.hostname", s.host()),
                Map.entry("database.port", Integer.toString(s.port())),
                Map.entry("database.user", s.user()),
                Map.entry("database.password", s.password()),
                Map.entry("database.dbname", s.database()),
                Map.entry("topic.prefix", topicPrefix),
                Map.entry("plugin.name", "pgoutput"),
                Map.entry("slot.name", slotName),
                Map.entry("publication.name", slotName + "_pub"),
                Map.entry("publication.autocreate.mode", "all_tables"),
                Map.entry("snapshot.mode", "initial")));
    }

    /**
     * The shipped source template's settings ({@code connectors/source-postgres.json}) that do not name the
     * databases, the slot or the topics: what users run, so tests stream through the same Debezium settings.
     */
    public static Map<String, String> shippedSourceSettings() {
        return shippedSettings("source-postgres");
    }

    /**
     * A shipped connector template's settings ({@code connectors/<name>.json}) without those that carry a
     * placeholder (databases, credentials, slot, topics, task counts), which the caller sets.
     */
    public static Map<String, String> shippedSettings(String name) {
        java.nio.file.Path template = NativeServices.findRoot().resolve("connectors/" + name + ".json");
        try {
            Map<String, String> out = new java.util.LinkedHashMap<>();
            new com.fasterxml.jackson.databind.ObjectMapper().readTree(template.toFile()).fields().forEachRemaining(e -> {
                if (!e.getValue().asText().contains("{{")) {
                    out.put(e.getKey(), e.getValue().asText());
                }
            });
            return out;
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot read " + template, e);
        }
    }

    @Override
    public void close() throws SQLException {
        for (String c : connectors) {
            try {
                services.connect().delete(c);
            } catch (RuntimeException e) {
                System.err.println("[tsmigrate-testkit] could not delete connector " + c + ": " + e.getMessage());
            }
        }
        dropSlotsAndDatabase(services.source());
        dropSlotsAndDatabase(services.target());
    }

    private void dropSlotsAndDatabase(PgEndpoint server) throws SQLException {
        try (Connection c = Services.open(server)) {
            // A slot of a deleted connector may still be held for a moment by its walsender: end it, then drop.
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = ? AND active_pid IS NOT NULL")) {
                ps.setString(1, name);
                ps.execute();
            }
            for (int attempt = 0; ; attempt++) {
                try (PreparedStatement ps = c.prepareStatement(
                        "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = ?")) {
                    ps.setString(1, name);
                    ps.execute();
                    break;
                } catch (SQLException inUse) {
                    if (attempt > 20) {
                        throw inUse;
                    }
                    sleep();
                }
            }
            try (Statement st = c.createStatement()) {
                st.execute("DROP DATABASE IF EXISTS " + quote(name) + " WITH (FORCE)");
            }
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(250);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Quotes an identifier for PostgreSQL. */
    public static String quote(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }
}
