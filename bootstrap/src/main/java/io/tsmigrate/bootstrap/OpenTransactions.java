package io.tsmigrate.bootstrap;

import io.tsmigrate.common.Db;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The source's transactions a new logical replication slot waits for. PostgreSQL makes a slot only once every
 * transaction that had written (holds a transaction id) when the slot was asked for has ended, on every database
 * of the server, prepared transactions included; until then the bootstrap waits. A session left idle in
 * transaction, or a forgotten prepared transaction, would make it wait for ever without a word: this says who.
 */
final class OpenTransactions {

    /** First said after this long (a slot is usually made within a tenth of a second), then again every {@link #EVERY}. */
    static final Duration FIRST = Duration.ofSeconds(5);
    static final Duration EVERY = Duration.ofSeconds(30);

    private final Db source;
    private final Instant asked;
    private final Consumer<String> say;
    private Instant next;

    /** Reports for a slot asked for at {@code asked}, through {@code say}. */
    OpenTransactions(Db source, Instant asked, Consumer<String> say) {
        this.source = source;
        this.asked = asked;
        this.say = say;
        this.next = asked.plus(FIRST);
    }

    /** Says what the slot waits for when it is time to (call it while waiting); never fails the bootstrap. */
    void reportIfDue() {
        Instant now = Instant.now();
        if (now.isBefore(next)) {
            return;
        }
        boolean first = next.equals(asked.plus(FIRST));
        next = now.plus(EVERY);
        List<String> open;
        try (Connection c = source.open("tsmigrate-bootstrap-waits")) {
            open = before(c, Duration.between(asked, now));
        } catch (SQLException e) {
            open = List.of("(cannot list them: " + e.getMessage() + ")");
        }
        say.accept("Waiting " + Duration.between(asked, now).toSeconds() + " s for the replication slot" + (first ? ": PostgreSQL makes it once every "
                + "transaction that was writing when it was asked for has ended, on any database of the source server. " : ". ")
                + (open.isEmpty() ? "None is open any more; it comes shortly." : "Still open: " + String.join("; ", open)
                + ". The copy starts once they have ended (commit, roll back, or pg_terminate_backend(pid)); nothing is copied until then."));
    }

    /** Something that makes slots over JDBC (and so waits as the keeper does). */
    interface SlotWork {
        void run() throws SQLException;
    }

    /** Runs {@code work} on a thread of its own, saying meanwhile what it waits for; its failure is this call's. */
    void during(SlotWork work) throws Exception {
        java.util.concurrent.CompletableFuture<Void> done = java.util.concurrent.CompletableFuture.runAsync(() -> {
            try {
                work.run();
            } catch (SQLException e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        });
        while (true) {
            try {
                done.get(200, java.util.concurrent.TimeUnit.MILLISECONDS);
                return;
            } catch (java.util.concurrent.TimeoutException waiting) {
                reportIfDue();
            } catch (java.util.concurrent.ExecutionException e) {
                throw e.getCause() instanceof Exception x ? x : e;
            }
        }
    }

    /**
     * The transactions with a transaction id, and the prepared transactions, begun at least {@code waited} ago by
     * the server's clock (the bootstrap's may differ), described.
     */
    static List<String> before(Connection c, Duration waited) throws SQLException {
        List<String> out = new ArrayList<>();
        double seconds = waited.toMillis() / 1000.0;
        try (PreparedStatement ps = c.prepareStatement("SELECT pid, datname, usename, application_name, client_addr::text, date_trunc('second', xact_start), "
                + "date_trunc('second', now() - xact_start), state, left(regexp_replace(query, '\\s+', ' ', 'g'), 100) FROM pg_stat_activity "
                + "WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid() AND backend_type = 'client backend' AND xact_start < now() - make_interval(secs => ?) "
                + "ORDER BY xact_start")) {
            ps.setDouble(1, seconds);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add("pid " + rs.getInt(1) + " on database " + rs.getString(2) + " (user " + rs.getString(3)
                            + (empty(rs.getString(4)) ? "" : ", application " + rs.getString(4))
                            + (empty(rs.getString(5)) ? "" : ", from " + rs.getString(5)) + "), transaction begun " + rs.getString(6)
                            + " (" + rs.getString(7) + " ago), " + rs.getString(8) + (empty(rs.getString(9)) ? "" : ": " + rs.getString(9)));
                }
            }
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT gid, database, owner, date_trunc('second', prepared) FROM pg_prepared_xacts WHERE prepared < now() - make_interval(secs => ?) ORDER BY prepared")) {
            ps.setDouble(1, seconds);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add("prepared transaction '" + rs.getString(1) + "' on database " + rs.getString(2) + " (owner " + rs.getString(3)
                            + "), prepared " + rs.getString(4) + ": COMMIT PREPARED or ROLLBACK PREPARED it");
                }
            }
        }
        return out;
    }

    private static boolean empty(String s) {
        return s == null || s.isEmpty();
    }
}
