package io.tsmigrate.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.tsmigrate.testkit.NativeServices;
import io.tsmigrate.testkit.PgEndpoint;
import io.tsmigrate.testkit.Services;
import io.tsmigrate.testkit.ServicesExtension;
import io.tsmigrate.testkit.TestDatabases;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.tsmigrate.cli.CliIT.args;
import static io.tsmigrate.cli.CliIT.tsmigrate;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Recognisable passwords planted for a source and a target that demand them (SCRAM over TCP), a whole migration
 * through them, and a scan of everything that could show them: every command's help and output (also --json and
 * errors), the Connect worker's log, the connectors' configs over REST, the command lines of every process while the
 * bootstrap runs (its snapshot keeper, pg_dump, psql) and the keeper's log. The planted values come from the
 * environment (cli/pom.xml), as a user's would.
 */
@ExtendWith(ServicesExtension.class)
class SecretsIT {

    private static final String SOURCE_ENV = "TSMIGRATE_IT_PLANTED_SOURCE";
    private static final String TARGET_ENV = "TSMIGRATE_IT_PLANTED_TARGET";

    @Test
    @DisplayName("planted passwords: a migration through them works and no output, log, REST config or process command line shows them")
    void no_secret_in_any_output(TestDatabases dbs) throws Exception {
        String sourcePassword = System.getenv(SOURCE_ENV);
        String targetPassword = System.getenv(TARGET_ENV);
        assumeTrue(sourcePassword != null && targetPassword != null, "not run: " + SOURCE_ENV + " and " + TARGET_ENV + " are set by cli/pom.xml's failsafe");
        NativeServices natives = dbs.services().natives().orElseThrow();
        int base = dbs.services().source().port();
        PgEndpoint src = natives.startExtraPasswordPostgres("secsrc", base + 17, "wal_level=logical", "max_replication_slots=10", "max_wal_senders=10");
        PgEndpoint tgt = natives.startExtraPasswordPostgres("sectgt", base + 19);
        List<String> outputs = new ArrayList<>();
        Set<String> commandLines = ConcurrentHashMap.newKeySet();
        Path secrets = Files.createTempDirectory("tsmigrate-secrets").resolve("secrets.properties");
        List<String> ep = List.of("--source-url", "jdbc:postgresql://127.0.0.1:" + src.port() + "/app", "--source-user", "tsm_src",
                "--source-password-env", SOURCE_ENV, "--target-url", "jdbc:postgresql://127.0.0.1:" + tgt.port() + "/app", "--target-user", "tsm_tgt",
                "--target-password-env", TARGET_ENV, "--connect", dbs.services().connectUrl(), "--kafka", dbs.services().kafkaBootstrap(), "--name", "sec");
        try {
            try (Connection c = Services.open(src); Statement st = c.createStatement()) {
                st.execute("CREATE ROLE tsm_src LOGIN SUPERUSER PASSWORD '" + sourcePassword + "'");
                st.execute("CREATE DATABASE app OWNER tsm_src");
            }
            try (Connection c = Services.open(src.withDatabase("app")); Statement st = c.createStatement()) {
                st.execute("CREATE TABLE accounts (id int PRIMARY KEY, owner text, balance numeric(12,2) DEFAULT 0)");
                st.execute("INSERT INTO accounts SELECT i, 'owner ' || i, i * 1.5 FROM generate_series(1, 5000) i");
            }
            try (Connection c = Services.open(tgt); Statement st = c.createStatement()) {
                st.execute("CREATE ROLE tsm_tgt LOGIN SUPERUSER PASSWORD '" + targetPassword + "'");
                st.execute("CREATE DATABASE app OWNER tsm_tgt");
            }
            // The servers really demand the passwords.
            assertThatThrownBy(() -> DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + src.port() + "/app", "tsm_src", "wrong").close())
                    .hasMessageContaining("password authentication failed");
            Files.writeString(secrets, "source.password=" + sourcePassword + "\ntarget.password=" + targetPassword + "\n");

            for (String command : List.of("check", "bootstrap", "start", "status", "verify", "migrate", "cutover", "clean", "demo")) {
                outputs.add(tsmigrate(command, "--help").out());
            }
            outputs.add(tsmigrate("--help").out());
            CliIT.Run check = tsmigrate(args(ep, "check"));
            outputs.add(check.out());
            assertThat(check.code()).as(check.out()).isZero();
            outputs.add(tsmigrate(args(ep, "check", "--json")).out());

            AtomicBoolean migrating = new AtomicBoolean(true);
            Thread scanner = new Thread(() -> {
                while (migrating.get()) {
                    commandLines.addAll(commandLines());
                    try {
                        Thread.sleep(50);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            scanner.start();
            CliIT.Run migrate;
            try {
                migrate = tsmigrate(args(ep, "migrate", "--secrets", "file:" + secrets, "--pg-bin", dbs.services().pgBin().orElseThrow().toString()));
            } finally {
                migrating.set(false);
                scanner.join();
            }
            outputs.add(migrate.out());
            assertThat(migrate.code()).as(migrate.out()).isZero();
            assertThat(commandLines).as("process command lines seen during the bootstrap").anyMatch(l -> l.contains("SnapshotKeeper"));
            try (Connection c = Services.open(src.withDatabase("app")); Statement st = c.createStatement()) {
                st.execute("INSERT INTO accounts SELECT i, 'late ' || i, 0 FROM generate_series(5001, 5200) i");
                st.execute("UPDATE accounts SET balance = balance + 1 WHERE id % 10 = 0");
            }
            for (String[] run : List.of(args(ep, "status"), args(ep, "status", "--json"), args(ep, "cutover", "--timeout", "120"), args(ep, "verify"))) {
                CliIT.Run r = tsmigrate(run);
                outputs.add(r.out());
                assertThat(r.code()).as(String.join(" ", run) + "\n" + r.out()).isZero();
            }
            // check names a target that already holds another migration.
            List<String> other = new ArrayList<>(ep.subList(0, ep.size() - 1));
            other.add("other");
            CliIT.Run second = tsmigrate(args(other, "check"));
            outputs.add(second.out());
            assertThat(second.code()).as(second.out()).isEqualTo(1);
            assertThat(second.out()).contains("FAIL target   another migration").contains("(slot sec)");
            // REST: configs hold only ${file:...} references.
            for (String name : List.of("sec-source", "sec-sink")) {
                JsonNode config = dbs.services().connect().config(name);
                outputs.add(config.toString());
                assertThat(config.toString()).contains("${file:" + secrets + ":");
            }
            outputs.add(dbs.services().connect().expanded().toString());
            // Errors: a password given in a URL, to a server that is not there, and a wrong password.
            outputs.add(tsmigrate("check", "--source-url", "jdbc:postgresql://127.0.0.1:1/app?user=tsm_src&password=" + sourcePassword,
                    "--target-url", "jdbc:postgresql://127.0.0.1:" + tgt.port() + "/app?user=tsm_tgt&password=" + targetPassword + "x").out());
            outputs.add(tsmigrate("status", "--source-url", "jdbc:postgresql://127.0.0.1:" + src.port() + "/app?user=tsm_src&password=" + sourcePassword + "x",
                    "--target-url", "jdbc:postgresql://127.0.0.1:1/app?password=" + targetPassword, "--connect", dbs.services().connectUrl(), "--name", "sec").out());
            outputs.add(tsmigrate(args(ep, "clean", "--yes")).out());
        } finally {
            tsmigrate(args(ep, "clean", "--yes"));
            natives.stopExtraPostgres("secsrc");
            natives.stopExtraPostgres("sectgt");
        }
        outputs.add(Files.readString(natives.runDir().resolve("logs/connect.log"), StandardCharsets.ISO_8859_1));
        Path keeperLog = Path.of(System.getProperty("java.io.tmpdir"), "tsmigrate-snapshot-keeper-sec.log");
        if (Files.exists(keeperLog)) {
            outputs.add(Files.readString(keeperLog));
        }
        outputs.addAll(commandLines);
        for (String secret : List.of(sourcePassword, targetPassword)) {
            for (String output : outputs) {
                assertThat(output).as("an output holds a planted password; excerpt: %s", excerpt(output, secret)).doesNotContain(secret);
            }
        }
        System.out.println("[SecretsIT] scanned " + outputs.size() + " outputs, logs and command lines; no planted password in any");
    }

    /** Every process's whole command line, read from /proc (arguments joined by spaces). */
    private static List<String> commandLines() {
        List<String> out = new ArrayList<>();
        try (var dirs = Files.newDirectoryStream(Path.of("/proc"), d -> d.getFileName().toString().chars().allMatch(Character::isDigit))) {
            for (Path d : dirs) {
                try {
                    out.add(new String(Files.readAllBytes(d.resolve("cmdline")), StandardCharsets.UTF_8).replace('\0', ' '));
                } catch (java.io.IOException gone) {
                    // The process ended meanwhile.
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out;
    }

    private static String excerpt(String output, String secret) {
        int at = output.indexOf(secret);
        return at < 0 ? "" : output.substring(Math.max(0, at - 300), Math.min(output.length(), at + secret.length() + 100));
    }
}
