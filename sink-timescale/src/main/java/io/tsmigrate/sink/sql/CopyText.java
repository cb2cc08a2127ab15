package io.tsmigrate.sink.sql;

import io.tsmigrate.sink.buffer.Pending;
import io.tsmigrate.sink.buffer.TableBatch;

import java.sql.SQLException;
import java.util.List;

/**
 * PostgreSQL COPY text format: one line per row, tab-separated, {@code \\N} for NULL, encoded as UTF-8 straight into
 * one reused buffer that goes to the COPY in chunks (no String or byte array per chunk or cell).
 */
public final class CopyText {

    private static final int CHUNK_BYTES = 1 << 16;

    /** Receives the encoded text a chunk at a time (a COPY's {@code writeToCopy}). */
    public interface Out {
        void write(byte[] bytes, int offset, int length) throws SQLException;
    }

    private final Bytes buf = new Bytes(CHUNK_BYTES + 4096, "row");

    private CopyText() {
    }

    /**
     * Writes rows as COPY lines of the given columns; a kept cell ({@link TableBatch#KEEP}) is written as NULL.
     *
     * @param stagedKey for the staging table: positions of the key columns, whose old-key cells follow each row after
     *                  the row's kind and its kept positions, then the key move it takes from and the one it is stashed
     *                  under; null for a direct COPY into the table
     */
    public static void writeRows(List<Pending> rows, List<Integer> columns, int[] stagedKey, Out out) throws SQLException {
        CopyText text = new CopyText();
        int[] cols = columns.stream().mapToInt(Integer::intValue).toArray();
        for (Pending r : rows) {
            StringBuilder keep = null;
            for (int i = 0; i < cols.length; i++) {
                if (i > 0) {
                    text.put('\t');
                }
                int p = cols[i];
                String cell = r.cells[p];
                if (cell == TableBatch.KEEP) {
                    if (stagedKey != null) {
                        keep = keep == null ? new StringBuilder("{") : keep.append(',');
                        keep.append(p);
                    }
                    cell = null;
                }
                text.cell(cell);
            }
            if (stagedKey != null) {
                text.put('\t');
                text.put(r.stash != null ? 's' : r.guarded ? 'g' : r.delete ? 'd' : 'u');
                text.put('\t');
                text.cell(keep == null ? null : keep.append('}').toString());
                for (int p : stagedKey) {
                    text.put('\t');
                    text.cell(r.fromKey == null ? null : r.fromKey[p]);
                }
                text.put('\t');
                text.cell(r.take);
                text.put('\t');
                text.cell(r.stash);
            }
            text.put('\n');
            if (text.buf.length >= CHUNK_BYTES) {
                out.write(text.buf.bytes, 0, text.buf.length);
                text.buf.length = 0;
            }
        }
        if (text.buf.length > 0) {
            out.write(text.buf.bytes, 0, text.buf.length);
        }
    }

    /** Appends one cell, escaped, as UTF-8. */
    private void cell(String value) {
        if (value == null) {
            put('\\');
            put('N');
            return;
        }
        // Room for the worst case: 3 bytes per char (an escape is 2, a surrogate pair 4 for 2).
        buf.ensure(value.length() * 3L);
        buf.length = utf8(value, buf.bytes, buf.length, true);
    }

    /**
     * Writes a string's UTF-8 into {@code b} at {@code at} (room for 3 bytes a char needed), with COPY text's escapes when
     * asked; an unpaired surrogate becomes '?', as String.getBytes makes it. Returns the position after it.
     */
    static int utf8(String value, byte[] b, int at, boolean copyEscapes) {
        int n = value.length();
        for (int i = 0; i < n; i++) {
            char c = value.charAt(i);
            if (c < 0x80) {
                if (copyEscapes && (c == '\\' || c == '\t' || c == '\n' || c == '\r')) {
                    b[at++] = '\\';
                    b[at++] = (byte) (c == '\\' ? '\\' : c == '\t' ? 't' : c == '\n' ? 'n' : 'r');
                } else {
                    b[at++] = (byte) c;
                }
            } else if (c < 0x800) {
                b[at++] = (byte) (0xC0 | (c >> 6));
                b[at++] = (byte) (0x80 | (c & 0x3F));
            } else if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(value.charAt(i + 1))) {
                    int cp = Character.toCodePoint(c, value.charAt(++i));
                    b[at++] = (byte) (0xF0 | (cp >> 18));
                    b[at++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
                    b[at++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
                    b[at++] = (byte) (0x80 | (cp & 0x3F));
                } else {
                    b[at++] = '?';
                }
            } else {
                b[at++] = (byte) (0xE0 | (c >> 12));
                b[at++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                b[at++] = (byte) (0x80 | (c & 0x3F));
            }
        }
        return at;
    }

    private void put(char ascii) {
        buf.put((byte) ascii);
    }
}
