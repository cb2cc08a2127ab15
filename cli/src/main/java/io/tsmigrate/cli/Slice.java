package io.tsmigrate.cli;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Ranges compared together: all keys in {@code [from, to]}, or only {@code keys} (sorted, scattered: changed
 * ranges). An unranged table's one range is {@code [0, 0]}. Made by {@link #all} (a full pass) and {@link #stale}
 * (changed ranges, or ranges to try again).
 */
record Slice(long from, long to, long[] keys) {

    /** Rows per slice of a full pass: a source digest, then the wait for the stream, then the target's; the shorter, the fewer ranges move meanwhile. */
    static final long ROWS = 200_000;
    /** Changed ranges per slice: one statement each side (an index range scan per range, or one scan). */
    static final int SPARSE_KEYS = 2000;

    static Slice of(long from, long to) {
        return new Slice(from, to, null);
    }

    boolean contains(long key) {
        return key >= from && key <= to && (keys == null || java.util.Arrays.binarySearch(keys, key) >= 0);
    }

    /** Slices of about {@link #ROWS} rows over the range keys either side has. */
    static List<Slice> all(Connection s, Connection t, Ranges r) throws SQLException {
        List<Slice> out = new ArrayList<>();
        if (!r.ranged()) {
            out.add(Slice.of(0, 0));
            return out;
        }
        String sql = r.extentSql();
        long lo = Long.MAX_VALUE;
        long hi = Long.MIN_VALUE;
        for (Connection c : List.of(s, t)) {
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
                rs.next();
                if (rs.getObject(1) != null) {
                    lo = Math.min(lo, rs.getLong(1));
                    hi = Math.max(hi, rs.getLong(2));
                }
            }
        }
        if (r.nullable()) {
            // The NULL range first, on its own: its key lies far below every other.
            out.add(Slice.of(Ranges.NULL_KEY, Ranges.NULL_KEY));
        }
        if (lo > hi) {
            return out;
        }
        double rows = Ranges.estimatedRows(s, r.qualified());
        double perKey = rows <= 0 ? 1 : rows / (hi - lo + 1.0);
        // Without an index on the column each slice is a scan of the whole table: ten times fewer, larger slices.
        long sliceRows = r.indexed() ? ROWS : ROWS * 10L;
        long keys = Math.max(1, (long) (sliceRows / Math.max(perKey, 1e-9)));
        for (long k = lo; k <= hi; k += keys) {
            out.add(Slice.of(k, Math.min(hi, k + keys - 1)));
        }
        return out;
    }

    /** Ranges (stale, or to try again) as slices of up to {@link #SPARSE_KEYS} scattered keys. */
    static List<Slice> stale(Ranges r, List<String> stale) {
        List<Slice> out = new ArrayList<>();
        if (!r.ranged()) {
            if (!stale.isEmpty()) {
                out.add(Slice.of(0, 0));
            }
            return out;
        }
        long[] keys = stale.stream().filter(k -> k.matches("-?[0-9]+")).mapToLong(Long::parseLong).sorted().distinct().toArray();
        for (int i = 0; i < keys.length; i += SPARSE_KEYS) {
            long[] part = java.util.Arrays.copyOfRange(keys, i, Math.min(keys.length, i + SPARSE_KEYS));
            out.add(new Slice(part[0], part[part.length - 1], part));
        }
        return out;
    }
}
