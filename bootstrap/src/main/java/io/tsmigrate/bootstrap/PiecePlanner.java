package io.tsmigrate.bootstrap;

import io.tsmigrate.common.Ident;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Splits tables into pieces so that one large table keeps every worker busy: hypertables into runs of their chunks
 * ({@link ChunkPieces}) or by ranges of their time column, or chunk by chunk where compressed chunks are copied
 * as they are, other tables by ranges of heap pages
 * ({@code ctid}, which PostgreSQL 14+ scans as TID ranges). Runs inside a transaction that imported the
 * snapshot, so the bounds are those of the copied data.
 */
final class PiecePlanner {

    /** Smallest piece worth its own transaction; tests lower it to get many pieces from little data. */
    private static final long MIN_PIECE_BYTES = Long.getLong("tsmigrate.bootstrap.min-piece-bytes", 64L << 20);

    private PiecePlanner() {
    }

    /**
     * @param target  the target, whose hypertables' dimensions decide which tables are copied straight into chunks
     * @param chunked hypertables copied chunk by chunk, compressed chunks as they are ({@link CompressedCopy})
     */
    static List<Piece> plan(Connection snapshot, Connection target, List<TableInfo> tables, Map<String, String> timeColumns, int jobs,
            java.util.Set<String> chunked) throws SQLException {
        long total = tables.stream().mapToLong(TableInfo::bytes).sum();
        long pieceBytes = Math.max(MIN_PIECE_BYTES, total / Math.max(1, jobs * 4L));
        List<Piece> pieces = new ArrayList<>();
        for (TableInfo t : tables) {
            if (chunked.contains(t.id())) {
                pieces.addAll(CompressedCopy.pieces(snapshot, t));
                continue;
            }
            int n = (int) Math.min(256, Math.max(1, (t.bytes() + pieceBytes - 1) / pieceBytes));
            String time = t.sourceTime() != null ? t.sourceTime() : timeColumns.get(t.id());
            boolean timeIndexed = time != null && (t.sourceTime() != null || t.indexedColumns().contains(time));
            // Chunk pieces go down to the smallest piece size: the biggest hypertable's indexes are built once its last
            // piece is in, so its pieces should end together rather than leave one worker finishing a long last piece.
            int fine = (int) Math.min(256, Math.max(n, t.bytes() / MIN_PIECE_BYTES));
            List<Piece> direct = timeColumns.containsKey(t.id()) ? ChunkPieces.plan(snapshot, target, t, fine) : null;
            if (direct != null) {
                pieces.addAll(direct);
            } else if (n == 1) {
                pieces.add(new Piece(t.id(), 0, "true", t.bytes()));
            } else if (timeIndexed) {
                pieces.addAll(byTime(snapshot, t, time, n));
            } else if (t.sourceTime() == null) {
                long pages = Math.max(1, t.heapPages());
                long per = (pages + n - 1) / n;
                for (int k = 0; k < n; k++) {
                    String lower = "ctid >= '(" + (k * per) + ",0)'::tid";
                    String where = k == n - 1 ? lower : lower + " AND ctid < '(" + ((k + 1) * per) + ",0)'::tid";
                    pieces.add(new Piece(t.id(), k, where, t.bytes() / n));
                }
            } else {
                pieces.add(new Piece(t.id(), 0, "true", t.bytes()));
            }
        }
        pieces.sort(Comparator.comparingLong(Piece::bytes).reversed());
        return pieces;
    }

    private static List<Piece> byTime(Connection c, TableInfo t, String time, int n) throws SQLException {
        String col = Ident.quote(time);
        List<String> bounds = new ArrayList<>();
        String sql = "SELECT (lo + (hi - lo) * k / " + n + ")::text FROM (SELECT min(" + col + ") lo, max(" + col + ") hi FROM " + t.sourceRelation()
                + ") m, generate_series(1, " + (n - 1) + ") k WHERE lo IS NOT NULL ORDER BY k";
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                bounds.add(rs.getString(1));
            }
        }
        if (bounds.isEmpty()) {
            return List.of(new Piece(t.id(), 0, "true", t.bytes()));
        }
        String type = "pg_typeof(" + col + ")";
        List<Piece> out = new ArrayList<>();
        for (int k = 0; k <= bounds.size(); k++) {
            String lower = k == 0 ? null : col + " >= " + Ident.literal(bounds.get(k - 1)) + "::" + typeName(c, t, time);
            String upper = k == bounds.size() ? null : col + " < " + Ident.literal(bounds.get(k)) + "::" + typeName(c, t, time);
            String where = lower == null ? upper : upper == null ? lower : lower + " AND " + upper;
            // Rows with a NULL time (a plain table may allow them) belong to the first piece.
            if (k == 0) {
                where = "(" + where + " OR " + col + " IS NULL)";
            }
            out.add(new Piece(t.id(), k, where, t.bytes() / (bounds.size() + 1)));
        }
        return out;
    }

    private static String typeName(Connection c, TableInfo t, String column) throws SQLException {
        try (var ps = c.prepareStatement("SELECT format_type(atttypid, NULL) FROM pg_attribute WHERE attrelid = ?::regclass AND attname = ?")) {
            ps.setString(1, t.qualified());
            ps.setString(2, column);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }
}
