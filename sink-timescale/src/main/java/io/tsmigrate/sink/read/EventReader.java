package io.tsmigrate.sink.read;

import io.tsmigrate.sink.write.Position;

import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.sink.SinkRecord;

import java.util.Map;

/**
 * Reads Kafka Connect records into {@link ChangeEvent}s: Debezium envelopes ({@code before}, {@code after},
 * {@code op}, {@code source}) and flat rows (treated as inserts-or-updates), with or without schemas.
 * Stateless and thread-safe.
 */
public final class EventReader {

    private final TableRouter router;

    public EventReader(TableRouter router) {
        this.router = router;
    }

    /**
     * @return the event, or null for a record the sink skips: a tombstone (null value, which Debezium
     *         sends after a delete for log compaction), a heartbeat, a transaction boundary (Debezium's transaction topic) or a logical decoding message
     * @throws DataException naming the record when it is neither an envelope nor a row
     */
    public ChangeEvent read(SinkRecord record) {
        Object value = record.value();
        if (value == null) {
            return null;
        }
        Schema schema = record.valueSchema();
        if (schema != null && schema.name() != null && (schema.name().endsWith(".Heartbeat")
                || schema.name().equals("io.debezium.connector.common.TransactionMetadataValue"))) {
            return null;
        }
        Row key = record.key() instanceof Struct || record.key() instanceof Map ? Row.of(record.key()) : null;
        if (!(value instanceof Struct) && !(value instanceof Map)) {
            throw new DataException("record at topic " + record.topic() + ", partition " + record.kafkaPartition() + ", offset "
                    + record.kafkaOffset() + " is neither a Debezium change event nor a row: its value is a "
                    + value.getClass().getSimpleName() + "; use a converter that produces structured values (JsonConverter, Avro)");
        }
        if (value instanceof Struct struct) {
            Envelope shape = envelope(struct.schema());
            if (shape != null) {
                return readEnvelope(record, struct, shape, key);
            }
        }
        Row envelope = Row.of(value);
        if (envelope.has("op") && "m".equals(String.valueOf(envelope.value("op")))) {
            // A logical decoding message (pg_logical_emit_message), such as tsmigrate's cutover marker: no row.
            return null;
        }
        if (!isEnvelope(envelope)) {
            return new ChangeEvent(record, router.route(record.topic(), null, null), Op.INSERT, key, envelope, null, -1, -1, -1, -1, -1, -1);
        }
        String opCode = String.valueOf(envelope.value("op"));
        Object sourceValue = envelope.value("source");
        Row source = sourceValue == null ? null : Row.of(sourceValue);
        String srcSchema = source == null ? null : str(source.value("schema"));
        String srcTable = source == null ? null : str(source.value("table"));
        TableId table = router.route(record.topic(), srcSchema, srcTable);
        long lsn = source == null ? -1 : num(source.value("lsn"));
        long tsMs = source == null ? -1 : num(source.value("ts_ms"));
        long[] sequence = Position.parseSequence(source == null || !source.has("sequence") ? null : str(source.value("sequence")));
        long txId = source == null || !source.has("txId") ? -1 : num(source.value("txId"));
        Object before = envelope.value("before");
        Object after = envelope.value("after");
        Object tx = envelope.value("transaction");
        long order = tx == null ? -1 : num(Row.of(tx).value("total_order"));
        return event(record, table, opCode, key, before == null ? null : Row.of(before), after == null ? null : Row.of(after), lsn, tsMs,
                sequence, txId, order);
    }

    private static ChangeEvent event(SinkRecord record, TableId table, String opCode, Row key, Row beforeRow, Row afterRow, long lsn, long tsMs,
                                     long[] sequence, long txId, long txOrder) {
        Op op = switch (opCode) {
            case "c", "r" -> Op.INSERT;
            case "u" -> Op.UPDATE;
            case "d" -> Op.DELETE;
            case "t" -> Op.TRUNCATE;
            case "m" -> null;
            default -> throw new DataException("unknown Debezium operation '" + opCode + "' at topic " + record.topic() + ", partition "
                    + record.kafkaPartition() + ", offset " + record.kafkaOffset());
        };
        if (op == null) {
            // A logical decoding message (pg_logical_emit_message), such as tsmigrate's cutover marker: no row.
            return null;
        }
        if ((op == Op.INSERT || op == Op.UPDATE) && afterRow == null) {
            throw new DataException("Debezium '" + opCode + "' event without an after image at topic " + record.topic() + ", partition "
                    + record.kafkaPartition() + ", offset " + record.kafkaOffset());
        }
        if (op == Op.DELETE && key == null) {
            key = beforeRow;
        }
        return new ChangeEvent(record, table, op, key, afterRow, beforeRow, lsn, tsMs, sequence[0], sequence[1], txId, txOrder);
    }

    /** A Debezium envelope schema's fields, looked up once per schema (a converter keeps one schema object per table version). */
    private record Envelope(Schema schema, Field op, Field before, Field after, Field source, Field srcSchema, Field srcTable, Field lsn,
                            Field tsMs, Field sequence, Field txId, Field transaction, Field totalOrder) {
    }

    private volatile Envelope lastEnvelope;

    /** The envelope's fields, or null when {@code schema} is not a Debezium envelope with a struct source. */
    private Envelope envelope(Schema schema) {
        Envelope e = lastEnvelope;
        if (e != null && e.schema() == schema) {
            return e;
        }
        Field op = schema.field("op");
        Field source = schema.field("source");
        Field before = schema.field("before");
        Field after = schema.field("after");
        if (op == null || source == null || (before == null && after == null) || source.schema().type() != Schema.Type.STRUCT) {
            return null;
        }
        Schema src = source.schema();
        Field transaction = schema.field("transaction");
        Field totalOrder = transaction == null || transaction.schema().type() != Schema.Type.STRUCT ? null : transaction.schema().field("total_order");
        e = new Envelope(schema, op, before, after, source, src.field("schema"), src.field("table"), src.field("lsn"), src.field("ts_ms"),
                src.field("sequence"), src.field("txId"), totalOrder == null ? null : transaction, totalOrder);
        lastEnvelope = e;
        return e;
    }

    private ChangeEvent readEnvelope(SinkRecord record, Struct value, Envelope shape, Row key) {
        String opCode = String.valueOf(value.get(shape.op()));
        Struct source = (Struct) value.get(shape.source());
        String srcSchema = source == null ? null : field(source, shape.srcSchema());
        String srcTable = source == null ? null : field(source, shape.srcTable());
        long lsn = source == null || shape.lsn() == null ? -1 : num(source.get(shape.lsn()));
        long tsMs = source == null || shape.tsMs() == null ? -1 : num(source.get(shape.tsMs()));
        long[] sequence = Position.parseSequence(source == null ? null : field(source, shape.sequence()));
        long txId = source == null || shape.txId() == null ? -1 : num(source.get(shape.txId()));
        Object before = shape.before() == null ? null : value.get(shape.before());
        Object after = shape.after() == null ? null : value.get(shape.after());
        Struct tx = shape.transaction() == null ? null : (Struct) value.get(shape.transaction());
        long order = tx == null ? -1 : num(tx.get(shape.totalOrder()));
        return event(record, router.route(record.topic(), srcSchema, srcTable), opCode, key, before == null ? null : Row.of(before),
                after == null ? null : Row.of(after), lsn, tsMs, sequence, txId, order);
    }

    private static String field(Struct struct, Field f) {
        return f == null ? null : str(struct.get(f));
    }

    private static boolean isEnvelope(Row row) {
        return row.has("op") && row.has("source") && (row.has("after") || row.has("before"));
    }

    private static String str(Object o) {
        return o == null ? null : o.toString();
    }

    private static long num(Object o) {
        return o instanceof Number n ? n.longValue() : -1;
    }
}
