package io.tsmigrate.bootstrap;

import io.tsmigrate.common.Ident;

import io.tsmigrate.common.Db;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import java.util.stream.Collectors;

/**
 * Copies the compressed chunks of a TimescaleDB source as they are, instead of decompressing them on the source and
 * compressing them again on the target: the target chunk is created with the source chunk's exact dimension slices
 * (TimescaleDB's create_chunk), its uncompressed rows (a partially compressed chunk has some) are copied into it, the
 * compressed rows are copied byte for byte into a new table of the source compressed chunk's columns, and TimescaleDB's
 * create_compressed_chunk attaches that table as the chunk's compressed chunk (the mechanism TimescaleDB's own tests
 * use to import compressed data; it builds the compressed chunk's indexes and marks a chunk with rows partial). The
 * hypertable's other chunks are copied chunk by chunk in the same way, uncompressed, so the target's chunks are the
 * source's. Used per hypertable when it is exact: the same TimescaleDB version on both sides (the compressed format
 * and the compressed chunk's columns belong to it), the Community edition on the target, no foreign key on the
 * hypertable (TimescaleDB refuses to add one once compressed data exists, and foreign keys come after the copy), and
 * the source role may read the compressed chunks; a compressed chunk whose own compression settings differ from the
 * hypertable's is copied decompressed. Not thread-safe; one call per worker connection pair.
 */
final class CompressedCopy {

    private CompressedCopy() {
    }

    /** The source hypertables whose chunks are copied this way; says why for each that has compressed chunks and is not. */
    static Set<String> hypertables(Connection src, Connection tgt, List<TableInfo> tables, Consumer<String> say) throws SQLException {
        Set<String> out = new LinkedHashSet<>();
        String srcVersion = Db.one(src, "SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'");
        if (srcVersion == null) {
            return out;
        }
        String tgtVersion = Db.one(tgt, "SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'");
        String license = tgtVersion == null ? null : Db.one(tgt, "SELECT current_setting('timescaledb.license', true)");
        for (TableInfo t : tables) {
            if (t.sourceTime() == null) {
                continue;
            }
            int compressed = Integer.parseInt(Db.one(src, "SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_schema = "
                    + Ident.literal(t.schema()) + " AND hypertable_name = " + Ident.literal(t.name()) + " AND is_compressed"));
            if (compressed == 0) {
                continue;
            }
            String why = !srcVersion.equals(tgtVersion) ? "TimescaleDB " + srcVersion + " on the source, " + tgtVersion + " on the target"
                    : !"timescale".equals(license) ? "the target's TimescaleDB is the " + license + " edition"
                    : !"0".equals(Db.one(src, "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND conrelid = "
                            + Ident.literal(t.qualified()) + "::regclass")) ? "it has a foreign key, which TimescaleDB adds only before compression"
                    : !"0".equals(Db.one(src, "SELECT count(*) FROM _timescaledb_catalog.chunk c JOIN _timescaledb_catalog.chunk z ON "
                            + "z.id = c.compressed_chunk_id JOIN _timescaledb_catalog.hypertable h ON h.id = c.hypertable_id WHERE h.schema_name = "
                            + Ident.literal(t.schema()) + " AND h.table_name = " + Ident.literal(t.name()) + " AND NOT has_table_privilege("
                            + "format('%I.%I', z.schema_name, z.table_name), 'SELECT')")) ? "the source role may not read its compressed chunks"
                    : null;
            if (why == null) {
                out.add(t.id());
                say.accept("Hypertable " + t.id() + ": " + compressed + " compressed chunks are copied compressed, as they are");
            } else {
                say.accept("Hypertable " + t.id() + ": " + compressed + " compressed chunks are copied decompressed and compressed again on the "
                        + "target (" + why + ")");
            }
        }
        return out;
    }

    /** One piece per chunk of the hypertable in the snapshot, compressed ones with what attaching them needs. */
    static List<Piece> pieces(Connection snapshot, TableInfo t) throws SQLException {
        List<Piece> out = new ArrayList<>();
        String sql = "SELECT format('%I.%I', c.schema_name, c.table_name), (SELECT jsonb_object_agg(d.column_name, jsonb_build_array(s.range_start, "
                + "s.range_end))::text FROM _timescaledb_catalog.chunk_constraint cc JOIN _timescaledb_catalog.dimension_slice s ON s.id = "
                + "cc.dimension_slice_id JOIN _timescaledb_catalog.dimension d ON d.id = s.dimension_id WHERE cc.chunk_id = c.id), "
                // A compressed chunk whose own settings are the hypertable's: its columns are what the target's settings make.
                + "CASE WHEN z.id IS NOT NULL AND cs.segmentby IS NOT DISTINCT FROM hs.segmentby AND cs.orderby IS NOT DISTINCT FROM hs.orderby "
                + "AND cs.orderby_desc IS NOT DISTINCT FROM hs.orderby_desc AND cs.orderby_nullsfirst IS NOT DISTINCT FROM hs.orderby_nullsfirst "
                + "THEN format('%I.%I', z.schema_name, z.table_name) END, concat_ws(',', sz.uncompressed_heap_size, sz.uncompressed_toast_size, "
                + "sz.uncompressed_index_size, sz.compressed_heap_size, sz.compressed_toast_size, sz.compressed_index_size, "
                + "sz.numrows_pre_compression, sz.numrows_post_compression), pg_total_relation_size(format('%I.%I', c.schema_name, c.table_name)) "
                + "+ CASE WHEN z.id IS NULL THEN 0 ELSE pg_total_relation_size(format('%I.%I', z.schema_name, z.table_name)) END "
                + "FROM _timescaledb_catalog.chunk c JOIN _timescaledb_catalog.hypertable h ON h.id = c.hypertable_id "
                + "LEFT JOIN _timescaledb_catalog.chunk z ON z.id = c.compressed_chunk_id "
                + "LEFT JOIN _timescaledb_catalog.compression_settings hs ON hs.relid = format('%I.%I', h.schema_name, h.table_name)::regclass "
                + "LEFT JOIN _timescaledb_catalog.compression_settings cs ON cs.relid = format('%I.%I', c.schema_name, c.table_name)::regclass "
                + "LEFT JOIN _timescaledb_catalog.compression_chunk_size sz ON sz.chunk_id = c.id "
                + "WHERE h.schema_name = ? AND h.table_name = ? AND NOT c.dropped ORDER BY c.id";
        try (PreparedStatement ps = snapshot.prepareStatement(sql)) {
            ps.setString(1, t.schema());
            ps.setString(2, t.name());
            try (ResultSet rs = ps.executeQuery()) {
                int no = 0;
                while (rs.next()) {
                    String compressed = rs.getString(3);
                    out.add(new Piece(t.id(), no++, "true", rs.getLong(5), rs.getString(1), rs.getString(2), compressed,
                            compressed == null ? null : rs.getString(4), null));
                }
            }
        }
        return out;
    }

    /**
     * Copies one chunk piece inside the caller's target transaction (the caller commits it with the piece's done-mark);
     * returns the rows copied. A chunk the source dropped since the snapshot (retention) has nothing to copy: cutover
     * drops what the source dropped.
     */
    static long copy(Connection src, Connection tgt, Connection chunks, Piece p, TableInfo t, boolean binary, LongConsumer bytesMoved)
            throws SQLException {
        if (Db.one(src, "SELECT to_regclass(" + Ident.literal(p.chunk()) + ")") == null) {
            return 0;
        }
        String chunk = ChunkPieces.createChunk(chunks, t, p.slices()).qualified();
        String cols = t.columnList();
        String format = binary ? " WITH (FORMAT binary)" : "";
        // The chunk's own heap: every row of an uncompressed chunk, the not yet compressed rows of a partial one. A chunk
        // copied decompressed is read whole (TimescaleDB decompresses on the way). Into the chunk itself: the rows are
        // its by the source's slices, so TimescaleDB need not route them one by one.
        String only = p.compressed() != null ? "ONLY " : "";
        long rows = CopyRelay.stream(src, tgt, "COPY (SELECT " + cols + " FROM " + only + p.chunk() + ") TO STDOUT" + format,
                "COPY " + chunk + " (" + cols + ") FROM STDIN" + format, bytesMoved);
        if (p.compressed() == null) {
            return rows;
        }
        List<String[]> columns = new ArrayList<>();
        try (PreparedStatement ps = src.prepareStatement("SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = "
                + "?::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum")) {
            ps.setString(1, p.compressed());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    columns.add(new String[] {rs.getString(1), rs.getString(2)});
                }
            }
        }
        String table = Ident.qualified("_timescaledb_internal", "tsm_" + p.compressed().replaceAll("^.*\\.\"?|\"$", ""));
        try (Statement st = tgt.createStatement()) {
            st.execute("CREATE TABLE " + table + " (" + columns.stream().map(c -> Ident.quote(c[0]) + " " + c[1]).collect(Collectors.joining(", ")) + ")");
        }
        String names = columns.stream().map(c -> Ident.quote(c[0])).collect(Collectors.joining(", "));
        CopyRelay.stream(src, tgt, "COPY (SELECT " + names + " FROM " + p.compressed() + ") TO STDOUT" + format, "COPY " + table + " (" + names + ") FROM STDIN" + format,
                bytesMoved);
        String[] sizes = p.sizes().split(",", -1);
        StringBuilder call = new StringBuilder("SELECT _timescaledb_functions.create_compressed_chunk(" + Ident.literal(chunk) + "::regclass, "
                + Ident.literal(table) + "::regclass");
        for (int i = 0; i < 8; i++) {
            call.append(", ").append(i < sizes.length && sizes[i].matches("-?[0-9]+") ? sizes[i] : "0").append("::bigint");
        }
        try (Statement st = tgt.createStatement()) {
            st.execute(call.append(")").toString());
        }
        return rows + (sizes.length > 6 && sizes[6].matches("[0-9]+") ? Long.parseLong(sizes[6]) : 0);
    }
}
