package io.tsmigrate.sink;

import io.tsmigrate.sink.buffer.Pending;
import io.tsmigrate.sink.buffer.TableBatch;
import io.tsmigrate.sink.read.ChangeEvent;
import io.tsmigrate.sink.read.EventReader;
import io.tsmigrate.sink.read.TableId;
import io.tsmigrate.sink.read.TableRouter;
import io.tsmigrate.sink.sql.Column;
import io.tsmigrate.sink.sql.CopyText;
import io.tsmigrate.sink.sql.TableMeta;
import io.tsmigrate.sink.sql.ValueRenderer;

import io.tsmigrate.json.ExactJsonConverter;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.sink.SinkRecord;

import java.lang.management.ManagementFactory;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Bytes allocated and time spent per record by the sink's own work on W1's records (docs/benchmarks.md), stage by
 * stage, in one thread and without a database: the converter reading the key and value JSON, the reader making a
 * change event, the table batch rendering its cells, the COPY text encoding. What Kafka's consumer allocates (the
 * record bytes, the fetch) and what the database does are not in it. It lives in the sink's package to drive those
 * package-private stages directly.
 *
 * <pre>mvn -q -o -pl bench exec:java -Dexec.mainClass=io.tsmigrate.sink.AllocationBenchmark -Dexec.args="--records 2000000"</pre>
 */
public final class AllocationBenchmark {

    private static final String TOPIC = "src.public.w1";

    private AllocationBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = io.tsmigrate.bench.Args.parse(Map.of("--records", "2000000", "--batch", "10000"), args);
        int batch = Integer.parseInt(opts.get("--batch"));
        int batches = Math.max(2, Integer.parseInt(opts.get("--records")) / batch);
        W1 w1 = new W1(batch);
        ExactJsonConverter keys = new ExactJsonConverter();
        keys.configure(Map.of("schemas.enable", "true"), true);
        ExactJsonConverter values = new ExactJsonConverter();
        values.configure(Map.of("schemas.enable", "true"), false);
        EventReader reader = new EventReader(new TableRouter("${source.schema}.${source.table}"));
        ValueRenderer renderer = new ValueRenderer();
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        ExactJsonConverter keyWriter = new ExactJsonConverter();
        keyWriter.configure(Map.of("schemas.enable", "true"), true);
        ExactJsonConverter valueWriter = new ExactJsonConverter();
        valueWriter.configure(Map.of("schemas.enable", "true"), false);
        String[] stages = {"source side: write key+value JSON", "convert key+value", "read event", "batch add (render cells)", "COPY text encode"};
        long[] bytes = new long[stages.length];
        long[] nanos = new long[stages.length];
        long[] written = new long[1];
        int warmup = batches / 4;
        for (int b = 0; b < batches; b++) {
            long[] a = new long[stages.length + 1];
            long[] t = new long[stages.length + 1];
            a[0] = mx.getCurrentThreadAllocatedBytes();
            t[0] = System.nanoTime();
            long sent = 0;
            for (int i = 0; i < batch; i++) {
                sent += keyWriter.fromConnectData(TOPIC, w1.keySchema, w1.keyStructs[i]).length;
                sent += valueWriter.fromConnectData(TOPIC, w1.envelope, w1.valueStructs[i]).length;
            }
            if (sent != w1.bytes) {
                throw new IllegalStateException("the writer's JSON differs in length from JsonConverter's");
            }
            a[1] = mx.getCurrentThreadAllocatedBytes();
            t[1] = System.nanoTime();
            List<SinkRecord> records = new ArrayList<>(batch);
            for (int i = 0; i < batch; i++) {
                SchemaAndValue k = keys.toConnectData(TOPIC, w1.keys[i]);
                SchemaAndValue v = values.toConnectData(TOPIC, w1.values[i]);
                records.add(new SinkRecord(TOPIC, 0, k.schema(), k.value(), v.schema(), v.value(), (long) b * batch + i));
            }
            a[2] = mx.getCurrentThreadAllocatedBytes();
            t[2] = System.nanoTime();
            List<ChangeEvent> events = new ArrayList<>(batch);
            for (SinkRecord r : records) {
                events.add(reader.read(r));
            }
            a[3] = mx.getCurrentThreadAllocatedBytes();
            t[3] = System.nanoTime();
            TableBatch tb = new TableBatch(W1.META, W1.META.primaryKey(), renderer, "__debezium_unavailable_value", false);
            for (ChangeEvent e : events) {
                tb.add(e);
            }
            List<Pending> rows = new ArrayList<>(tb.rows());
            a[4] = mx.getCurrentThreadAllocatedBytes();
            t[4] = System.nanoTime();
            CopyText.writeRows(rows, List.of(0, 1, 2, 3, 4, 5, 6), null, (buf, off, len) -> written[0] += len);
            a[5] = mx.getCurrentThreadAllocatedBytes();
            t[5] = System.nanoTime();
            if (rows.size() != batch) {
                throw new IllegalStateException("expected " + batch + " rows, got " + rows.size());
            }
            if (b >= warmup) {
                for (int s = 0; s < stages.length; s++) {
                    bytes[s] += a[s + 1] - a[s];
                    nanos[s] += t[s + 1] - t[s];
                }
            }
        }
        long measured = (long) (batches - warmup) * batch;
        long totalBytes = 0;
        long totalNanos = 0;
        System.out.printf("W1 records: %,d measured after %,d warm-up; record JSON %d + %d bytes (value + key); COPY text %d bytes a row%n",
                measured, (long) warmup * batch, w1.values[0].length, w1.keys[0].length, written[0] / ((long) batches * batch));
        System.out.println("| stage | bytes allocated per record | ns per record |");
        System.out.println("|---|---|---|");
        for (int s = 0; s < stages.length; s++) {
            System.out.printf(Locale.ROOT, "| %s | %,d | %,d |%n", stages[s], bytes[s] / measured, nanos[s] / measured);
            totalBytes += bytes[s];
            totalNanos += nanos[s];
        }
        System.out.printf(Locale.ROOT, "| **total** | **%,d** | **%,d** |%n", totalBytes / measured, totalNanos / measured);
    }

    /** W1's row shape and Debezium 3.6's PostgreSQL envelope around it, written by Kafka's JsonConverter as Debezium writes it. */
    private static final class W1 {
        static final TableMeta META = new TableMeta(new TableId("public", "w1"), 1, List.of(
                new Column("ts", "timestamp with time zone", "timestamptz", 'D', false, true, false),
                new Column("device_id", "integer", "int4", 'N', false, true, false),
                new Column("v1", "double precision", "float8", 'N', false, false, false),
                new Column("v2", "double precision", "float8", 'N', false, false, false),
                new Column("v3", "double precision", "float8", 'N', false, false, false),
                new Column("v4", "double precision", "float8", 'N', false, false, false),
                new Column("tag", "text", "text", 'S', false, false, false)),
                List.of("device_id", "ts"), List.of(List.of("device_id", "ts")), "ts");

        final byte[][] keys;
        final byte[][] values;
        final Schema keySchema;
        final Schema envelope;
        final Struct[] keyStructs;
        final Struct[] valueStructs;
        final long bytes;

        W1(int n) {
            Schema ts = SchemaBuilder.string().name("io.debezium.time.ZonedTimestamp").version(1).build();
            Schema row = SchemaBuilder.struct().name(TOPIC + ".Value").optional().field("ts", ts).field("device_id", Schema.INT32_SCHEMA)
                    .field("v1", Schema.OPTIONAL_FLOAT64_SCHEMA).field("v2", Schema.OPTIONAL_FLOAT64_SCHEMA).field("v3", Schema.OPTIONAL_FLOAT64_SCHEMA)
                    .field("v4", Schema.OPTIONAL_FLOAT64_SCHEMA).field("tag", Schema.OPTIONAL_STRING_SCHEMA).build();
            Schema key = keySchema = SchemaBuilder.struct().name(TOPIC + ".Key").field("device_id", Schema.INT32_SCHEMA).field("ts", ts).build();
            Schema snapshot = SchemaBuilder.string().optional().name("io.debezium.data.Enum").version(1)
                    .parameter("allowed", "true,first,first_in_data_collection,last_in_data_collection,last,false,incremental").defaultValue("false").build();
            Schema source = SchemaBuilder.struct().name("io.debezium.connector.postgresql.Source").field("version", Schema.STRING_SCHEMA)
                    .field("connector", Schema.STRING_SCHEMA).field("name", Schema.STRING_SCHEMA).field("ts_ms", Schema.INT64_SCHEMA)
                    .field("snapshot", snapshot).field("db", Schema.STRING_SCHEMA).field("sequence", Schema.OPTIONAL_STRING_SCHEMA)
                    .field("ts_us", Schema.OPTIONAL_INT64_SCHEMA).field("ts_ns", Schema.OPTIONAL_INT64_SCHEMA).field("schema", Schema.STRING_SCHEMA)
                    .field("table", Schema.STRING_SCHEMA).field("txId", Schema.OPTIONAL_INT64_SCHEMA).field("lsn", Schema.OPTIONAL_INT64_SCHEMA)
                    .field("xmin", Schema.OPTIONAL_INT64_SCHEMA).build();
            Schema block = SchemaBuilder.struct().optional().name("event.block").version(1).field("id", Schema.STRING_SCHEMA)
                    .field("total_order", Schema.INT64_SCHEMA).field("data_collection_order", Schema.INT64_SCHEMA).build();
            envelope = SchemaBuilder.struct().name(TOPIC + ".Envelope").version(2).field("before", row).field("after", row)
                    .field("source", source).field("transaction", block).field("op", Schema.STRING_SCHEMA)
                    .field("ts_ms", Schema.OPTIONAL_INT64_SCHEMA).field("ts_us", Schema.OPTIONAL_INT64_SCHEMA).field("ts_ns", Schema.OPTIONAL_INT64_SCHEMA).build();
            JsonConverter json = new JsonConverter();
            json.configure(Map.of("schemas.enable", "true"), false);
            keys = new byte[n][];
            values = new byte[n][];
            keyStructs = new Struct[n];
            valueStructs = new Struct[n];
            long total = 0;
            java.util.Random random = new java.util.Random(1);
            Instant start = Instant.parse("2026-01-01T00:00:00Z");
            for (int i = 0; i < n; i++) {
                String when = start.plusSeconds(i / 100).toString();
                long lsn = 0x3000000L + 200L * i;
                Struct after = new Struct(row).put("ts", when).put("device_id", i % 100).put("v1", random.nextDouble() * 100)
                        .put("v2", random.nextDouble() * 1000).put("v3", random.nextDouble()).put("v4", i * 0.5).put("tag", "tag-" + (i % 37));
                Struct src = new Struct(source).put("version", "3.6.1.Final").put("connector", "postgresql").put("name", "src")
                        .put("ts_ms", 1_767_225_600_000L + i).put("snapshot", "false").put("db", "source")
                        .put("sequence", "[\"" + (lsn - 100) + "\",\"" + lsn + "\"]").put("ts_us", 1_767_225_600_000_000L + i * 1000L)
                        .put("ts_ns", 1_767_225_600_000_000_000L + i * 1_000_000L).put("schema", "public").put("table", "w1")
                        .put("txId", 1000L + i / 1000).put("lsn", lsn);
                Struct value = new Struct(envelope).put("after", after).put("source", src).put("op", "c")
                        .put("ts_ms", 1_767_225_600_100L + i).put("ts_us", 1_767_225_600_100_000L + i * 1000L).put("ts_ns", 1_767_225_600_100_000_000L + i * 1_000_000L);
                valueStructs[i] = value;
                keyStructs[i] = new Struct(key).put("device_id", i % 100).put("ts", when);
                values[i] = json.fromConnectData(TOPIC, envelope, value);
                keys[i] = json.fromConnectData(TOPIC, key, keyStructs[i]);
                total += values[i].length + keys[i].length;
            }
            bytes = total;
        }
    }
}
