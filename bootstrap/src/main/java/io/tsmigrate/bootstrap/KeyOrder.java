package io.tsmigrate.bootstrap;

import org.postgresql.core.PGStream;

import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A chunk's rows put into its primary key's order on their way to the target, so that the chunk's key is built from
 * rows already in order: the key build's sort then only confirms the order (PostgreSQL's quicksort checks for sorted
 * input first). For a key like {@code (device_id, ts)} over rows read in time order, the build of a 864,000-row chunk's
 * key took about 530 ms from the rows as read and 235 ms from rows in key order (docs/benchmarks.md).
 *
 * <p>Such rows are in key order once grouped by the key's leading columns: within each group they already come in the
 * order of the key's last column. So the rows are held in groups, one per value of the leading columns, and sent group
 * after group in the leading columns' order; nothing is sorted (a sort in the command, tried first, cost it more than
 * the target saved). The source sends one binary COPY row per CopyData message, and a row's key fields are found by
 * the lengths that come before each field (the key's columns lead most tables: a few reads a row). Only keys of two or
 * more fixed-width integer and time columns in ascending default order qualify ({@link #plan}); their binary forms are
 * big-endian two's complement, ordered as PostgreSQL's btree orders them.
 *
 * <p>The order only helps the target: it receives the same rows either way. Holding ends when a row would break the
 * order (its last key column lower than its group's last), when there would be more than {@link #GROUPS} groups, when
 * a row is not laid out as planned, or when the held rows would pass the budget ({@link #budget}): what is held is
 * sent then, that row after it, and the relay sends the rest as it comes.
 *
 * <p>One instance per copy job (its blocks are kept from chunk to chunk); not thread-safe.
 */
final class KeyOrder {

    /** Bytes of rows one job holds for a chunk at most. */
    static final long MOST = 256L << 20;
    /** Groups (values of the key's leading columns) held at most. */
    static final int GROUPS = 1024;
    /** A group's rows are held in blocks of this size, each sent as one CopyData message. */
    static final int BLOCK = 32 << 10;
    /** The longest row held: longer ones end the holding. */
    private static final int LONGEST_ROW = 1 << 20;

    private static final byte[] SIGNATURE = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xff, '\r', '\n', 0};
    /** A binary COPY's end: a field count of -1. */
    private static final byte[] TRAILER = {-1, -1};
    /** Binary widths of the key types that qualify, by type OID: int2, int4, int8, date, timestamp, timestamptz. */
    private static final Map<Integer, Integer> WIDTHS = Map.of(21, 2, 23, 4, 20, 8, 1082, 4, 1114, 8, 1184, 8);

    /**
     * Where a row's key is.
     *
     * @param fields the copied columns' count
     * @param key    each key column's place among the copied columns, in key order
     * @param widths each key column's binary width, in key order
     */
    record Layout(int fields, int[] key, int[] widths) {
    }

    /** Rows of one value of the key's leading columns, in blocks. */
    private static final class Group {
        final long lead;
        final List<byte[]> blocks = new ArrayList<>();
        byte[] current;
        long last = Long.MIN_VALUE;
        int fill = BLOCK;

        Group(long lead) {
            this.lead = lead;
        }
    }

    private final long budget;
    private final ArrayDeque<byte[]> spare = new ArrayDeque<>();
    private int[] key;
    private int[] widths;
    private int fields;
    /** Where each field up to the key's last starts in the row being filed. */
    private int[] starts = new int[0];
    private boolean holding;
    /** The row that broke the order (null while it holds): sent after the groups, and nothing is held after it. */
    private byte[] tail;
    private byte[] header = new byte[0];
    private boolean trailer;
    private boolean first;
    private long held;
    private byte[] row = new byte[1 << 16];
    private final List<Group> groups = new ArrayList<>();
    /** {@link #groups} by the leading columns' value, open addressing (null: empty). */
    private final Group[] slots = new Group[GROUPS * 4];

    /** Holds at most {@code budget} bytes of a chunk's rows. */
    KeyOrder(long budget) {
        this.budget = budget;
    }

    /**
     * What each of {@code jobs} copy jobs may hold: 256 MiB, or less so that all of them together hold at most a quarter
     * of the heap.
     */
    static long budget(int jobs) {
        return Math.min(MOST, Runtime.getRuntime().maxMemory() / 4 / Math.max(1, jobs));
    }

    /**
     * The layout that puts {@code t}'s rows in its primary key's order, or null when that does not apply: the chunks'
     * key is not built in the copy, the key has fewer than two columns (a one-column key's order is the order rows come
     * in, or needs a real sort), a key column is not a fixed-width integer or time column in ascending default order or
     * is not copied, or the leading columns are wider than 8 bytes together. Asks the source's catalog (the target's
     * table is made from it).
     */
    static Layout plan(Connection src, TableInfo t, List<ChunkBuilds.Build> builds) throws SQLException {
        boolean built = builds.stream().anyMatch(b -> b.key() && b.definition().startsWith("PRIMARY KEY"));
        if (!built || t.primaryKey().size() < 2) {
            return null;
        }
        List<String> key = new ArrayList<>();
        List<Integer> widths = new ArrayList<>();
        try (PreparedStatement ps = src.prepareStatement("SELECT a.attname, a.atttypid::int, oc.opcdefault AND k.opt = 0 "
                + "FROM pg_catalog.pg_index i CROSS JOIN LATERAL unnest(i.indkey::int2[], i.indclass::oid[], i.indoption::int2[]) "
                + "WITH ORDINALITY AS k(attnum, opclass, opt, n) JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
                + "JOIN pg_catalog.pg_opclass oc ON oc.oid = k.opclass WHERE i.indrelid = ?::regclass AND i.indisprimary AND k.n <= i.indnkeyatts "
                + "ORDER BY k.n")) {
            ps.setString(1, t.qualified());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Integer width = WIDTHS.get(rs.getInt(2));
                    if (width == null || !rs.getBoolean(3)) {
                        return null;
                    }
                    key.add(rs.getString(1));
                    widths.add(width);
                }
            }
        }
        int lead = widths.stream().limit(Math.max(0, widths.size() - 1)).mapToInt(Integer::intValue).sum();
        if (!key.equals(t.primaryKey()) || !t.columns().containsAll(key) || lead > 8) {
            return null;
        }
        return new Layout(t.columns().size(), key.stream().mapToInt(t.columns()::indexOf).toArray(), widths.stream().mapToInt(Integer::intValue).toArray());
    }

    /** Starts holding one COPY's rows laid out as {@code layout}. */
    void begin(Layout layout) {
        key = layout.key();
        widths = layout.widths();
        fields = layout.fields();
        int last = Arrays.stream(key).max().orElse(0);
        if (starts.length != last + 1) {
            starts = new int[last + 1];
        }
        holding = true;
        tail = null;
        header = new byte[0];
        trailer = false;
        first = true;
        held = 0;
        recycle();
    }

    /** Whether rows are being held: from {@link #begin} to {@link #release}. */
    boolean holding() {
        return holding;
    }

    /**
     * Whether the next message, of {@code len} bytes, is to be held: rows are being held, the order still holds, and the
     * message fits the budget. When not, the caller {@link #release}s what is held and relays the rest itself.
     */
    boolean takes(int len) {
        return holding && tail == null && len <= LONGEST_ROW && held + len + BLOCK <= budget;
    }

    /** Holds the next CopyData message's payload of {@code len} bytes, read off the wire; after {@link #takes}. */
    void hold(PGStream wire, int len) throws IOException {
        if (len > row.length) {
            row = new byte[Math.max(len, row.length * 2)];
        }
        wire.receive(row, 0, len);
        took(row, len);
    }

    /** {@link #hold(PGStream, int)} for a message pgjdbc read; after {@link #takes}. */
    void hold(byte[] message) {
        took(message, message.length);
    }

    /** Where released bytes go. */
    interface Out {
        void write(byte[] b, int off, int len) throws SQLException;
    }

    /**
     * Sends what is held to {@code out} and ends the holding: the header, the groups in the order of the key's leading
     * columns, the row that broke the order, the trailer. Nothing when nothing is held.
     */
    void release(Out out) throws SQLException {
        if (!holding) {
            return;
        }
        holding = false;
        out.write(header, 0, header.length);
        List<Group> ordered = new ArrayList<>(groups);
        ordered.sort((a, b) -> Long.compareUnsigned(a.lead, b.lead));
        for (Group g : ordered) {
            for (int i = 0; i < g.blocks.size(); i++) {
                out.write(g.blocks.get(i), 0, i == g.blocks.size() - 1 ? g.fill : BLOCK);
            }
        }
        if (tail != null) {
            out.write(tail, 0, tail.length);
        }
        if (trailer) {
            out.write(TRAILER, 0, TRAILER.length);
        }
        recycle();
    }

    /** The message in {@code m}: the binary header (with the first row, as PostgreSQL sends it), a row, or the trailer. */
    private void took(byte[] m, int len) {
        int at = 0;
        if (first) {
            first = false;
            if (len >= SIGNATURE.length + 8 && Arrays.equals(m, 0, SIGNATURE.length, SIGNATURE, 0, SIGNATURE.length)) {
                int end = SIGNATURE.length + 8 + int4(m, SIGNATURE.length + 4);
                if (end < SIGNATURE.length + 8 || end > len) {
                    breaks(m, 0, len);
                    return;
                }
                header = Arrays.copyOf(m, end);
                at = end;
                if (at == len) {
                    return;
                }
            }
        }
        if (len - at == 2 && int2(m, at) == -1 && !trailer) {
            trailer = true;
            return;
        }
        if (trailer || !group(m, at, len)) {
            breaks(m, at, len);
        }
    }

    private static int int2(byte[] m, int p) {
        return (short) ((m[p] << 8) | (m[p + 1] & 0xff));
    }

    private static int int4(byte[] m, int p) {
        return (m[p] << 24) | ((m[p + 1] & 0xff) << 16) | ((m[p + 2] & 0xff) << 8) | (m[p + 3] & 0xff);
    }

    /** Files the row at {@code at} under its group; false when it is not laid out as planned or breaks the order. */
    private boolean group(byte[] m, int at, int end) {
        if (end - at < 2 || int2(m, at) != fields) {
            return false;
        }
        int p = at + 2;
        for (int f = 0; f < starts.length; f++) {
            if (p + 4 > end) {
                return false;
            }
            starts[f] = p;
            int len = int4(m, p);
            if (len > end - p - 4) {
                return false;
            }
            p += 4 + Math.max(0, len);
        }
        long lead = 0;
        long last = 0;
        for (int c = 0; c < widths.length; c++) {
            int w = widths[c];
            int q = starts[key[c]];
            if (q + 4 + w > end || int4(m, q) != w) {
                return false;
            }
            q += 4;
            long v = w == 8 ? ((long) int4(m, q) << 32) | (int4(m, q + 4) & 0xffffffffL) : w == 4 ? int4(m, q) : int2(m, q);
            if (c < widths.length - 1) {
                // the sign bit flipped in the column's own width: unsigned order of the packed value is the key's order
                long bits = 8L * w;
                long unsigned = (v ^ (1L << (bits - 1))) & (bits == 64 ? -1L : (1L << bits) - 1);
                lead = bits == 64 ? unsigned : (lead << bits) | unsigned;
            } else {
                last = v;
            }
        }
        Group g = find(lead);
        if (g == null || last < g.last) {
            return false;
        }
        g.last = last;
        append(g, m, at, end - at);
        return true;
    }

    /** The group of this leading value, made when new; null when there are {@link #GROUPS} already. */
    private Group find(long lead) {
        int mask = slots.length - 1;
        int s = (int) ((lead * 0x9E3779B97F4A7C15L) >>> 40) & mask;
        for (Group g = slots[s]; g != null; g = slots[s]) {
            if (g.lead == lead) {
                return g;
            }
            s = (s + 1) & mask;
        }
        if (groups.size() == GROUPS) {
            return null;
        }
        Group g = new Group(lead);
        groups.add(g);
        slots[s] = g;
        return g;
    }

    private void append(Group g, byte[] m, int off, int len) {
        held += len;
        while (len > 0) {
            if (g.fill == BLOCK) {
                byte[] b = spare.poll();
                g.current = b != null ? b : new byte[BLOCK];
                g.blocks.add(g.current);
                g.fill = 0;
            }
            int n = Math.min(len, BLOCK - g.fill);
            System.arraycopy(m, off, g.current, g.fill, n);
            g.fill += n;
            off += n;
            len -= n;
        }
    }

    /** Keeps the message that broke the order to send after the groups, and stops holding further rows. */
    private void breaks(byte[] m, int off, int len) {
        tail = Arrays.copyOfRange(m, off, off + len);
    }

    /** Returns the groups' blocks for the next chunk. */
    private void recycle() {
        for (Group g : groups) {
            spare.addAll(g.blocks);
        }
        groups.clear();
        Arrays.fill(slots, null);
    }
}
