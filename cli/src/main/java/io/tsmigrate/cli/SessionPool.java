package io.tsmigrate.cli;

import io.tsmigrate.common.Db;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * Sessions of one database kept open between uses: a verification of many tables opened several connections per table,
 * and each new one cost a connection set-up, an authentication and a backend's cold catalog caches (about 0.1 s a
 * small table, two minutes of cutover for 1,000 tables). {@link #open} hands out an idle session, or a new one; closing
 * it ends its transaction, sets autocommit and the default isolation again, and keeps it for the next. Thread-safe.
 */
final class SessionPool implements AutoCloseable {

    private final Db db;
    private final Deque<Connection> idle = new ConcurrentLinkedDeque<>();

    SessionPool(Db db) {
        this.db = db;
    }

    /** A session; closing it gives it back. */
    Connection open(String applicationName) throws SQLException {
        Connection c = idle.pollFirst();
        Connection real = c != null ? c : db.open(applicationName);
        return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class}, (proxy, method, args) -> {
            if (method.getName().equals("close") && method.getParameterCount() == 0) {
                giveBack(real);
                return null;
            }
            try {
                return method.invoke(real, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        });
    }

    private void giveBack(Connection c) {
        try {
            if (c.isClosed()) {
                return;
            }
            if (!c.getAutoCommit()) {
                c.rollback();
                c.setAutoCommit(true);
            }
            c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
            idle.addFirst(c);
        } catch (SQLException e) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // Broken already: nothing to give back.
            }
        }
    }

    /** Closes the idle sessions (those handed out are closed when given back after this, as the pool keeps them again: call at the end). */
    @Override
    public void close() {
        List<Connection> all = new ArrayList<>();
        for (Connection c; (c = idle.pollFirst()) != null; ) {
            all.add(c);
        }
        for (Connection c : all) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // Closing only.
            }
        }
    }

    @Override
    public String toString() {
        return db.toString();
    }
}
