package io.tsmigrate.common;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The client of the Kafka Connect REST API that the CLI, the test kit and the benchmarks use. Retries 409 and 503
 * for up to a minute (the cluster is rebalancing, the herder is busy); every other failure is a {@link UserError}
 * naming the request and what the worker answered. Thread-safe.
 */
public final class ConnectClient {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final String base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    /** Thrown by {@link #failIfPaused}: nothing streams while the connector is paused (cutover pauses both). */
    public static final class Paused extends UserError {
        Paused(String message) {
            super(message);
        }
    }

    /** The worker answered with an HTTP status the request does not expect. */
    public static final class Refused extends UserError {
        private final int status;

        Refused(String message, int status) {
            super(message);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    public ConnectClient(String base) {
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
    }

    public String url() {
        return base;
    }

    public JsonNode root() {
        return send("GET", "/", null, 200);
    }

    public JsonNode plugins() {
        return send("GET", "/connector-plugins", null, 200);
    }

    /** Names of the connectors on the cluster. */
    public List<String> connectors() {
        List<String> out = new ArrayList<>();
        send("GET", "/connectors", null, 200).forEach(n -> out.add(n.asText()));
        return out;
    }

    /** Creates or updates a connector ({@code PUT /connectors/{name}/config}). */
    public JsonNode put(String name, Map<String, ?> config) {
        return send("PUT", "/connectors/" + enc(name) + "/config", config, 200, 201);
    }

    /** {@code GET /connectors/{name}/config}: the config as stored, secrets unresolved. */
    public JsonNode config(String name) {
        return send("GET", "/connectors/" + enc(name) + "/config", null, 200);
    }

    /** {@code GET /connectors?expand=info&expand=status}: every connector's config, tasks and status. */
    public JsonNode expanded() {
        return send("GET", "/connectors?expand=info&expand=status", null, 200);
    }

    public boolean exists(String name) {
        return !send("GET", "/connectors/" + enc(name), null, 200, 404).has("error_code");
    }

    /**
     * Creates a connector that starts from nothing: created STOPPED, its stored offsets (an earlier connector of
     * the same name leaves them in the worker's offsets topic, or as a consumer group) deleted, then resumed.
     */
    public void createFresh(String name, Map<String, ?> config) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", name);
        body.put("config", config);
        body.put("initial_state", "STOPPED");
        send("POST", "/connectors", body, 201);
        Instant deadline = Instant.now().plusSeconds(60);
        while (!"STOPPED".equals(send("GET", "/connectors/" + enc(name) + "/status", null, 200, 404).path("connector").path("state").asText())) {
            if (Instant.now().isAfter(deadline)) {
                throw new UserError("connector " + name + " was created but is not STOPPED after 60 s; see GET " + base + "/connectors/" + name + "/status");
            }
            sleep(200);
        }
        send("DELETE", "/connectors/" + enc(name) + "/offsets", null, 200);
        send("PUT", "/connectors/" + enc(name) + "/resume", null, 202, 204);
    }

    public JsonNode status(String name) {
        return send("GET", "/connectors/" + enc(name) + "/status", null, 200);
    }

    public void resume(String name) {
        send("PUT", "/connectors/" + enc(name) + "/resume", null, 202, 204);
    }

    public void pause(String name) {
        send("PUT", "/connectors/" + enc(name) + "/pause", null, 202, 204);
    }

    /** Restarts the connector and its tasks. */
    public void restart(String name) {
        send("POST", "/connectors/" + enc(name) + "/restart?includeTasks=true", null, 200, 202, 204);
    }

    /** Deletes a connector; a missing one is fine. */
    public void delete(String name) {
        send("DELETE", "/connectors/" + enc(name), null, 200, 204, 404);
    }

    /** {@code PUT /connector-plugins/{class}/config/validate}. */
    public JsonNode validate(String connectorClass, Map<String, ?> config) {
        return send("PUT", "/connector-plugins/" + enc(connectorClass) + "/config/validate", config, 200);
    }

    /** Fails when the connector or one of its tasks FAILED; returns the status it read. */
    public JsonNode failIfFailed(String name) {
        JsonNode s = status(name);
        String failure = failure(name, s);
        if (failure != null) {
            throw new UserError(failure);
        }
        return s;
    }

    /** Fails when the connector's {@code status} says it is paused: a wait for its stream would never end. */
    public void failIfPaused(String name, JsonNode status) {
        if ("PAUSED".equals(status.path("connector").path("state").asText())) {
            throw new Paused("connector " + name + " is paused, so nothing streams (cutover pauses it; a rollback resumes it, "
                    + "or PUT " + base + "/connectors/" + name + "/resume)");
        }
    }

    /**
     * Waits until the connector and every task (at least one) run; fails with the task's error as soon as the
     * connector or a task FAILED. A connector the worker does not know yet, or a worker that does not answer, is
     * waited for.
     */
    public void awaitRunning(String name, Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        String last = "unknown";
        while (Instant.now().isBefore(deadline)) {
            JsonNode s = null;
            try {
                s = status(name);
            } catch (UserError notYet) {
                last = notYet.getMessage();
            }
            if (s != null) {
                String failure = failure(name, s);
                if (failure != null) {
                    throw new UserError(failure);
                }
                last = s.path("connector").path("state").asText();
                boolean ok = "RUNNING".equals(last) && s.path("tasks").size() > 0;
                for (JsonNode t : s.path("tasks")) {
                    ok &= "RUNNING".equals(t.path("state").asText());
                }
                if (ok) {
                    return;
                }
            }
            sleep(250);
        }
        throw new UserError("connector " + name + " is not RUNNING after " + timeout.toSeconds() + " s (state " + last + ")");
    }

    /** What FAILED in a status (the connector or a task, with the first line of its trace), or null. */
    private String failure(String name, JsonNode s) {
        String where = " (full trace: GET " + base + "/connectors/" + name + "/status)";
        if ("FAILED".equals(s.path("connector").path("state").asText())) {
            return "connector " + name + " failed: " + firstLine(s.path("connector").path("trace").asText()) + where;
        }
        for (JsonNode t : s.path("tasks")) {
            if ("FAILED".equals(t.path("state").asText())) {
                return "connector " + name + " task " + t.path("id").asInt() + " failed: " + firstLine(t.path("trace").asText()) + where;
            }
        }
        return null;
    }

    private JsonNode send(String method, String path, Object body, int... ok) {
        Instant deadline = Instant.now().plusSeconds(60);
        while (true) {
            HttpResponse<String> r;
            try {
                HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(90))
                        .header("Content-Type", "application/json").header("Accept", "application/json");
                b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
                r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                throw new UserError("cannot reach the Kafka Connect REST API at " + base + " (" + e.getClass().getSimpleName()
                        + "); check --connect and that the worker runs", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new UserError("interrupted", e);
            }
            for (int code : ok) {
                if (code == r.statusCode()) {
                    try {
                        return r.body().isEmpty() ? JSON.nullNode() : JSON.readTree(r.body());
                    } catch (IOException e) {
                        throw new UserError("unreadable answer from " + base + path, e);
                    }
                }
            }
            if ((r.statusCode() == 409 || r.statusCode() == 503) && Instant.now().isBefore(deadline)) {
                sleep(1000);
                continue;
            }
            String message = r.body();
            try {
                message = JSON.readTree(r.body()).path("message").asText(r.body());
            } catch (IOException notJson) {
                // keep the body
            }
            throw new Refused("Kafka Connect answered " + r.statusCode() + " to " + method + " " + path + ": " + firstLine(message), r.statusCode());
        }
    }

    /** A task trace's first line, and what to do when the cause is one we know. */
    public static String firstLine(String s) {
        int nl = s.indexOf('\n');
        String first = nl < 0 ? s : s.substring(0, nl);
        if (s.contains("io.tsmigrate.source.") && (s.contains("ClassNotFoundException") || s.contains("Failed to find any class"))) {
            return first + ": the Connect worker has no tsmigrate-source-converter.jar in the Debezium PostgreSQL plugin's folder; "
                    + "copy it there on every worker (docs/operations.md, \"Your own Connect cluster\") and restart the workers";
        }
        if (s.contains("io.tsmigrate.json.") && (s.contains("ClassNotFoundException") || s.contains("Failed to find any class")
                || s.contains("Class io.tsmigrate.json.ExactJsonConverter could not be found"))) {
            return first + ": the Connect worker has neither the converter plugin (tsmigrate-json-converter-<version>.zip) nor the sink plugin, which "
                    + "carries it; unpack one into plugin.path on every worker (docs/operations.md, \"Your own Connect cluster\") and restart the workers";
        }
        String cause = rootCause(s);
        if (s.contains("RecordTooLargeException")) {
            return first + ": " + cause + " -- " + TOO_LARGE;
        }
        return cause == null || first.contains(cause) ? first : first + "; caused by " + cause;
    }

    /**
     * What to do when a change event is larger than Kafka takes: the producer's {@code max.request.size} (the
     * source templates set 64 MiB), the topic's {@code max.message.bytes} (65 MiB for topics Connect creates), the
     * broker's {@code socket.request.max.bytes} (100 MiB by default).
     */
    static final String TOO_LARGE = "a source row's change event is larger than Kafka takes (the templates allow 64 MiB: a row, with the old "
            + "row for REPLICA IDENTITY FULL, in JSON; bytea counts 4/3). Nothing is lost: the slot keeps the change. Raise "
            + "producer.override.max.request.size and producer.override.buffer.memory on the source connector, the topic's "
            + "max.message.bytes (and the broker's socket.request.max.bytes above 100 MiB), then restart the task "
            + "(docs/operations.md, \"Large rows\")";

    /** The last {@code Caused by:} line of a Java stack trace, without its prefix; null when there is none. */
    static String rootCause(String trace) {
        int at = trace.lastIndexOf("Caused by: ");
        if (at < 0) {
            return null;
        }
        int end = trace.indexOf('\n', at);
        return trace.substring(at + "Caused by: ".length(), end < 0 ? trace.length() : end).strip();
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UserError("interrupted", e);
        }
    }
}
