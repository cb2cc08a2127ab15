package io.tsmigrate.bench;

import io.tsmigrate.testkit.PgEndpoint;
import io.tsmigrate.testkit.TestDatabases;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The sink benchmark's contenders as connector settings: ours as the shipped template has it, the Debezium JDBC sink
 * in the configuration its documentation recommends for throughput (docs/benchmarks.md states both in full).
 */
final class Contenders {

    private Contenders() {
    }

    /**
     * Ours as connectors/sink-timescale.json ships it, read from that file. -Dbench.fast-converter=false reads with
     * Kafka's JsonConverter instead; -Dbench.batch-size, -Dbench.copy-format, -Dbench.max-poll-records, -Dbench.fetch=P,M
     * (max.partition.fetch.bytes and fetch.max.bytes, which the template leaves at Kafka's defaults) and
     * -Dbench.consumer=k=v;k=v (any consumer setting) try other settings.
     */
    static Map<String, String> ours(PgEndpoint target, String topic) {
        Map<String, String> c = new LinkedHashMap<>(TestDatabases.shippedSettings("sink-timescale"));
        if ("false".equals(System.getProperty("bench.fast-converter"))) {
            c.remove("key.converter");
            c.remove("value.converter");
            c.remove("value.converter.replace.null.with.default");
            c.remove("header.converter");
        }
        c.put("tasks.max", "1");
        c.put("topics", topic);
        c.put("connection.url", target.jdbcUrl());
        Optional.ofNullable(System.getProperty("bench.batch-size")).ifPresent(v -> c.put("batch.size", v));
        Optional.ofNullable(System.getProperty("bench.copy-format")).ifPresent(v -> c.put("copy.format", v));
        Optional.ofNullable(System.getProperty("bench.max-poll-records")).ifPresent(v -> c.put("consumer.override.max.poll.records", v));
        Args.putSettings("bench.consumer", "consumer.override.", c);
        String fetch = System.getProperty("bench.fetch");
        if (fetch != null) {
            c.put("consumer.override.max.partition.fetch.bytes", fetch.split(",")[0]);
            c.put("consumer.override.fetch.max.bytes", fetch.split(",")[1]);
        }
        return c;
    }

    static Map<String, String> peer(PgEndpoint target, String topic, String table) {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("connector.class", "io.debezium.connector.jdbc.JdbcSinkConnector");
        c.put("topics", topic);
        c.put("connection.url", target.jdbcUrl().replace("?user=", "?reWriteBatchedInserts=true&user="));
        c.put("connection.username", target.user());
        c.put("connection.password", target.password());
        c.put("insert.mode", "upsert");
        c.put("primary.key.mode", "record_key");
        c.put("delete.enabled", "true");
        c.put("use.reduction.buffer", "true");
        c.put("batch.size", "5000");
        c.put("schema.evolution", "none");
        c.put("collection.name.format", table);
        c.put("consumer.override.max.poll.records", "5000");
        c.put("consumer.override.auto.offset.reset", "earliest");
        return c;
    }
}
