package io.tsmigrate.cli;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Embedded mode: a single-node Kafka broker (KRaft) and a Connect worker with Debezium and the sink, run as child
 * processes by the launcher the test kit uses ({@code deploy/local/services.sh streaming-up}). They keep running in
 * the background between commands (the stream must go on until cutover), keep their data in the data directory,
 * resume from it when started again, and are stopped and deleted by {@code tsmigrate clean}.
 */
final class Embedded {

    private final Path dataDir;
    private Map<String, String> env;

    /** Passwords the worker reads through ${env:...} that the command did not take from its environment. */
    private final java.util.Map<String, String> workerEnvironment = new java.util.HashMap<>();

    /** Gives the worker this variable (a password given in a URL rather than in the environment). */
    void passToWorker(String name, String value) {
        if (value != null && !value.isEmpty() && System.getenv(name) == null) {
            workerEnvironment.put(name, value);
        }
    }

    Embedded(Path dataDir) {
        this.dataDir = dataDir.toAbsolutePath();
    }

    static Path defaultDataDir(String name) {
        String xdg = System.getenv("XDG_DATA_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".local", "share");
        return base.resolve("tsmigrate").resolve(name);
    }

    Path dataDir() {
        return dataDir;
    }

    boolean exists() {
        return Files.isDirectory(dataDir.resolve("pids"));
    }

    /** Starts the broker and the worker unless they run already (then this only reads their addresses). */
    void ensureRunning() {
        if (env != null) {
            return;
        }
        if (!running()) {
            System.err.println("Starting the embedded Kafka broker and Connect worker (data and logs in " + dataDir + ")");
        }
        try {
            env = parse(services("streaming-up"));
        } catch (CliException e) {
            // A port chosen free can be taken before the broker binds it (by a client's ephemeral port): choose again, once.
            if (!logsMention("Address already in use")) {
                throw e;
            }
            services("down");
            env = parse(services("streaming-up"));
        }
    }

    private boolean logsMention(String text) {
        for (String name : List.of("kafka.log", "connect.log")) {
            try {
                Path log = dataDir.resolve("logs").resolve(name);
                if (Files.exists(log) && Files.readString(log).contains(text)) {
                    return true;
                }
            } catch (IOException unreadable) {
                // not this one
            }
        }
        return false;
    }

    String connectUrl() {
        return env.get("TSMIGRATE_CONNECT_URL");
    }

    String kafkaBootstrap() {
        return env.get("TSMIGRATE_KAFKA_BOOTSTRAP");
    }

    boolean running() {
        if (!exists()) {
            return false;
        }
        try {
            return run(List.of("status")).code() == 0;
        } catch (CliException e) {
            return false;
        }
    }

    /** The local services of {@code services.sh} (source, target, broker, worker) in their default run directory. */
    static Embedded localServices() {
        return new Embedded(home().resolve("target/services"));
    }

    /** Starts all the local services ({@code services.sh up}: needs root) and returns their settings. */
    Map<String, String> up() {
        System.err.println("Starting the local services: source PostgreSQL, target TimescaleDB, Kafka, Connect (logs in " + dataDir.resolve("logs") + ")");
        return parse(services("up"));
    }

    /** Stops the broker and the worker; their data stays, so a later command resumes. */
    void stop() {
        if (exists()) {
            services("down");
        }
        env = null;
    }

    /** Stops them and deletes the data directory. */
    void delete() throws IOException {
        stop();
        if (Files.exists(dataDir)) {
            try (Stream<Path> files = Files.walk(dataDir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    private String services(String command) {
        Result r = run(List.of(command));
        if (r.code() != 0) {
            throw new CliException("the embedded Kafka/Connect (" + command + ") failed: " + r.output().strip().replaceAll("\\s*\\n\\s*", "; ")
                    + " (logs in " + dataDir.resolve("logs") + ")");
        }
        return r.output();
    }

    private record Result(int code, String output) {
    }

    private Result run(List<String> args) {
        Path script = launcher();
        List<String> cmd = new ArrayList<>(List.of("bash", script.toString()));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("TSMIGRATE_RUN_DIR", dataDir.toString());
        pb.environment().putAll(workerEnvironment);
        pb.redirectErrorStream(false);
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        try {
            Process p = pb.start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return new Result(p.waitFor(), out);
        } catch (IOException e) {
            throw new CliException("cannot run " + script + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted while running " + script);
        }
    }

    private static Map<String, String> parse(String output) {
        Map<String, String> m = new HashMap<>();
        for (String line : output.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0 && line.startsWith("TSMIGRATE_")) {
                m.put(line.substring(0, eq), line.substring(eq + 1).trim());
            }
        }
        if (!m.containsKey("TSMIGRATE_CONNECT_URL") || !m.containsKey("TSMIGRATE_KAFKA_BOOTSTRAP")) {
            throw new CliException("the embedded Kafka/Connect launcher did not print its addresses: " + output.strip());
        }
        return m;
    }

    /** The installation's root: the folder holding deploy/local/services.sh. */
    static Path home() {
        return launcher().getParent().getParent().getParent();
    }

    /** services.sh of the installation: -Dtsmigrate.home, or found upwards from the jar or classes folder. */
    static Path launcher() {
        String home = System.getProperty("tsmigrate.home", System.getenv("TSMIGRATE_HOME"));
        List<Path> starts = new ArrayList<>();
        if (home != null) {
            starts.add(Path.of(home));
        }
        try {
            starts.add(Path.of(Embedded.class.getProtectionDomain().getCodeSource().getLocation().toURI()));
        } catch (URISyntaxException | SecurityException | NullPointerException e) {
            // fall through to the error below
        }
        for (Path start : starts) {
            for (Path d = start.toAbsolutePath(); d != null; d = d.getParent()) {
                Path script = d.resolve("deploy/local/services.sh");
                if (Files.isRegularFile(script)) {
                    return script;
                }
            }
        }
        throw new CliException("embedded mode needs tsmigrate's runtime (deploy/local/services.sh with Kafka's jars and the plugins, "
                + "laid out by `mvn package`); set TSMIGRATE_HOME to the installation, or give your cluster with --connect URL --kafka HOST:PORT");
    }
}
