package io.tsmigrate.sink.write;

import io.tsmigrate.sink.TimescaleSinkConfig;
import io.tsmigrate.sink.buffer.Buffered;
import io.tsmigrate.sink.buffer.Placeholders;
import io.tsmigrate.sink.buffer.TableBatch;
import io.tsmigrate.sink.read.ChangeEvent;
import io.tsmigrate.sink.read.Op;
import io.tsmigrate.sink.read.Row;
import io.tsmigrate.sink.read.TableId;
import io.tsmigrate.sink.sql.Column;
import io.tsmigrate.sink.sql.MetadataCache;
import io.tsmigrate.sink.sql.SchemaTypes;
import io.tsmigrate.sink.sql.Sql;
import io.tsmigrate.sink.sql.SqlBuilder;
import io.tsmigrate.sink.sql.TableMeta;
import io.tsmigrate.sink.sql.TargetShapeException;
import io.tsmigrate.sink.sql.ValueRenderer;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.data.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Applies buffered records to the target inside the caller's transaction: locks the partitions' offset
 * rows, drops what was applied already (redelivery, zombie task), groups the rest per table into
 * {@link TableBatch}es, evolves the target schema, writes, and records the new offsets. The caller commits
 * or rolls back. Not thread-safe: one per task.
 */
public final class Applier {

    private static final Logger LOG = LoggerFactory.getLogger(Applier.class);

    /**
     * What one apply did. {@code held}: records left for a later flush, in buffer order ({@link Holds}).
     */
    public record Result(int records, Map<TopicPartition, Position> positions, long lastLsn, long lastSourceTsMs, List<Buffered> held) {
    }

    private final TimescaleSinkConfig config;
    private final OffsetStore offsets;
    private final MetadataCache metadata;
    private final Holds holds;
    private final ValueRenderer renderer = new ValueRenderer();
    private final ChangeLedger ledger;
    /** Struct schemas (by identity) already checked against a table version: most rows skip the per-field check. */
    private final Map<Schema, TableMeta> checkedShapes = new IdentityHashMap<>();
    private boolean truncateSkipLogged;
    private boolean noOrderLogged;

    public Applier(TimescaleSinkConfig config, OffsetStore offsets, MetadataCache metadata, KeyMoves keyMoves, TruncateBarriers barriers) {
        this.config = config;
        this.offsets = offsets;
        this.metadata = metadata;
        this.holds = new Holds(keyMoves, barriers, Placeholders.of(config.placeholder()));
        this.ledger = new ChangeLedger(config.stateSchema());
    }

    public Result apply(Connection c, BatchWriter writer, List<Buffered> items) throws SQLException {
        return apply(c, writer, items, Set.of());
    }

    /** @param hold partitions to leave for a later flush entirely (a part of their records before these was held) */
    public Result apply(Connection c, BatchWriter writer, List<Buffered> items, Set<TopicPartition> hold) throws SQLException {
        Set<TopicPartition> partitions = new LinkedHashSet<>();
        items.forEach(b -> partitions.add(b.partition()));
        partitions.removeAll(hold);
        Map<TopicPartition, Position> stored = offsets.read(c, partitions, true);
        Taking taking = take(items, hold, stored);
        List<Holds.Taken> taken = taking.taken();
        int replays = taking.replays();
        Holds.Decision decision = holds.decide(c, taken);
        Map<TopicPartition, Integer> cut = decision.cut();
        Set<Integer> held = new java.util.HashSet<>();
        for (int i = 0; i < items.size(); i++) {
            Buffered b = items.get(i);
            Integer from = cut.get(b.partition());
            if (hold.contains(b.partition()) || (from != null && i >= from)) {
                held.add(i);
            }
        }
        Map<TopicPartition, Position> positions = new HashMap<>();
        int applied = 0;
        long lsn = -1;
        long ts = -1;
        Map<TableId, List<Holds.Taken>> perTable = new LinkedHashMap<>();
        for (Holds.Taken t : taken) {
            if (held.contains(t.index())) {
                continue;
            }
            positions.put(t.b().partition(), t.after());
            if (!t.apply() || decision.skip().contains(t.index())) {
                continue;
            }
            ChangeEvent e = t.b().event();
            if (e.txOrder() < 0 && e.changeLsn() >= 0 && !noOrderLogged) {
                noOrderLogged = true;
                LOG.warn("Changes of {} carry no transaction metadata: set provide.transaction.metadata=true on the Debezium connector (the "
                        + "shipped templates do), or changes that share one source position (COPY, multi-row INSERT) may be applied twice when "
                        + "Debezium sends them again after a restart", e.table());
            }
            applied++;
            lsn = Math.max(lsn, e.sourceLsn());
            ts = Math.max(ts, e.sourceTsMs());
            perTable.computeIfAbsent(e.table(), k -> new ArrayList<>()).add(t);
        }
        Map<TableId, List<TableBatch>> segments = new LinkedHashMap<>();
        for (List<Holds.Taken> changes : perTable.values()) {
            for (Holds.Taken t : inSourceOrder(changes)) {
                add(c, segments, t.b().event());
            }
        }
        List<TableBatch> written = new ArrayList<>();
        for (List<TableBatch> list : segments.values()) {
            for (TableBatch batch : list) {
                writer.write(batch);
                written.add(batch);
            }
        }
        ledger.record(c, written);
        if (replays > 0) {
            LOG.info("Skipped {} change(s) that Debezium sent again after a restart (their source position is already applied)", replays);
        }
        if (!positions.isEmpty()) {
            offsets.write(c, positions, ts);
        }
        List<Buffered> heldItems = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            if (held.contains(i)) {
                heldItems.add(items.get(i));
            }
        }
        if (LOG.isDebugEnabled()) {
            Map<TopicPartition, String> span = new LinkedHashMap<>();
            for (Buffered b : items) {
                span.merge(b.partition(), b.offset() + "-" + b.offset(), (x, y) -> x.substring(0, x.indexOf('-')) + "-" + b.offset());
            }
            LOG.debug("apply: items {} stored {} cut {} hold {} held {} positions {}", span, stored.entrySet().stream()
                    .map(x -> x.getKey() + "=" + x.getValue().offset()).toList(), cut, hold, heldItems.size(), positions.entrySet().stream()
                    .map(x -> x.getKey() + "=" + x.getValue().offset()).toList());
        }
        return new Result(applied, positions, lsn, ts, heldItems);
    }

    /**
     * What a flush takes of its records: per record of a partition not held, the position after it and whether its
     * change is applied; a record at or below the partition's stored offset (redelivered, or a zombie task's) is not
     * taken at all, a change whose source position is applied already (Debezium sends it again after a restart) is
     * taken but not applied.
     *
     * @param taken   the records taken, in the buffer's order
     * @param replays changes taken but not applied because their source position is applied
     */
    record Taking(List<Holds.Taken> taken, int replays) {
    }

    /** @param stored the partitions' positions in the target (missing: nothing applied) */
    static Taking take(List<Buffered> items, Set<TopicPartition> hold, Map<TopicPartition, Position> stored) {
        Map<TopicPartition, Position> positions = new HashMap<>();
        List<Holds.Taken> taken = new ArrayList<>();
        int replays = 0;
        for (int i = 0; i < items.size(); i++) {
            Buffered b = items.get(i);
            if (hold.contains(b.partition())) {
                continue;
            }
            Position done = positions.getOrDefault(b.partition(), stored.getOrDefault(b.partition(), Position.NONE));
            if (b.offset() <= done.offset()) {
                continue;
            }
            ChangeEvent e = b.event();
            Position.Step step = done.take(b.offset(), e);
            positions.put(b.partition(), step.next());
            if (e != null && step.next().groupIndex() == 1 && done.groupIndex() > 0 && step.next().commitLsn() == done.commitLsn()
                    && step.next().changeLsn() == done.changeLsn()) {
                LOG.info("{} offset {}: Debezium sends the changes at source LSN {} (transaction {}) again from the first (order {}; {} were "
                        + "seen, the last with order {}, {} applied)", b.partition(), b.offset(), e.changeLsn(), e.txId(), e.txOrder(),
                        done.groupIndex(), done.groupOrder(), done.groupApplied());
            }
            if (e != null && !step.apply()) {
                replays++;
            }
            taken.add(new Holds.Taken(i, b, step.next(), e != null && step.apply()));
        }
        return new Taking(taken, replays);
    }

    /**
     * A table's changes in the order the source made them. One partition's are in that order already; a topic with
     * several partitions spreads a table's rows over them by key, and a flush that holds several of its partitions
     * merges them by the change's LSN (two changes of one row are ordered by it: the later one's transaction waited
     * for the earlier one's commit), the DELETE half of a key change before its CREATE half (they share the LSN).
     * Changes without a position keep the buffer's order.
     */
    static List<Holds.Taken> inSourceOrder(List<Holds.Taken> changes) {
        TopicPartition first = changes.get(0).b().partition();
        boolean several = false;
        for (Holds.Taken t : changes) {
            if (t.b().event().changeLsn() < 0) {
                return changes;
            }
            several |= !t.b().partition().equals(first);
        }
        if (!several) {
            return changes;
        }
        List<Holds.Taken> sorted = new ArrayList<>(changes);
        sorted.sort(java.util.Comparator.<Holds.Taken>comparingLong(t -> t.b().event().changeLsn())
                .thenComparingInt(t -> t.b().event().createsForKeyChange() ? 1 : 0));
        return sorted;
    }

    private void add(Connection c, Map<TableId, List<TableBatch>> segments, ChangeEvent e) throws SQLException {
        List<TableBatch> list = segments.computeIfAbsent(e.table(), k -> new ArrayList<>());
        TableMeta meta = metadata.get(c, e.table());
        if (e.op() == Op.TRUNCATE) {
            if (!config.truncateEnabled()) {
                if (!truncateSkipLogged) {
                    LOG.info("Skipping TRUNCATE events (truncate.enabled=false), first at {}", e.position());
                    truncateSkipLogged = true;
                }
                return;
            }
            // Everything buffered before the truncate is gone with it.
            list.clear();
            list.add(new TableBatch(meta, meta.primaryKey(), renderer, config.placeholder(), true));
            return;
        }
        if (e.after() != null) {
            meta = evolve(c, meta, e.after());
        }
        // A table without a key on either side: Debezium sends no record key (a delete's key image is then its old row).
        boolean keyless = e.record().key() == null && meta.primaryKey().isEmpty();
        List<String> key = keyless ? List.of() : e.key() != null ? e.key().fields() : meta.primaryKey();
        TableBatch last = list.isEmpty() ? null : list.get(list.size() - 1);
        if (last == null || last.meta() != meta || !last.keyColumns().equals(key)) {
            last = new TableBatch(meta, key, renderer, config.placeholder(), false);
            list.add(last);
        }
        last.add(e);
    }

    /** Adds columns the events carry and the target lacks; refuses values a column's type cannot hold. */
    private TableMeta evolve(Connection c, TableMeta meta, Row row) throws SQLException {
        Schema shape = row instanceof Row.StructRow sr ? sr.struct().schema() : null;
        if (shape != null && checkedShapes.get(shape) == meta) {
            return meta;
        }
        Map<String, Integer> positions = meta.positions();
        List<String> missing = new ArrayList<>();
        for (String field : row.fields()) {
            Integer p = positions.get(field);
            if (p == null) {
                missing.add(field);
                continue;
            }
            Schema schema = row.schema(field);
            if (schema == null) {
                continue;
            }
            Column column = meta.columns().get(p);
            if (!SchemaTypes.compatible(column, schema)) {
                throw new TargetShapeException("table " + meta.id() + ", column " + field + ": the target column is " + column.sqlType()
                        + " but the events now carry " + SchemaTypes.describe(schema) + " values (the column's type changed on the source?); "
                        + "change the target column to a matching type (ALTER TABLE " + meta.id().quoted() + " ALTER COLUMN " + Sql.ident(field)
                        + " TYPE ...) and restart the task");
            }
        }
        for (Column col : meta.columns()) {
            if (col.required() && !col.generated() && !row.has(col.name())) {
                throw new TargetShapeException("table " + meta.id() + ", column " + col.name() + ": the events no longer carry this column "
                        + "(dropped or renamed on the source?) but the target column is NOT NULL without a default, so no row could be "
                        + "written; drop it on the target (ALTER TABLE " + meta.id().quoted() + " DROP COLUMN " + Sql.ident(col.name())
                        + ") or let it take NULL (ALTER TABLE " + meta.id().quoted() + " ALTER COLUMN " + Sql.ident(col.name())
                        + " DROP NOT NULL), then restart the task");
            }
        }
        if (missing.isEmpty()) {
            if (shape != null) {
                if (checkedShapes.size() > 1000) {
                    checkedShapes.clear();
                }
                checkedShapes.put(shape, meta);
            }
            return meta;
        }
        if (config.schemaEvolution() == TimescaleSinkConfig.SchemaEvolution.NONE || row.schema(missing.get(0)) == null) {
            throw new TargetShapeException("table " + meta.id() + " has no column " + String.join(", ", missing) + " that the events carry; add "
                    + "the column to the target table" + (row.schema(missing.get(0)) == null ? "" : " or set schema.evolution=add_columns"));
        }
        try (Statement st = c.createStatement()) {
            for (String field : missing) {
                String type = columnType(c, row.schema(field));
                String fill = defaultOf(c, field, type, row.schema(field));
                LOG.info("Adding column {} {}{} to {} (it appeared in the events)", field, type, fill == null ? "" : " DEFAULT " + fill, meta.id());
                st.execute(SqlBuilder.addColumn(meta.id(), field, type) + (fill == null ? "" : " DEFAULT " + Sql.literal(fill) + "::" + type));
            }
        }
        metadata.invalidate(meta.id());
        return metadata.get(c, meta.id());
    }

    /**
     * The source column's default as text, from the events' schema (Debezium carries a column's default there), or
     * null. A column added on the source with a default gives the rows already there that value without a row change
     * streaming for them, so the target column is added with it too.
     */
    private String defaultOf(Connection c, String field, String type, org.apache.kafka.connect.data.Schema schema) throws SQLException {
        if (schema.defaultValue() == null) {
            return null;
        }
        try (var ps = c.prepareStatement("SELECT coalesce(et.typname, t.typname), coalesce(et.typcategory, t.typcategory), t.typcategory = 'A' "
                + "FROM pg_type t LEFT JOIN pg_type et ON et.oid = t.typelem AND t.typcategory = 'A' WHERE t.oid = to_regtype(?)")) {
            ps.setString(1, type);
            try (var rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                return renderer.render(schema.defaultValue(), schema, new Column(field, type, rs.getString(1), rs.getString(2).charAt(0), rs.getBoolean(3),
                        false, false));
            }
        }
    }

    /**
     * The type of a column to add: the source column's own type where Debezium propagates it and the target knows
     * that type (an enum must exist on the target: the bootstrap copied it), else the type the values' schema maps to.
     */
    private static String columnType(Connection c, org.apache.kafka.connect.data.Schema schema) throws SQLException {
        String[] source = SchemaTypes.sourceType(schema);
        if (source != null) {
            try (var ps = c.prepareStatement("SELECT to_regtype(?)::text")) {
                ps.setString(1, source[0]);
                try (var rs = ps.executeQuery()) {
                    String name = rs.next() ? rs.getString(1) : null;
                    if (name != null) {
                        // The time types take their precision before "with time zone": keep the short names then.
                        return (source[1].startsWith("(") ? source[0] : name) + source[1];
                    }
                }
            }
            LOG.warn("The source type {} of a new column is not known on the target; adding it as {}", source[0], SchemaTypes.sqlType(schema));
        }
        return SchemaTypes.sqlType(schema);
    }
}
