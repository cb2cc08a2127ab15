package io.tsmigrate.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Drives {@code deploy/local/services.sh}: the same code path a person uses, so the tests exercise the
 * script. The services run as separate processes (PostgreSQL in a Debian chroot, Kafka and Connect as JVMs
 * with Kafka's own jars); this JVM owns them while it runs and a watchdog stops them if it dies.
 * Thread-safe: every method runs the script, which serialises itself.
 */
public final class NativeServices {

    private final Path root;
    private final Path script;
    private final Path runDir;
    private final long ownerPid = ProcessHandle.current().pid();

    private NativeServices(Path root) {
        this.root = root;
        this.script = root.resolve("deploy/local/services.sh");
        String run = System.getenv("TSMIGRATE_RUN_DIR");
        // Apart from the user's services (target/services), so tests never meet a user's connectors and vice versa.
        this.runDir = run == null || run.isBlank() ? root.resolve("target/test-services") : Path.of(run);
    }

    /** Starts (or takes over) the native services and returns their settings. */
    static Services start() {
        NativeServices natives = new NativeServices(findRoot());
        Map<String, String> env = natives.parseEnv(natives.run(Duration.PROVISION, "up", "--owner-pid", Long.toString(natives.ownerPid)));
        Runtime.getRuntime().addShutdownHook(new Thread(natives::stopIfOwner, "tsmigrate-services-down"));
        return new Services(PgEndpoint.parse(env.get("TSMIGRATE_SOURCE_URL")), PgEndpoint.parse(env.get("TSMIGRATE_TARGET_URL")),
                env.get("TSMIGRATE_KAFKA_BOOTSTRAP"), env.get("TSMIGRATE_CONNECT_URL"), natives);
    }

    /**
     * Only a Connect worker, as a native process, against a broker that runs elsewhere (a container).
     * Stopped when this JVM ends.
     */
    static NativeServices connectOnly(String kafkaBootstrap) {
        NativeServices natives = new NativeServices(findRoot());
        String port = kafkaBootstrap.substring(kafkaBootstrap.lastIndexOf(':') + 1);
        try {
            java.nio.file.Files.createDirectories(natives.runDir);
            java.nio.file.Files.writeString(natives.runDir.resolve("ports.env"), "SOURCE_PORT=0\nTARGET_PORT=0\nKAFKA_PORT=" + port
                    + "\nCONTROLLER_PORT=0\nCONNECT_PORT=" + freePort() + "\n");
        } catch (IOException e) {
            throw new IllegalStateException("cannot prepare " + natives.runDir + ": " + e.getMessage(), e);
        }
        natives.run(Duration.SHORT, "start", "connect");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> natives.run(Duration.SHORT, "stop", "connect"), "tsmigrate-connect-down"));
        return natives;
    }

    /** The Connect REST URL of a worker started by {@link #connectOnly}. */
    String connectUrl() {
        try {
            String ports = java.nio.file.Files.readString(runDir.resolve("ports.env"));
            return "http://127.0.0.1:" + ports.replaceAll("(?s).*CONNECT_PORT=(\\d+).*", "$1");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int freePort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** The checkout's root: the {@code tsmigrate.root} system property (set by the build) or a parent of the working directory. */
    public static Path findRoot() {
        String prop = System.getProperty("tsmigrate.root");
        if (prop != null && Files.isRegularFile(Path.of(prop, "deploy/local/services.sh"))) {
            return Path.of(prop);
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("deploy/local/services.sh"))) {
                return p;
            }
        }
        throw new IllegalStateException("cannot find deploy/local/services.sh: run the tests from the tsmigrate checkout "
                + "or set -Dtsmigrate.root=<checkout>");
    }

    public Path root() {
        return root;
    }

    public Path runDir() {
        return runDir;
    }

    /** Wrappers for the PostgreSQL 17 client tools of the chroot ({@code psql}, {@code pg_dump}, ...). */
    public Path pgBin() {
        return runDir.resolve("bin");
    }

    /** SIGKILLs one service: {@code source}, {@code target}, {@code kafka} or {@code connect}. */
    public void kill(String service) {
        run(Duration.SHORT, "kill", service);
    }

    /** Stops one service cleanly. */
    public void stop(String service) {
        run(Duration.SHORT, "stop", service);
    }

    /** Starts one service again (after {@link #kill} or {@link #stop}) and waits until it is ready. */
    public void start(String service) {
        run(Duration.SHORT, "start", service);
    }

    /**
     * Restarts the Connect worker with this {@code offset.flush.interval.ms} (Kafka's default is 60000; the test
     * services run 2000), waiting until it is ready. Its connectors resume.
     */
    public void restartConnect(long offsetFlushMs) {
        run(Duration.SHORT, "stop", "connect");
        run(Duration.SHORT, Map.of("TSMIGRATE_CONNECT_OFFSET_FLUSH_MS", Long.toString(offsetFlushMs)), "start", "connect");
    }

    /**
     * Starts another Connect worker in the services' group (a distributed cluster on loopback) with its REST API on
     * {@code port}, and waits until it answers; {@link #kill} and {@link #stopWorker} take its name.
     */
    public String startWorker(String name, int port) {
        run(Duration.SHORT, "worker-start", name, Integer.toString(port));
        return "http://127.0.0.1:" + port;
    }

    /** Stops a worker from {@link #startWorker} gracefully (its tasks move to the others). */
    public void stopWorker(String name) {
        run(Duration.SHORT, "worker-stop", name);
    }

    /** Starts a throwaway PostgreSQL cluster with extra settings, for tests of misconfigured servers. */
    public PgEndpoint startExtraPostgres(String name, int port, String... settings) {
        List<String> args = new ArrayList<>(List.of("pg-start", name, Integer.toString(port)));
        args.addAll(List.of(settings));
        run(Duration.SHORT, args.toArray(String[]::new));
        return new PgEndpoint("127.0.0.1", port, "postgres", null, "postgres");
    }

    /**
     * An extra cluster that takes TLS connections only (pg_hba {@code hostssl}), with the server certificate and key
     * in {@code tls} ({@code server.crt}, {@code server.key}).
     */
    public PgEndpoint startExtraTlsPostgres(String name, int port, Path tls, String... settings) {
        List<String> args = new ArrayList<>(List.of("pg-start", name, Integer.toString(port)));
        args.addAll(List.of(settings));
        run(Duration.SHORT, Map.of("TSMIGRATE_PG_TLS", tls.toString()), args.toArray(String[]::new));
        return new PgEndpoint("127.0.0.1", port, "postgres", null, "postgres");
    }

    /** An extra cluster where every role but {@code postgres} signs in with its password (SCRAM) over TCP. */
    public PgEndpoint startExtraPasswordPostgres(String name, int port, String... settings) {
        List<String> args = new ArrayList<>(List.of("pg-start", name, Integer.toString(port)));
        args.addAll(List.of(settings));
        run(Duration.SHORT, Map.of("TSMIGRATE_PG_AUTH", "password"), args.toArray(String[]::new));
        return new PgEndpoint("127.0.0.1", port, "postgres", null, "postgres");
    }

    /** A folder with the same path outside the chroot and inside it, where the chroot's pg_dump and psql run. */
    public Path sharedDir() {
        return Path.of(run(Duration.SHORT, "shared-dir").trim());
    }

    /** Stops a cluster from {@link #startExtraPostgres} and deletes its data. */
    public void stopExtraPostgres(String name) {
        run(Duration.SHORT, "pg-stop", name);
    }

    private void stopIfOwner() {
        try {
            run(Duration.SHORT, "down-if-owner", Long.toString(ownerPid));
        } catch (RuntimeException e) {
            System.err.println("[tsmigrate-testkit] stopping the services failed (the watchdog will retry): " + e.getMessage());
        }
    }

    private enum Duration {
        SHORT(300), PROVISION(1200);
        final long seconds;

        Duration(long seconds) {
            this.seconds = seconds;
        }
    }

    private String run(Duration limit, String... args) {
        return run(limit, Map.of(), args);
    }

    private String run(Duration limit, Map<String, String> env, String... args) {
        List<String> command = new ArrayList<>();
        command.add("bash");
        command.add(script.toString());
        command.addAll(List.of(args));
        try {
            Files.createDirectories(runDir);
            Path err = Files.createTempFile(runDir, "services-", ".err");
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(false)
                    .redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            pb.environment().put("TSMIGRATE_RUN_DIR", runDir.toString());
            pb.environment().putAll(env);
            Process p = pb.start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(limit.seconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("services.sh " + String.join(" ", args) + " took longer than " + limit.seconds + " s");
            }
            String errText = Files.readString(err, StandardCharsets.UTF_8);
            Files.deleteIfExists(err);
            if (p.exitValue() != 0) {
                throw new IllegalStateException("services.sh " + String.join(" ", args) + " failed: " + errText.strip());
            }
            return new String(out, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + script + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running services.sh", e);
        }
    }

    private Map<String, String> parseEnv(String output) {
        Map<String, String> env = new LinkedHashMap<>();
        output.lines().filter(l -> l.startsWith("TSMIGRATE_") && l.contains("="))
                .forEach(l -> env.put(l.substring(0, l.indexOf('=')), l.substring(l.indexOf('=') + 1)));
        for (String key : List.of("TSMIGRATE_SOURCE_URL", "TSMIGRATE_TARGET_URL", "TSMIGRATE_KAFKA_BOOTSTRAP", "TSMIGRATE_CONNECT_URL")) {
            if (!env.containsKey(key)) {
                throw new IllegalStateException("services.sh up did not print " + key + "; it printed: " + output);
            }
        }
        return env;
    }
}
