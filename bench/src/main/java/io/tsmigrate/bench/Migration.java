package io.tsmigrate.bench;

import io.tsmigrate.testkit.PgEndpoint;
import io.tsmigrate.testkit.Services;

import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A migration the benchmarks run as a user does: fresh databases, then the built {@code tsmigrate} jar's commands. */
final class Migration {

    private final Services services;
    private final PgEndpoint source;
    private final PgEndpoint target;
    private final String name;

    Migration(Services services, PgEndpoint source, PgEndpoint target, String name) {
        this.services = services;
        this.source = source;
        this.target = target;
        this.name = name;
    }

    /** Drops the source and target databases (with the source's inactive slots of them) and creates them empty. */
    void freshDatabases() throws Exception {
        for (PgEndpoint db : List.of(source, target)) {
            try (Connection c = Services.open(db.withDatabase("postgres")); Statement st = c.createStatement()) {
                st.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '" + db.database() + "' AND NOT active");
                st.execute("DROP DATABASE IF EXISTS " + db.database() + " WITH (FORCE)");
                st.execute("CREATE DATABASE " + db.database());
            }
        }
    }

    /** Runs {@code tsmigrate COMMAND} with the migration's endpoints and name (Connect's for every command but bootstrap). */
    void cli(String command, String... more) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-jar", "cli/target/tsmigrate.jar", command,
                "--source-url", source.jdbcUrl(), "--target-url", target.jdbcUrl(), "--name", name));
        if (!command.equals("bootstrap")) {
            cmd.addAll(List.of("--connect", services.connectUrl()));
        }
        cmd.addAll(List.of(more));
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IllegalStateException("tsmigrate " + command + " failed");
        }
    }
}
