package io.tsmigrate.testkit;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/** Checks that fail fast with one clear sentence instead of a hanging test. */
public final class Preflight {

    private Preflight() {
    }

    /**
     * Fails unless the source runs with {@code wal_level=logical}, which Debezium and the bootstrap's
     * replication slot need.
     *
     * @throws IllegalStateException naming the server, the current setting and the fix
     */
    public static void requireLogicalSource(PgEndpoint source) {
        String walLevel;
        try (Connection c = Services.open(source); Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SHOW wal_level")) {
            rs.next();
            walLevel = rs.getString(1);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot connect to the source PostgreSQL " + source + ": " + e.getMessage(), e);
        }
        if (!"logical".equals(walLevel)) {
            throw new IllegalStateException("the source PostgreSQL " + source + " has wal_level=" + walLevel
                    + ", but logical replication needs wal_level=logical: run ALTER SYSTEM SET wal_level = logical and restart it");
        }
    }
}
