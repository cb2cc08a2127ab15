package io.tsmigrate.cli;

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
import java.util.List;
import java.util.Map;

/** The typed client of the Kafka Connect REST API that every command uses. Retries 409 while the cluster rebalances. */
final class ConnectRest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final String base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    ConnectRest(String base) {
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
    }

    String url() {
        return base;
    }

    JsonNode root() {
        return send("GET", "/", null, 200);
    }

    JsonNode plugins() {
        return send("GET", "/connector-plugins", null, 200);
    }

    List<String> connectors() {
        List<String> out = new ArrayList<>();
        send("GET", "/connectors", null, 200).forEach(n -> out.add(n.asText()));
        return out;
    }

    JsonNode put(String name, Map<String, String> config) {
        return send("PUT", "/connectors/" + enc(name) + "/config", config, 200, 201);
    }

    boolean exists(String name) {
        return !send("GET", "/connectors/" + enc(name), null, 200, 404).has("error_code");
    }

    /**
     * Creates a connector that starts from nothing: created STOPPED, its stored offsets (an earlier connector of
     * the same name leaves them in the worker's offsets topic, or as a consumer group) deleted, then resumed.
     */
    void createFresh(String name, Map<String, String> config) {
        Map<String, Object> body = new java.util.LinkedHashMap<>();
        body.put("name", name);
        body.put("config", config);
        body.put("initial_state", "STOPPED");
        send("POST", "/connectors", body, 201);
        Instant deadline = Instant.now().plusSeconds(60);
        while (!"STOPPED".equals(send("GET", "/connectors/" + enc(name) + "/status", null, 200, 404).path("connector").path("state").asText())) {
            if (Instant.now().isAfter(deadline)) {
                throw new CliException("connector " + name + " was created but is not STOPPED after 60 s; see GET " + base + "/connectors/" + name + "/status");
            }
            sleep(200);
        }
        send("DELETE", "/connectors/" + enc(name) + "/offsets", null, 200);
        send("PUT", "/connectors/" + enc(name) + "/resume", null, 202, 204);
    }

    JsonNode status(String name) {
        return send("GET", "/connectors/" + enc(name) + "/status", null, 200);
    }

    void resume(String name) {
        send("PUT", "/connectors/" + enc(name) + "/resume", null, 202, 204);
    }

    void pause(String name) {
        send("PUT", "/connectors/" + enc(name) + "/pause", null, 202, 204);
    }

    void delete(String name) {
        send("DELETE", "/connectors/" + enc(name), null, 200, 204, 404);
    }

    JsonNode validate(String connectorClass, Map<String, String> config) {
        return send("PUT", "/connector-plugins/" + enc(connectorClass) + "/config/validate", config, 200);
    }

    /** Throws with the task's error when the connector or one of its tasks FAILED. */
    /** Fails when the connector or one of its tasks FAILED; returns the status it read. */
    JsonNode failIfFailed(String name) {
        JsonNode s = status(name);
        if ("FAILED".equals(s.path("connector").path("state").asText())) {
            throw new CliException("connector " + name + " failed: " + firstLine(s.path("connector").path("trace").asText())
                    + " (full trace: GET " + base + "/connectors/" + name + "/status)");
        }
        for (JsonNode t : s.path("tasks")) {
            if ("FAILED".equals(t.path("state").asText())) {
                throw new CliException("connector " + name + " task " + t.path("id").asInt() + " failed: " + firstLine(t.path("trace").asText())
                        + " (full trace: GET " + base + "/connectors/" + name + "/status)");
            }
        }
        return s;
    }

    /** Thrown by {@link #failIfPaused}: nothing streams while the connector is paused (cutover pauses both). */
    static final class Paused extends CliException {
        Paused(String message) {
            super(message);
        }
    }

    /** Fails when the connector's {@code status} says it is paused: a wait for its stream would never end. */
    void failIfPaused(String name, JsonNode status) {
        if ("PAUSED".equals(status.path("connector").path("state").asText())) {
            throw new Paused("connector " + name + " is paused, so nothing streams (cutover pauses it; a rollback resumes it, "
                    + "or PUT " + base + "/connectors/" + name + "/resume)");
        }
    }

    /** Waits until the connector and every task run; fails with the task's trace when one FAILED. */
    void awaitRunning(String name, Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        String last = "unknown";
        while (Instant.now().isBefore(deadline)) {
            try {
                JsonNode s = status(name);
                last = s.path("connector").path("state").asText();
                boolean ok = "RUNNING".equals(last) && s.path("tasks").size() > 0;
                for (JsonNode t : s.path("tasks")) {
                    if ("FAILED".equals(t.path("state").asText())) {
                        throw new CliException("connector " + name + " task " + t.path("id").asInt() + " failed: " + firstLine(t.path("trace").asText())
                                + " (full trace: GET " + base + "/connectors/" + name + "/status)");
                    }
                    ok &= "RUNNING".equals(t.path("state").asText());
                }
                if (ok) {
                    return;
                }
            } catch (CliException e) {
                if (e.getMessage().contains("failed")) {
                    throw e;
                }
            }
            sleep(500);
        }
        throw new CliException("connector " + name + " is not RUNNING after " + timeout.toSeconds() + " s (state " + last + ")");
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
                throw new CliException("cannot reach the Kafka Connect REST API at " + base + " (" + e.getClass().getSimpleName()
                        + "); check --connect and that the worker runs", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CliException("interrupted", e);
            }
            for (int code : ok) {
                if (code == r.statusCode()) {
                    try {
                        return r.body().isEmpty() ? JSON.nullNode() : JSON.readTree(r.body());
                    } catch (IOException e) {
                        throw new CliException("unreadable answer from " + base + path, e);
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
            throw new CliException("Kafka Connect answered " + r.statusCode() + " to " + method + " " + path + ": " + firstLine(message));
        }
    }

    /** A task trace's first line, and what to do when the cause is one we know. */
    static String firstLine(String s) {
        int nl = s.indexOf('\n');
        String first = nl < 0 ? s : s.substring(0, nl);
        if (s.contains("io.tsmigrate.source.") && (s.contains("ClassNotFoundException") || s.contains("Failed to find any class"))) {
            return first + ": the Connect worker has no tsmigrate-source-converter.jar in the Debezium PostgreSQL plugin's folder; "
                    + "copy it there on every worker (docs/operations.md, \"Your own Connect cluster\") and restart the workers";
        }
        return first;
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted", e);
        }
    }
}
