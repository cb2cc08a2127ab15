package io.tsmigrate.cli;

import io.tsmigrate.common.ConnectClient;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Whether the connectors' tasks really run. Connect reports a task RUNNING on its last worker until the group notices
 * that the worker left (its session timeout) and the leader gives the task to another one, which waits
 * {@code scheduled.rebalance.max.delay.ms} (5 minutes by Kafka's default) for the worker to come back. Meanwhile
 * nothing reads or writes for that task. A task's {@code worker_id} is its worker's REST address: a worker that does
 * not answer there has left, and its tasks are orphaned.
 */
final class TaskLiveness {

    private final ConnectClient rest;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final Map<String, Boolean> answered = new HashMap<>();

    TaskLiveness(ConnectClient rest) {
        this.rest = rest;
    }

    /** Something that keeps a task from running. */
    record Problem(Kind kind, String text) {
        enum Kind { ABSENT_CONNECTOR, NOT_RUNNING, ORPHANED }
    }

    /** One line per task that does not run: orphaned on a worker that left, FAILED, or not RUNNING; empty when all run. */
    List<String> problems(String... connectors) {
        return find(connectors).stream().map(Problem::text).toList();
    }

    /** What {@link #problems} reports, with its kind. */
    List<Problem> find(String... connectors) {
        answered.clear();
        List<Problem> out = new ArrayList<>();
        for (String c : connectors) {
            JsonNode s;
            try {
                s = rest.status(c);
            } catch (io.tsmigrate.common.UserError e) {
                out.add(new Problem(Problem.Kind.ABSENT_CONNECTOR, "connector " + c + " is absent"));
                continue;
            }
            for (JsonNode t : s.path("tasks")) {
                String state = t.path("state").asText();
                String worker = t.path("worker_id").asText();
                String task = c + " task " + t.path("id").asInt();
                if (!"RUNNING".equals(state) && !"PAUSED".equals(state)) {
                    String why = t.path("trace").asText("");
                    out.add(new Problem(Problem.Kind.NOT_RUNNING, task + " is " + state + " on " + worker
                            + (why.isEmpty() ? "" : ": " + ConnectClient.firstLine(why))));
                } else if (!answers(worker)) {
                    out.add(new Problem(Problem.Kind.ORPHANED, task + " is orphaned: Connect still reports it " + state + " on " + worker
                            + ", which does not answer (the worker left); Connect moves it after the group's session timeout and "
                            + "scheduled.rebalance.max.delay.ms"));
                }
            }
        }
        return out;
    }

    /**
     * Waits until every task runs on a live worker, printing once what it waits for; fails at the deadline naming
     * the tasks. Called before cutover's downtime starts, so no write is stopped for a task nobody runs.
     */
    void awaitLive(Instant deadline, String... connectors) throws InterruptedException {
        List<String> last = problems(connectors);
        if (last.isEmpty()) {
            return;
        }
        System.out.println("Waiting before the cutover for tasks to run: " + String.join("; ", last));
        Instant start = Instant.now();
        while (Instant.now().isBefore(deadline)) {
            Thread.sleep(1000);
            last = problems(connectors);
            if (last.isEmpty()) {
                System.out.printf("Every task runs again (after %.0f s)%n", Duration.between(start, Instant.now()).toMillis() / 1000.0);
                return;
            }
        }
        throw new CliException("tasks do not run: " + String.join("; ", last) + ". Nothing was stopped; restart the worker or wait for Connect to "
                + "move the tasks, then run cutover again");
    }

    private boolean answers(String worker) {
        if (worker.isEmpty()) {
            return true;
        }
        return answered.computeIfAbsent(worker, w -> {
            try {
                http.send(HttpRequest.newBuilder(URI.create("http://" + w + "/")).timeout(Duration.ofSeconds(3)).GET().build(),
                        HttpResponse.BodyHandlers.discarding());
                return true;
            } catch (IOException e) {
                // An https listener answers a plain request with a protocol error: it is there.
                return !(e instanceof java.net.ConnectException || e instanceof java.net.http.HttpConnectTimeoutException
                        || e instanceof java.net.http.HttpTimeoutException);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return true;
            } catch (IllegalArgumentException e) {
                return true;
            }
        });
    }
}
