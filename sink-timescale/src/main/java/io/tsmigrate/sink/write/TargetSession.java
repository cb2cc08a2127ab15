package io.tsmigrate.sink.write;

import io.tsmigrate.sink.Redact;
import io.tsmigrate.sink.RetryPolicy;
import io.tsmigrate.sink.TimescaleSinkConfig;
import io.tsmigrate.sink.sql.MetadataCache;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.errors.ConnectException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Collection;
import java.util.Map;
import java.util.Properties;

/**
 * The sink task's connection to the target and the {@link BatchWriter} on it: opened on first use with the sink's
 * own state tables created and the session's replication role set, committed and rolled back together with the
 * writer's per-transaction state, closed after a failure so the next use opens a fresh one. Used by one thread at a
 * time (the task hands it to its writer thread and waits).
 */
public final class TargetSession {

    private static final Logger LOG = LoggerFactory.getLogger(TargetSession.class);

    private final TimescaleSinkConfig config;
    private final String connectorName;
    private final OffsetStore offsetStore;
    private final KeyMoves keyMoves;
    private final TruncateBarriers barriers;
    private final MetadataCache metadata;
    private Connection connection;
    private BatchWriter writer;
    private boolean replicationRoleWarned;

    public TargetSession(TimescaleSinkConfig config, String connectorName, OffsetStore offsetStore, KeyMoves keyMoves, TruncateBarriers barriers,
            MetadataCache metadata) {
        this.config = config;
        this.connectorName = connectorName;
        this.offsetStore = offsetStore;
        this.keyMoves = keyMoves;
        this.barriers = barriers;
        this.metadata = metadata;
    }

    /** The open connection (after {@link #ensure}). */
    public Connection connection() {
        return connection;
    }

    /** The writer on the open connection (after {@link #ensure}). */
    public BatchWriter writer() {
        return writer;
    }

    /**
     * The offsets stored in the target for {@code partitions} (rows made for new ones), read in a transaction of its
     * own; a transient error closes the connection and is tried again as {@code retry} says.
     */
    public Map<TopicPartition, Position> storedOffsets(Collection<TopicPartition> partitions, RetryPolicy retry) {
        for (int attempt = 1; ; attempt++) {
            try {
                ensure();
                Map<TopicPartition, Position> stored = offsetStore.open(connection, partitions);
                connection.commit();
                return stored;
            } catch (SQLException e) {
                close();
                if (!retry.again(e, attempt)) {
                    throw new ConnectException("cannot read the stored offsets from the target: " + e.getMessage(), e);
                }
                LOG.warn("Reading stored offsets failed (attempt {}), retrying: {}", attempt, e.getMessage());
                try {
                    Thread.sleep(retry.backoff(attempt));
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw new ConnectException("interrupted", interrupted);
                }
            }
        }
    }

    /** Opens the connection unless one is open. */
    public void ensure() throws SQLException {
        if (connection != null && !connection.isClosed()) {
            return;
        }
        Properties props = new Properties();
        if (config.user() != null) {
            props.setProperty("user", config.user());
        }
        if (config.password() != null) {
            props.setProperty("password", config.password().value());
        }
        props.setProperty("ApplicationName", "tsmigrate-sink " + connectorName);
        props.setProperty("tcpKeepAlive", "true");
        Connection c = new org.postgresql.Driver().connect(config.url(), props);
        if (c == null) {
            throw new ConnectException("connection.url is not a PostgreSQL JDBC URL: " + Redact.url(config.url()));
        }
        c.setAutoCommit(false);
        // The target database's own settings must not cancel a large batch (statement, lock and idle timeouts), and a
        // row-level security policy must make a write fail rather than hide rows from it (as pg_dump and pg_restore set).
        // Money values arrive as plain numbers (1234.56): a target database set to a European lc_monetary would read the
        // dot as a thousands separator, so the session reads them in C.
        try (Statement st = c.createStatement()) {
            st.execute("SET statement_timeout = 0; SET lock_timeout = 0; SET idle_in_transaction_session_timeout = 0; SET row_security = off; "
                    + "SET lc_monetary = 'C'; SET standard_conforming_strings = on");
            c.commit();
        }
        setReplicationRole(c);
        offsetStore.createIfMissing(c);
        keyMoves.createIfMissing(c);
        barriers.createIfMissing(c);
        c.commit();
        connection = c;
        writer = new BatchWriter(c, keyMoves, config.copyFormat() == TimescaleSinkConfig.CopyFormat.AUTO);
        metadata.invalidateAll();
    }

    /** Commits the transaction and ends the writer's. */
    public void commit() throws SQLException {
        connection.commit();
        writer.endTransaction();
    }

    /** Rolls the transaction back (closing the connection if that fails); cached table shapes are read again. */
    public void rollback() {
        metadata.invalidateAll();
        if (writer != null) {
            writer.endTransaction();
        }
        try {
            if (connection != null && !connection.isClosed()) {
                connection.rollback();
            }
        } catch (SQLException e) {
            close();
        }
    }

    public void close() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                LOG.debug("Closing the connection failed", e);
            }
        }
        connection = null;
        writer = null;
    }

    private void setReplicationRole(Connection c) throws SQLException {
        if (config.replicationRole() == TimescaleSinkConfig.ReplicationRole.ORIGIN) {
            return;
        }
        try (Statement st = c.createStatement()) {
            st.execute("SET session_replication_role = replica");
            c.commit();
        } catch (SQLException e) {
            c.rollback();
            if (config.replicationRole() == TimescaleSinkConfig.ReplicationRole.REPLICA) {
                throw new ConnectException("session.replication.role=replica, but the target role may not set session_replication_role ("
                        + e.getMessage() + "); grant it (superuser, or on PostgreSQL 15+: GRANT SET ON PARAMETER session_replication_role) "
                        + "or use session.replication.role=auto", e);
            }
            if (!replicationRoleWarned) {
                LOG.warn("The target role may not set session_replication_role=replica: foreign keys and triggers on the target fire, and "
                        + "because tables are applied per topic, not in source transaction order, a foreign key may be violated transiently. "
                        + "Drop or defer foreign keys on the target during the migration, or grant SET ON PARAMETER session_replication_role.");
                replicationRoleWarned = true;
            }
        }
    }
}
