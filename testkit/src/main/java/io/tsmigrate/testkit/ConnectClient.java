package io.tsmigrate.testkit;

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
import java.util.Map;

/**
 * A small client of the Kafka Connect REST API for tests. Retries 409 (the cluster is rebalancing).
 * Thread-safe.
 */
public final class ConnectClient {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final String baseUrl;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    public ConnectClient(String baseUrl) {
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    }

    /** Creates or updates a connector ({@code PUT /connectors/{name}/config}). */
    public JsonNode putConfig(String name, Map<String, ?> config) {
        return send("PUT", "/connectors/" + enc(name) + "/config", config, 200, 201);
    }

    /** Names of the connectors on the cluster. */
    public java.util.List<String> list() {
        java.util.List<String> names = new java.util.ArrayList<>();
        send("GET", "/connectors", null, 200).forEach(n -> names.add(n.asText()));
        return names;
    }

    /** {@code GET /connectors/{name}/config}: the config as stored, secrets unresolved. */
    public JsonNode config(String name) {
        return send("GET", "/connectors/" + enc(name) + "/config", null, 200);
    }

    /** {@code GET /connectors?expand=info&expand=status}: every connector's config, tasks and status. */
    public JsonNode expanded() {
        return send("GET", "/connectors?expand=info&expand=status", null, 200);
    }

    public JsonNode status(String name) {
        return send("GET", "/connectors/" + enc(name) + "/status", null, 200);
    }

    /** Deletes a connector; a missing one is fine. */
    public void delete(String name) {
        send("DELETE", "/connectors/" + enc(name), null, 200, 204, 404);
    }

    public void restart(String name) {
        send("POST", "/connectors/" + enc(name) + "/restart?includeTasks=true", null, 200, 202, 204);
    }

    public JsonNode plugins() {
        return send("GET", "/connector-plugins", null, 200);
    }

    /** {@code PUT /connector-plugins/{class}/config/validate}. */
    public JsonNode validate(String connectorClass, Map<String, ?> config) {
        return send("PUT", "/connector-plugins/" + enc(connectorClass) + "/config/validate", config, 200);
    }

    /**
     * Waits until the connector and all its tasks (at least one) are RUNNING.
     *
     * @throws IllegalStateException with the worker's trace as soon as the connector or a task FAILED
     */
    public void awaitRunning(String name, Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        JsonNode last = null;
        while (Instant.now().isBefore(deadline)) {
            try {
                last = status(name);
            } catch (IllegalStateException notYet) {
                last = null;
            }
            if (last != null) {
                if ("FAILED".equals(last.path("connector").path("state").asText())) {
                    throw new IllegalStateException("connector " + name + " FAILED: " + last.path("connector").path("trace").asText());
                }
                boolean allRunning = last.path("tasks").size() > 0 && "RUNNING".equals(last.path("connector").path("state").asText());
                for (JsonNode task : last.path("tasks")) {
                    if ("FAILED".equals(task.path("state").asText())) {
                        throw new IllegalStateException("task " + task.path("id").asInt() + " of " + name + " FAILED: " + task.path("trace").asText());
                    }
                    allRunning &= "RUNNING".equals(task.path("state").asText());
                }
                if (allRunning) {
                    return;
                }
            }
            sleep(250);
        }
        throw new IllegalStateException("connector " + name + " not RUNNING after " + timeout + "; last status: " + last);
    }

    private JsonNode send(String method, String path, Object body, int... ok) {
        Instant deadline = Instant.now().plusSeconds(60);
        while (true) {
            HttpResponse<String> response;
            try {
                HttpRequest.BodyPublisher publisher = body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body));
                HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(90))
                        .header("Content-Type", "application/json").header("Accept", "application/json")
                        .method(method, publisher).build();
                response = http.send(request, HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                throw new IllegalStateException(method + " " + baseUrl + path + " failed: " + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
            int code = response.statusCode();
            for (int c : ok) {
                if (c == code) {
                    try {
                        return response.body().isEmpty() ? JSON.nullNode() : JSON.readTree(response.body());
                    } catch (IOException e) {
                        throw new IllegalStateException("unreadable answer from " + path + ": " + response.body(), e);
                    }
                }
            }
            // 409: rebalance in progress; 503/500 "worker is starting"/"request timed out": the herder is busy.
            if ((code == 409 || code == 503) && Instant.now().isBefore(deadline)) {
                sleep(500);
                continue;
            }
            throw new IllegalStateException(method + " " + path + " answered " + code + ": " + response.body());
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
