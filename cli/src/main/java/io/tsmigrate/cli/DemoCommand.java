package io.tsmigrate.cli;

import io.tsmigrate.common.TableSelection;
import io.tsmigrate.common.Db;
import io.tsmigrate.common.Ident;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code tsmigrate demo}: a whole live migration on one machine. Starts the local native services (or uses the
 * servers given), creates a demo database on both, keeps a write load running on the source, runs migrate, stops
 * the load, runs cutover, verify and clean, and prints a summary with the measured downtime.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, description = {"A first look on one machine: a demo source (a time-series table that becomes "
        + "a hypertable, ordinary tables with keys, a foreign key and sequences) under a write load, migrated live into TimescaleDB: migrate, "
        + "cutover (downtime measured), verify, clean.",
        "Without --source-url/--target-url it starts the local services (deploy/local/services.sh up; needs root for their chroot)."},
        footer = {"%nExamples:%n  tsmigrate demo",
                "  tsmigrate demo --source-url jdbc:postgresql://127.0.0.1:15432/postgres --target-url jdbc:postgresql://127.0.0.1:15433/postgres"})
final class DemoCommand implements java.util.concurrent.Callable<Integer> {

    @Mixin
    Endpoints endpoints;

    @Option(names = "--database", defaultValue = "tsmigrate_demo", description = "Demo database, created (again) on both servers (default: ${DEFAULT-VALUE})")
    String database;

    @Option(names = "--load-seconds", defaultValue = "10", description = "How long the write load goes on after migrate is ready (default: ${DEFAULT-VALUE})")
    int loadSeconds;

    @Option(names = "--pg-bin", description = "Folder with pg_dump and psql of the source's version (default: the local services' or PATH)")
    Path pgBinOption;

    @Option(names = "--keep", description = "Keep the demo databases, connectors and services afterwards")
    boolean keep;

    @Override
    public Integer call() throws Exception {
        Path pgBin = pgBinOption;
        // The local services only when no servers are given (they need tsmigrate's runtime and root).
        Embedded services = null;
        boolean startedServices = false;
        if (endpoints.sourceUrl == null || endpoints.targetUrl == null) {
            services = Embedded.localServices();
            startedServices = !services.running();
            Map<String, String> env = services.up();
            endpoints.sourceUrl = env.get("TSMIGRATE_SOURCE_URL");
            endpoints.targetUrl = env.get("TSMIGRATE_TARGET_URL");
            if (endpoints.connect == null) {
                endpoints.connect = env.get("TSMIGRATE_CONNECT_URL");
                endpoints.kafka = env.get("TSMIGRATE_KAFKA_BOOTSTRAP");
            }
            if (pgBin == null) {
                pgBin = Path.of(env.get("TSMIGRATE_PG_BIN"));
            }
        }
        try {
            return run(pgBin);
        } finally {
            if (startedServices && !keep) {
                services.stop();
            }
        }
    }

    private long copiedRows;

    private int run(Path pgBin) throws Exception {
        Db source = endpoints.source().withDatabase(database);
        Db target = endpoints.target().withDatabase(database);
        System.out.println("== creating the demo database " + database + " on the source " + endpoints.source() + " and the target " + endpoints.target());
        recreate(endpoints.source(), false);
        recreate(endpoints.target(), true);
        try (Connection c = source.open("tsmigrate-demo"); Statement st = c.createStatement()) {
            st.execute(seed());
        }
        endpoints.sourceUrl = source.url();
        endpoints.targetUrl = target.url();
        Names names = Names.of("demo");

        System.out.println("== a write load on the source (inserts, updates, deletes) for the whole run");
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicLong transactions = new AtomicLong();
        List<Throwable> writerErrors = new ArrayList<>();
        Thread writer = new Thread(() -> load(source, writing, transactions, writerErrors), "demo-writer");
        writer.start();
        int code;
        double downtime;
        try {
            BootstrapOptions bootstrap = new BootstrapOptions();
            bootstrap.hypertables.add("public.readings:ts:1day");
            bootstrap.pgBin = pgBin == null ? null : pgBin.toString();
            Migration migration = new Migration(endpoints, names, new Selection(), bootstrap, new StartOptions(),
                    new Migration.Settings(false, 1800, false, 100_000));
            code = migration.run();
            copiedRows = migration.copiedRows();
            if (code != 0) {
                return code;
            }
            System.out.println("== the load goes on for " + loadSeconds + " s while the stream follows");
            Thread.sleep(loadSeconds * 1000L);
            new StatusCommand().printOnce(endpoints, names);
        } finally {
            writing.set(false);
            writer.join();
        }
        if (!writerErrors.isEmpty()) {
            throw new CliException("the demo's write load failed: " + writerErrors.get(0).getMessage());
        }
        System.out.println("== writes stopped (" + transactions.get() + " write transactions ran); cutover");
        Cutover cutover = new Cutover(endpoints, names, TableSelection.ALL, 300, List.of());
        code = cutover.run();
        downtime = cutover.downtimeSeconds();
        if (code != 0) {
            return code;
        }
        System.out.println("== verify");
        code = Verification.print(new Verification(SourceStreams.read(endpoints, names).publications(), TableSelection.ALL, 2,
                "1 day", null).run(endpoints.source(), endpoints.target()), "source rows", "target rows");
        if (!keep) {
            System.out.println("== clean");
            new Teardown(endpoints, names).run(false);
        }
        System.out.printf("%nDemo %s: %,d rows copied by the bootstrap, %d write transactions streamed live, readings became a hypertable; "
                + "downtime %.1f s.%n", code == 0 ? "done" : "FAILED", copiedRows, transactions.get(), downtime);
        return code;
    }

    /** Drops and creates the demo database (ending its sessions and dropping its slots first). */
    private void recreate(Db server, boolean timescale) throws SQLException {
        try (Connection c = server.withDatabase("postgres").open("tsmigrate-demo"); Statement st = c.createStatement()) {
            st.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = " + Ident.literal(database) + " AND pid <> pg_backend_pid()");
            st.execute("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = " + Ident.literal(database)
                    + " AND active_pid IS NOT NULL");
            st.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = " + Ident.literal(database));
            st.execute("DROP DATABASE IF EXISTS " + Ident.quote(database) + " WITH (FORCE)");
            st.execute("CREATE DATABASE " + Ident.quote(database));
        }
        if (timescale) {
            try (Connection c = server.withDatabase(database).open("tsmigrate-demo"); Statement st = c.createStatement()) {
                st.execute("CREATE EXTENSION IF NOT EXISTS timescaledb");
            }
        }
    }

    private static String seed() throws IOException {
        try (InputStream in = DemoCommand.class.getResourceAsStream("demo/seed.sql")) {
            if (in == null) {
                throw new CliException("the demo's seed.sql is missing from the tsmigrate jar; rebuild it with mvn package");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** About 50 transactions a second, each an insert, an update and a delete on orders and an insert into readings. */
    private static void load(Db source, AtomicBoolean writing, AtomicLong transactions, List<Throwable> errors) {
        try (Connection c = source.open("tsmigrate-demo-load"); Statement st = c.createStatement()) {
            c.setAutoCommit(false);
            long i = 0;
            while (writing.get()) {
                st.execute("INSERT INTO orders (customer, total) VALUES (" + (1 + i % 1000) + ", " + (i % 97) + ")");
                st.execute("UPDATE orders SET total = total + 1 WHERE id = " + (1 + (i * 37) % 100000));
                st.execute("DELETE FROM orders WHERE id = " + (2 + (i * 53) % 100000));
                st.execute("INSERT INTO readings VALUES (clock_timestamp(), " + (i % 20) + ", " + i + ")");
                c.commit();
                transactions.incrementAndGet();
                i++;
                Thread.sleep(20);
            }
        } catch (Exception e) {
            errors.add(e);
        }
    }
}
