package io.tsmigrate.bootstrap;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tsmigrate.common.Ident;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * Copies a table that becomes a hypertable straight into its chunks: each piece is a run of whole chunk intervals,
 * and for every interval that holds rows the target chunk is made first (TimescaleDB's create_chunk, with the slice
 * TimescaleDB itself would choose) and the rows go into the chunk table. A {@code COPY} into the hypertable routes
 * every row to its chunk one by one, which costs about a sixth of the copy (docs/benchmarks.md, "A lead for the
 * copy"); the chunk's own check constraint still checks every row. Used only where the routing is exactly known: one
 * open dimension on a time or integer column, no custom partitioning function, no NULL time in the source; and only
 * where the source has an index on that column.
 */
final class ChunkPieces {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter LITERAL = DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss.SSSSSS");
    /** Bounds as literals stay inside years 1 to 9999, where PostgreSQL's and Java's calendars agree. */
    private static final long LOWEST = LocalDateTime.of(1, 1, 1, 0, 0).toEpochSecond(ZoneOffset.UTC) * 1_000_000L;
    private static final long HIGHEST = LocalDateTime.of(9999, 1, 1, 0, 0).toEpochSecond(ZoneOffset.UTC) * 1_000_000L;

    /**
     * The open dimension a piece's chunks are cut along, in TimescaleDB's internal units (microseconds since 1970 for
     * time types, the value itself for integers).
     *
     * @param column   the time column
     * @param type     its type (format_type)
     * @param interval the chunk interval
     * @param from     the first chunk's start (inclusive)
     * @param to       the last chunk's end (exclusive)
     */
    record Span(String column, String type, long interval, long from, long to) {
    }

    /** A chunk as TimescaleDB made it. */
    record Chunk(int id, int hypertableId, String schema, String table) {
        String qualified() {
            return Ident.qualified(schema, table);
        }
    }

    private ChunkPieces() {
    }

    /**
     * Pieces of whole chunk intervals for {@code t} when its target hypertable allows copying into chunks, else null.
     * Runs in the planning transaction (the snapshot's) on the source; asks the target for the hypertable's dimension.
     */
    static List<Piece> plan(Connection snapshot, Connection target, TableInfo t, int n) throws SQLException {
        String[] dim = dimension(target, t);
        // Each chunk's rows are found by a range on the column: without an index on it every chunk would scan the table.
        if (dim == null || !(dim[0].equals(t.sourceTime()) || t.indexedColumns().contains(dim[0]))) {
            return null;
        }
        String column = dim[0];
        String type = dim[1];
        long interval = Long.parseLong(dim[2]);
        String col = Ident.quote(column);
        boolean time = !isInteger(type);
        String internal = time ? "CASE WHEN isfinite(%1$s) THEN (extract(epoch FROM %1$s) * 1000000)::numeric END" : "%1$s::numeric";
        // Bounds as numeric: a value outside bigint is then seen here and not as an error in the snapshot's transaction.
        String sql = "SELECT " + String.format(internal, "lo") + ", " + String.format(internal, "hi") + ", EXISTS (SELECT 1 FROM " + t.sourceRelation()
                + " WHERE " + col + " IS NULL) FROM (SELECT min(" + col + ") lo, max(" + col + ") hi FROM " + t.sourceRelation() + ") m";
        java.math.BigDecimal lo;
        java.math.BigDecimal hi;
        try (PreparedStatement ps = snapshot.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            rs.next();
            lo = rs.getBigDecimal(1);
            hi = rs.getBigDecimal(2);
            if (lo == null || hi == null || rs.getBoolean(3)) {
                return null;
            }
        }
        long min;
        long max;
        long first;
        long last;
        try {
            min = lo.longValueExact();
            max = hi.longValueExact();
            first = Math.multiplyExact(Math.floorDiv(min, interval), interval);
            last = Math.addExact(Math.multiplyExact(Math.floorDiv(max, interval), interval), interval);
        } catch (ArithmeticException e) {
            return null;
        }
        if (time && (first < LOWEST || last > HIGHEST)) {
            return null;
        }
        long chunks = (last - first) / interval;
        int pieces = (int) Math.max(1, Math.min(n, chunks));
        List<Piece> out = new ArrayList<>();
        for (int k = 0; k < pieces; k++) {
            long from = first + chunks * k / pieces * interval;
            long to = first + chunks * (k + 1) / pieces * interval;
            Span span = new Span(column, type, interval, from, to);
            out.add(new Piece(t.id(), k, range(span, from, to), t.bytes() / pieces, null, null, null, null, span));
        }
        return out;
    }

    /**
     * Copies one piece inside the caller's target transaction: every chunk interval of the span that holds rows, found
     * by an index probe each, into a chunk made for it, whose keys and indexes are then built ({@link ChunkBuilds}).
     * Returns the rows copied.
     *
     * @param chunks the target connection chunks are made on, each committed at once ({@link #createChunk})
     * @param builds the keys and indexes each chunk gets here
     * @param filled told each chunk filled
     * @param order  the copy job's, which puts each chunk's rows in its key's order where {@link KeyOrder#plan} allows
     */
    static long copy(Connection src, Connection tgt, Connection chunks, Piece p, TableInfo t, boolean binary, List<ChunkBuilds.Build> builds,
            LongConsumer bytesMoved, Consumer<Chunk> filled, KeyOrder order) throws SQLException {
        Span s = p.span();
        String col = Ident.quote(s.column());
        KeyOrder.Layout layout = binary ? KeyOrder.plan(src, t, builds) : null;
        String cols = t.columnList();
        // FREEZE: the rows are written frozen and all-visible, so neither the index builds, ANALYZE nor the target's
        // later reads set hint bits on 2 GB of new pages, and no anti-wraparound vacuum has to freeze them later.
        // PostgreSQL allows it for a table truncated in the same transaction; the chunk holds no other rows (a chunk
        // interval belongs to one piece, and a piece's rows commit with its done-mark).
        String options = binary ? " WITH (FORMAT binary, FREEZE)" : " WITH (FREEZE)";
        String format = binary ? " WITH (FORMAT binary)" : "";
        String next = "SELECT " + (isInteger(s.type()) ? "min(" + col + ")" : "(extract(epoch FROM min(" + col + ")) * 1000000)::bigint") + " FROM "
                + t.sourceRelation() + " WHERE ";
        long rows = 0;
        long cursor = s.from();
        while (cursor < s.to()) {
            Long value;
            try (PreparedStatement ps = src.prepareStatement(next + range(s, cursor, s.to())); ResultSet rs = ps.executeQuery()) {
                rs.next();
                long v = rs.getLong(1);
                value = rs.wasNull() ? null : v;
            }
            if (value == null) {
                break;
            }
            long start = Math.floorDiv(value, s.interval()) * s.interval();
            long end = start + s.interval();
            Chunk chunk = createChunk(chunks, t, Map.of(s.column(), List.of(start, end)));
            try (Statement st = tgt.createStatement()) {
                st.execute("TRUNCATE " + chunk.qualified());
            }
            if (layout != null) {
                order.begin(layout);
            }
            rows += CopyRelay.stream(src, tgt, "COPY (SELECT " + cols + " FROM " + t.sourceRelation() + " WHERE " + range(s, start, end) + ") TO STDOUT" + format,
                    "COPY " + chunk.qualified() + " (" + cols + ") FROM STDIN" + options, bytesMoved, layout != null ? order : null);
            ChunkBuilds.build(tgt, builds, chunk);
            filled.accept(chunk);
            cursor = end;
        }
        return rows;
    }

    /**
     * The chunk of these dimension slices, made if it does not exist yet (TimescaleDB's create_chunk returns an existing
     * one). Made and committed at once on {@code chunks}, an autocommit connection: TimescaleDB holds
     * a ShareUpdateExclusiveLock on the hypertable from making a chunk to the end of the transaction, so a chunk made
     * in a piece's transaction would keep every other worker from making its next chunk until that piece is in. A
     * piece that fails leaves its chunks, which its rerun fills (they hold rows in the snapshot).
     */
    static Chunk createChunk(Connection chunks, TableInfo t, Object slices) throws SQLException {
        String json;
        try {
            json = slices instanceof String text ? text : JSON.writeValueAsString(slices);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        try (PreparedStatement ps = chunks.prepareStatement("SELECT chunk_id, hypertable_id, schema_name, table_name FROM _timescaledb_functions.create_chunk("
                + "?::regclass, ?::jsonb)")) {
            ps.setString(1, t.qualified());
            ps.setString(2, json);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new Chunk(rs.getInt(1), rs.getInt(2), rs.getString(3), rs.getString(4));
            }
        }
    }

    /** The predicate {@code from <= column < to} in the column's own type, so the source's index on it serves. */
    static String range(Span s, long from, long to) {
        String col = Ident.quote(s.column());
        return col + " >= " + bound(s, from) + " AND " + col + " < " + bound(s, to);
    }

    private static String bound(Span s, long internal) {
        if (isInteger(s.type())) {
            return internal + "::bigint";
        }
        LocalDateTime at = LocalDateTime.ofEpochSecond(Math.floorDiv(internal, 1_000_000L), (int) Math.floorMod(internal, 1_000_000L) * 1000, ZoneOffset.UTC);
        // A date column compares with a timestamp bound (PostgreSQL's cross-type btree operators keep its index usable):
        // a chunk interval need not be whole days.
        String cast = s.type().equals("timestamp with time zone") ? "timestamptz" : "timestamp";
        return Ident.literal(at.format(LITERAL) + (cast.equals("timestamptz") ? "+00" : "")) + "::" + cast;
    }

    private static boolean isInteger(String type) {
        return type.equals("smallint") || type.equals("integer") || type.equals("bigint");
    }

    /** The target hypertable's one open dimension when rows can be routed here: column, type, interval; else null. */
    private static String[] dimension(Connection target, TableInfo t) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("SELECT d.column_name, format_type(d.column_type, NULL), d.interval_length, d.partitioning_func, "
                + "(SELECT count(*) FROM _timescaledb_catalog.dimension x WHERE x.hypertable_id = h.id) FROM _timescaledb_catalog.hypertable h "
                + "JOIN _timescaledb_catalog.dimension d ON d.hypertable_id = h.id AND d.interval_length IS NOT NULL "
                + "WHERE h.schema_name = ? AND h.table_name = ?")) {
            ps.setString(1, t.schema());
            ps.setString(2, t.name());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next() || rs.getString(4) != null || rs.getLong(5) != 1 || rs.getLong(3) <= 0) {
                    return null;
                }
                String type = rs.getString(2);
                boolean known = isInteger(type) || type.equals("timestamp with time zone") || type.equals("timestamp without time zone") || type.equals("date");
                return known && t.columns().contains(rs.getString(1)) ? new String[] {rs.getString(1), type, rs.getString(3)} : null;
            }
        }
    }
}
