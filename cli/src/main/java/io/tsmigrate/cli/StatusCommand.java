package io.tsmigrate.cli;

import io.tsmigrate.common.SinkState;
import io.tsmigrate.common.ConnectClient;

import com.fasterxml.jackson.databind.ObjectMapper;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code tsmigrate status}: slot lag, connector states, sink progress and lag on one screen. */
@Command(name = "status", mixinStandardHelpOptions = true, description = "Shows the slot's lag and retained WAL, the connectors' states, and the "
        + "sink's applied position and lag.", footer = {"%nExample:%n  tsmigrate status --watch --source-url ... --target-url ... --connect http://connect:8083"})
final class StatusCommand implements Callable<Integer> {

    @Mixin
    Endpoints endpoints;

    @Mixin
    Names names = new Names();

    @Option(names = "--watch", description = "Refresh every 2 seconds until interrupted")
    boolean watch;

    @Option(names = "--json", description = "Print as JSON")
    boolean json;

    @Override
    public Integer call() throws Exception {
        do {
            Map<String, Object> s = snapshot();
            if (json) {
                System.out.println(new ObjectMapper().writeValueAsString(s));
            } else {
                if (watch && System.console() != null) {
                    System.out.print("\033[H\033[2J");
                }
                s.forEach((k, v) -> System.out.printf("%-28s %s%n", k, v));
            }
            if (watch) {
                Thread.sleep(2000);
            }
        } while (watch);
        return 0;
    }

    /** One plain status screen (for migrate and demo). */
    void printOnce(Endpoints endpoints, Names names) throws Exception {
        this.endpoints = endpoints;
        this.names = names;
        snapshot().forEach((k, v) -> System.out.printf("%-28s %s%n", k, v));
    }

    Map<String, Object> snapshot() throws Exception {
        Map<String, Object> s = new LinkedHashMap<>();
        SourceStreams streams = SourceStreams.read(endpoints, names);
        List<String> connectors = new ArrayList<>(streams.connectors());
        connectors.add(names.sinkConnector());
        try (Connection c = endpoints.source().open("tsmigrate-status")) {
            slot(c, s);
            for (SourceStreams.Stream stream : streams.streams().subList(1, streams.count())) {
                otherSlot(c, s, stream);
            }
        }
        if (!endpoints.isEmbedded() || endpoints.embedded(names).running()) {
            ConnectClient rest = Cluster.running(endpoints, names).connect();
            for (String c : connectors) {
                try {
                    var st = rest.status(c);
                    List<String> tasks = new ArrayList<>();
                    st.path("tasks").forEach(t -> tasks.add(t.path("id").asText() + ":" + t.path("state").asText()));
                    s.put("connector " + c, st.path("connector").path("state").asText() + " tasks " + tasks);
                } catch (io.tsmigrate.common.UserError e) {
                    s.put("connector " + c, "absent");
                }
            }
            // An absent connector is shown above already.
            List<String> problems = new TaskLiveness(rest).find(connectors.toArray(String[]::new)).stream()
                    .filter(p -> p.kind() != TaskLiveness.Problem.Kind.ABSENT_CONNECTOR).map(TaskLiveness.Problem::text).toList();
            for (int i = 0; i < problems.size(); i++) {
                s.put("WARNING task" + (i == 0 ? "" : " " + (i + 1)), problems.get(i));
            }
        }
        try (Connection t = endpoints.target().open("tsmigrate-status")) {
            SinkState.Totals totals = new SinkState(names.sinkConnector()).totals(t);
            if (totals != null) {
                long now = System.nanoTime();
                s.put("sink partitions", totals.partitions());
                s.put("sink records applied", totals.records());
                if (lastApplied >= 0 && now > lastSampled) {
                    s.put("sink records/s", Math.round((totals.records() - lastApplied) / ((now - lastSampled) / 1e9)));
                }
                lastApplied = totals.records();
                lastSampled = now;
                s.put("sink lag (ms)", totals.lagMs());
                s.put("sink last commit", totals.lastCommit());
                kafkaLag(t, s);
            } else {
                s.put("sink records applied", "0 (the sink has not opened a topic yet)");
            }
            RangeState.summary(t).forEach((table, v) -> s.put("verified " + table, v));
        }
        return s;
    }

    private long lastApplied = -1;
    private long lastSampled;
    private long lastRetained = -1;
    private long lastRetainedAt;

    /**
     * The slot's state as PostgreSQL reports it (the whole row as JSON, so columns newer servers add, such as
     * {@code wal_status}, {@code safe_wal_size} and {@code invalidation_reason}, are read where they exist): whether
     * it is lost, the WAL it retains, how fast that grows and when {@code max_slot_wal_keep_size} would be reached.
     */
    private void slot(Connection c, Map<String, Object> s) throws SQLException {
        com.fasterxml.jackson.databind.JsonNode row = SlotRow.read(c, names.slot());
        if (row == null) {
            s.put("slot", names.slot() + " (missing)");
            s.put("WARNING", "the replication slot " + names.slot() + " does not exist: changes since it was dropped are not streamed; "
                    + "the migration cannot go on from here (tsmigrate clean, then migrate again)");
            return;
        }
        String walStatus = row.path("wal_status").asText("");
        boolean lost = SlotRow.lost(row);
        s.put("slot", names.slot() + (lost ? " (LOST)" : row.path("active").asBoolean() ? " (active)" : " (inactive)")
                + (walStatus.isEmpty() ? "" : ", WAL " + walStatus));
        s.put("slot confirmed position", row.path("confirmed_flush_lsn").asText("none"));
        if (lost) {
            s.put("WARNING", "the replication slot " + names.slot() + " was invalidated" + (SlotRow.reason(row) != null
                    ? " (" + SlotRow.reason(row) + ")" : "") + ": the source removed WAL it still needed; the migration "
                    + "cannot go on from here (tsmigrate clean, raise max_slot_wal_keep_size, then migrate again)");
            return;
        }
        long retained = row.path("retained").asLong();
        s.put("slot lag (bytes)", row.path("lag").asLong());
        s.put("WAL retained (bytes)", retained);
        s.put("max_slot_wal_keep_size", row.path("keep").asText());
        long now = System.nanoTime();
        double rate = lastRetained >= 0 && now > lastRetainedAt ? (retained - lastRetained) / ((now - lastRetainedAt) / 1e9) : Double.NaN;
        lastRetained = retained;
        lastRetainedAt = now;
        if (!Double.isNaN(rate)) {
            s.put("WAL retained growth (bytes/s)", Math.round(rate));
        }
        if (row.path("safe_wal_size").isNumber()) {
            long safe = row.path("safe_wal_size").asLong();
            s.put("WAL until the slot is lost (bytes)", safe);
            if (rate > 0) {
                s.put("time until the slot is lost", Math.round(safe / rate) + " s at the current growth");
            }
            long limit = parseSize(row.path("keep").asText());
            if (limit > 0 && safe < limit / 5) {
                s.put("WARNING", "the slot holds more than 80% of max_slot_wal_keep_size: when it is reached the source invalidates the slot "
                        + "and the migration is lost; check that the connectors run and keep up, or raise max_slot_wal_keep_size");
            }
        }
    }

    /** Another source stream's slot, in one line: its state, confirmed position and lag; a warning when it is gone or lost. */
    private static void otherSlot(Connection c, Map<String, Object> s, SourceStreams.Stream stream) throws SQLException {
        com.fasterxml.jackson.databind.JsonNode row = SlotRow.read(c, stream.slot());
        String key = "slot of stream " + stream.number();
        if (row == null || SlotRow.lost(row)) {
            s.put(key, stream.slot() + (row == null ? " (missing)" : " (LOST)"));
            s.put("WARNING stream " + stream.number(), "the replication slot " + stream.slot() + (row == null ? " does not exist" : " was invalidated")
                    + ": changes of its tables since then are not streamed; the migration cannot go on from here (tsmigrate clean, then migrate again)");
            return;
        }
        s.put(key, stream.slot() + (row.path("active").asBoolean() ? " (active)" : " (inactive)") + ", confirmed "
                + row.path("confirmed_flush_lsn").asText("none") + ", lag " + row.path("lag").asLong() + " bytes");
    }

    /** Per change topic: records in Kafka the sink has not committed (needs --kafka, or the embedded broker). */
    private void kafkaLag(Connection target, Map<String, Object> s) {
        if (endpoints.isEmbedded() ? !endpoints.embedded(names).running() : endpoints.kafka == null) {
            return;
        }
        try (CatchUp kafka = CatchUp.of(endpoints, names)) {
            Map<org.apache.kafka.common.TopicPartition, Long> applied = kafka.applied(target);
            Map<String, Long> perTopic = new java.util.TreeMap<>();
            for (var e : kafka.endOffsets().entrySet()) {
                perTopic.merge(e.getKey().topic(), CatchUp.behind(applied, Map.of(e.getKey(), e.getValue())), Long::sum);
            }
            perTopic.forEach((topic, lag) -> s.put("Kafka lag " + topic, lag));
        } catch (Exception e) {
            s.put("Kafka lag", "unknown: " + e.getMessage());
        }
    }

    private static long parseSize(String s) {
        try {
            if (s.endsWith("TB")) {
                return Long.parseLong(s.substring(0, s.length() - 2)) << 40;
            }
            if (s.endsWith("kB")) {
                return Long.parseLong(s.substring(0, s.length() - 2)) << 10;
            }
            if (s.endsWith("GB")) {
                return Long.parseLong(s.substring(0, s.length() - 2)) << 30;
            }
            if (s.endsWith("MB")) {
                return Long.parseLong(s.substring(0, s.length() - 2)) << 20;
            }
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
