package io.tsmigrate.bootstrap;

import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyOperation;
import org.postgresql.copy.CopyOut;
import org.postgresql.core.BaseConnection;
import org.postgresql.core.PGStream;
import org.postgresql.core.QueryExecutorBase;

import java.io.IOException;
import java.lang.reflect.Field;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.function.LongConsumer;

/**
 * Relays {@code COPY ... TO STDOUT} on the source into {@code COPY ... FROM STDIN} on the target, a buffer at a time,
 * never holding a table in memory.
 *
 * <p>The source sends a CopyData message per row. pgjdbc's {@code readFromCopy} hands each over as a new array, takes
 * its connection lock and walks its message loop for it: for a 2 GB copy, sixteen million times. While the next
 * message is CopyData, the relay reads it itself from the connection's {@link PGStream} (the stream pgjdbc reads
 * through, TLS included), header and payload straight into the relay buffer; any other message (the end of the copy,
 * an error, a notice) is left to pgjdbc, which reads it as it always does. pgjdbc keeps that stream in a protected
 * field; where a pgjdbc version does not, the relay falls back to {@code readFromCopy} for every row.
 *
 * <p>The target takes the stream in messages of up to {@link #RELAY} bytes (COPY data need not break at rows), so it
 * parses one message where it parsed a thousand.
 */
final class CopyRelay {

    /** Bytes of COPY data relayed to the target in one message. */
    static final int RELAY = 1 << 16;

    /** The protocol's CopyData message type. */
    private static final int COPY_DATA = 'd';

    /** Bytes moved between two progress reports. */
    private static final long REPORT = 8 << 20;

    private static final Field WIRE = wireField();

    private CopyRelay() {
    }

    /**
     * Streams the source's COPY into the target's; reports the bytes moved every 8 MiB and at the end; returns the rows
     * written. Both COPYs are cancelled when it fails; the caller rolls the target back.
     */
    static long stream(Connection src, Connection tgt, String out, String in, LongConsumer bytesMoved) throws SQLException {
        return stream(src, tgt, out, in, bytesMoved, null);
    }

    /**
     * {@link #stream(Connection, Connection, String, String, LongConsumer)} with the rows held and sent in key order by
     * {@code order} when it is {@link KeyOrder#holding} (the caller began it for this COPY's layout); null: relayed as
     * they come.
     */
    static long stream(Connection src, Connection tgt, String out, String in, LongConsumer bytesMoved, KeyOrder order) throws SQLException {
        PGStream wire = wire(src);
        CopyOut reader = src.unwrap(PGConnection.class).getCopyAPI().copyOut(out);
        CopyIn writer;
        try {
            writer = tgt.unwrap(PGConnection.class).getCopyAPI().copyIn(in);
        } catch (SQLException e) {
            reader.cancelCopy();
            throw e;
        }
        Relay relay = new Relay(writer, bytesMoved, order);
        Exception failed = null;
        try {
            byte[] row;
            do {
                if (wire != null) {
                    relay.direct(wire);
                }
                row = reader.readFromCopy();
                if (row != null) {
                    relay.add(row);
                }
            } while (row != null);
            relay.release();
            relay.flush();
            long rows = writer.endCopy();
            relay.report();
            return rows;
        } catch (SQLException | RuntimeException e) {
            failed = e;
            throw e;
        } catch (IOException e) {
            SQLException read = new SQLException("reading the source's COPY failed: " + e.getMessage(), "08006", e);
            failed = read;
            throw read;
        } finally {
            cancel(writer, failed);
            cancel(reader, failed);
        }
    }

    /** Cancels a COPY still running; when the relay already failed, a failure to cancel is added to that one. */
    private static void cancel(CopyOperation copy, Exception failed) throws SQLException {
        if (!copy.isActive()) {
            return;
        }
        try {
            copy.cancelCopy();
        } catch (SQLException e) {
            if (failed == null) {
                throw e;
            }
            failed.addSuppressed(e);
        }
    }

    /** Whether this pgjdbc lets the relay read CopyData itself (a test keeps a pgjdbc upgrade from losing it unseen). */
    static boolean readsDirectly(Connection c) throws SQLException {
        return wire(c) != null;
    }

    private static PGStream wire(Connection c) throws SQLException {
        if (WIRE == null) {
            return null;
        }
        Object executor = c.unwrap(BaseConnection.class).getQueryExecutor();
        try {
            return executor instanceof QueryExecutorBase ? (PGStream) WIRE.get(executor) : null;
        } catch (IllegalAccessException | ClassCastException e) {
            return null;
        }
    }

    private static Field wireField() {
        try {
            Field f = QueryExecutorBase.class.getDeclaredField("pgStream");
            f.setAccessible(true);
            return f.getType() == PGStream.class ? f : null;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    /** The relay buffer and the byte count of one stream. */
    private static final class Relay {
        private final byte[] buf = new byte[RELAY];
        private final CopyIn writer;
        private final LongConsumer bytesMoved;
        /** Holds the rows to send them in key order; null, or no longer holding, when rows go on as they come. */
        private final KeyOrder order;
        private int held;
        private long unreported;

        Relay(CopyIn writer, LongConsumer bytesMoved, KeyOrder order) {
            this.writer = writer;
            this.bytesMoved = bytesMoved;
            this.order = order;
        }

        /** Reads CopyData messages off the wire while the next message is one; leaves any other to pgjdbc. */
        void direct(PGStream wire) throws IOException, SQLException {
            while (wire.peekChar() == COPY_DATA) {
                wire.receiveChar();
                int len = wire.receiveInteger4() - 4;
                counted(len);
                if (order != null && order.holding()) {
                    if (order.takes(len)) {
                        order.hold(wire, len);
                        continue;
                    }
                    release();
                }
                if (held + len > buf.length) {
                    flush();
                }
                // a row larger than the buffer (a big TOASTed value) goes on in buffer-sized messages
                while (len > buf.length) {
                    wire.receive(buf, 0, buf.length);
                    writer.writeToCopy(buf, 0, buf.length);
                    len -= buf.length;
                }
                wire.receive(buf, held, len);
                held += len;
            }
        }

        /** A row pgjdbc read (after a message the relay left to it). */
        void add(byte[] row) throws SQLException {
            counted(row.length);
            if (order != null && order.holding()) {
                if (order.takes(row.length)) {
                    order.hold(row);
                    return;
                }
                release();
            }
            put(row, 0, row.length);
        }

        /** Sends what the key order holds (in key order when it could order it); nothing when it holds nothing. */
        void release() throws SQLException {
            if (order != null) {
                order.release(this::put);
            }
        }

        /** Bytes into the relay buffer; a run of a quarter of it or more goes on as a message of its own. */
        private void put(byte[] b, int off, int len) throws SQLException {
            boolean own = len >= buf.length / 4;
            if (own || held + len > buf.length) {
                flush();
            }
            if (own) {
                writer.writeToCopy(b, off, len);
                return;
            }
            System.arraycopy(b, off, buf, held, len);
            held += len;
        }

        void flush() throws SQLException {
            if (held > 0) {
                writer.writeToCopy(buf, 0, held);
                held = 0;
            }
        }

        void report() {
            bytesMoved.accept(unreported);
            unreported = 0;
        }

        private void counted(int len) {
            unreported += len;
            if (unreported > REPORT) {
                report();
            }
        }
    }
}
