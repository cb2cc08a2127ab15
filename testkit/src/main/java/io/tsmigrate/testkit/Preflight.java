package io.tsmigrate.testkit;

import io.tsmigrate.common.Check;
import io.tsmigrate.common.SourceRules;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;

/** Checks that fail fast with one clear sentence instead of a hanging test; judged by the product's {@link SourceRules}. */
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
        Check logical = SourceRules.logicalDecoding(SourceRules.Flavour.POSTGRES, Map.of("wal_level", walLevel));
        if (logical.status() == Check.Status.FAIL) {
            throw new IllegalStateException("the source PostgreSQL " + source + " has " + logical.detail() + ": " + logical.fix());
        }
    }
}
