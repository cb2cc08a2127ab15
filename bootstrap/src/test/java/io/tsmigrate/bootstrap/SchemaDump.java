package io.tsmigrate.bootstrap;

import io.tsmigrate.testkit.PgEndpoint;
import io.tsmigrate.testkit.TestDatabases;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;

/** pg_dump --schema-only of a test database, without what TimescaleDB, tsmigrate or the migration itself add. */
final class SchemaDump {

    private SchemaDump() {
    }

    /** Lines only in one of the two dumps, for a readable failure. */
    static String difference(String a, String b) {
        java.util.List<String> left = new java.util.ArrayList<>(Arrays.asList(a.split("\n")));
        java.util.List<String> right = new java.util.ArrayList<>(Arrays.asList(b.split("\n")));
        java.util.List<String> onlyLeft = new java.util.ArrayList<>(left);
        right.forEach(onlyLeft::remove);
        java.util.List<String> onlyRight = new java.util.ArrayList<>(right);
        left.forEach(onlyRight::remove);
        return "only on the source: " + onlyLeft + "; only on the target: " + onlyRight;
    }

    static String normalized(TestDatabases dbs, boolean source) throws Exception {
        PgEndpoint e = source ? dbs.source() : dbs.target();
        Path bin = dbs.services().pgBin().orElseThrow();
        ProcessBuilder pb = new ProcessBuilder(bin.resolve("pg_dump").toString(), "--schema-only", "--no-owner", "--no-privileges",
                "--no-publications", "--no-subscriptions", "--exclude-schema=tsmigrate", "--exclude-schema=_timescaledb*",
                "--exclude-schema=timescaledb_*", "-h", e.host(), "-p", Integer.toString(e.port()), "-U", e.user(), e.database());
        Process p = pb.start();
        String dump = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("pg_dump failed: " + new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
        }
        String lines = Arrays.stream(dump.split("\n"))
                .filter(l -> !l.startsWith("--") && !l.isBlank() && !l.startsWith("SET ") && !l.startsWith("SELECT pg_catalog.set_config"))
                .filter(l -> !l.contains("timescaledb") && !l.contains("ts_insert_blocker") && !l.startsWith("\\"))
                .collect(Collectors.joining("\n"));
        // Statements in a stable order: pg_dump orders objects partly by OID, which differs between the two databases.
        return Arrays.stream(lines.split(";\n")).map(String::strip).sorted().collect(Collectors.joining(";\n"));
    }
}
