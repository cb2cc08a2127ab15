package io.tsmigrate.cli;

import io.tsmigrate.common.Ident;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code cutover --block-writes ROLE...}: revokes the application roles' write privileges on the migrated tables
 * (INSERT, UPDATE, DELETE, TRUNCATE), ends their transactions that have written but not committed (they roll back,
 * so nothing committed is lost), and remembers every revoked grant on the target so {@code --rollback} restores
 * exactly those.
 */
final class WriteBlock {

    private static final String STATE = "tsmigrate.blocked_writes";

    record Grant(String role, String schema, String table, String privilege) {
        String grantSql() {
            return "GRANT " + privilege + " ON " + Ident.quote(schema) + "." + Ident.quote(table) + " TO " + Ident.quote(role);
        }

        String revokeSql() {
            return "REVOKE " + privilege + " ON " + Ident.quote(schema) + "." + Ident.quote(table) + " FROM " + Ident.quote(role);
        }
    }

    private WriteBlock() {
    }

    /** Revokes the roles' writes on the publications' tables; returns the number of grants revoked. */
    static int block(Connection source, Connection target, List<String> publications, List<String> roles) throws SQLException {
        List<Grant> grants = new ArrayList<>();
        source.setAutoCommit(false);
        try {
            for (String role : roles) {
                try (PreparedStatement ps = source.prepareStatement("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = ?")) {
                    ps.setString(1, role);
                    try (ResultSet rs = ps.executeQuery()) {
                        if (!rs.next()) {
                            throw new CliException("--block-writes: role " + role + " does not exist on the source");
                        }
                        if (rs.getBoolean(1)) {
                            throw new CliException("--block-writes: role " + role + " is a superuser, whose writes cannot be blocked by privileges; "
                                    + "stop that application instead, or give it a non-superuser role");
                        }
                    }
                }
                try (PreparedStatement ps = source.prepareStatement(
                        "SELECT t.schemaname, t.tablename FROM pg_publication_tables t JOIN pg_class c ON c.oid = format('%I.%I', t.schemaname, t.tablename)::regclass "
                                + "JOIN pg_roles r ON r.oid = c.relowner WHERE t.pubname = ANY (?) AND r.rolname = ?")) {
                    ps.setArray(1, source.createArrayOf("text", publications.toArray()));
                    ps.setString(2, role);
                    try (ResultSet rs = ps.executeQuery()) {
                        if (rs.next()) {
                            throw new CliException("--block-writes: role " + role + " owns " + rs.getString(1) + "." + rs.getString(2)
                                    + ", and an owner can grant itself writes again; stop that application instead");
                        }
                    }
                }
                try (PreparedStatement ps = source.prepareStatement("SELECT t.schemaname, t.tablename, a.privilege_type FROM pg_publication_tables t "
                        + "JOIN pg_class c ON c.oid = format('%I.%I', t.schemaname, t.tablename)::regclass, aclexplode(c.relacl) a "
                        + "WHERE t.pubname = ANY (?) AND a.grantee = (SELECT oid FROM pg_roles WHERE rolname = ?) "
                        + "AND a.privilege_type IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE') ORDER BY 1, 2, 3")) {
                    ps.setArray(1, source.createArrayOf("text", publications.toArray()));
                    ps.setString(2, role);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            grants.add(new Grant(role, rs.getString(1), rs.getString(2), rs.getString(3)));
                        }
                    }
                }
            }
            record(target, grants);
            try (Statement st = source.createStatement()) {
                for (Grant g : grants) {
                    st.execute(g.revokeSql());
                }
            }
            List<String> left = remainingWrites(source, publications, roles);
            if (!left.isEmpty()) {
                throw new CliException("--block-writes: after revoking their own grants, these roles can still write (through PUBLIC, a role they "
                        + "belong to, or column grants): " + String.join(", ", left) + "; add those roles to --block-writes or stop the application");
            }
            source.commit();
        } catch (SQLException | RuntimeException e) {
            source.rollback();
            forget(target, grants);
            throw e;
        } finally {
            source.setAutoCommit(true);
        }
        // Transactions of these roles that have written but not committed would commit after the cutover point: end them,
        // and wait until their backends are gone (pg_terminate_backend only signals: a backend already committing would
        // otherwise commit after the cutover point that is taken next).
        List<Integer> ended = new ArrayList<>();
        // pg_terminate_backend in the select list: it runs only for the rows the WHERE clause keeps.
        try (PreparedStatement ps = source.prepareStatement("SELECT a.pid, pg_terminate_backend(a.pid) FROM pg_stat_activity a "
                + "WHERE a.backend_xid IS NOT NULL AND a.pid <> pg_backend_pid() AND a.usesysid IS NOT NULL AND EXISTS (SELECT 1 FROM unnest(?::text[]) r(name) "
                + "JOIN pg_roles g ON g.rolname = r.name WHERE pg_has_role(a.usesysid, g.oid, 'MEMBER'))")) {
            ps.setArray(1, source.createArrayOf("text", roles.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (rs.getBoolean(2)) {
                        ended.add(rs.getInt(1));
                    }
                }
            }
        }
        if (!ended.isEmpty()) {
            awaitGone(source, ended);
            System.out.println("Ended " + ended.size() + " open writing transaction(s) of " + String.join(", ", roles) + " (rolled back)");
        }
        return grants.size();
    }

    /** Waits until the backends {@code pids} have exited (up to 30 s; a backend that does not is named in the error). */
    private static void awaitGone(Connection source, List<Integer> pids) throws SQLException {
        long until = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        try (PreparedStatement ps = source.prepareStatement("SELECT string_agg(pid::text, ', ') FROM pg_stat_activity WHERE pid = ANY (?)")) {
            ps.setArray(1, source.createArrayOf("int4", pids.toArray()));
            while (true) {
                String left;
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    left = rs.getString(1);
                }
                if (left == null) {
                    return;
                }
                if (System.nanoTime() > until) {
                    throw new CliException("--block-writes: the writing sessions " + left + " did not end within 30 s of pg_terminate_backend; "
                            + "end them (or stop the application) and run cutover again");
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new CliException("interrupted while waiting for the writing sessions " + left + " to end");
                }
            }
        }
    }

    /**
     * Grants back what {@link #block} revoked; returns how many. A grant that fails (a table dropped since, say) does
     * not stop the others: every other grant is restored and forgotten, and the failures are reported together,
     * staying recorded so that a second rollback retries them.
     */
    static int rollback(Connection source, Connection target) throws SQLException {
        List<Grant> grants = recorded(target);
        List<Grant> restored = new java.util.ArrayList<>();
        List<String> failed = new java.util.ArrayList<>();
        try (Statement st = source.createStatement()) {
            for (Grant g : grants) {
                try {
                    st.execute(g.grantSql());
                    restored.add(g);
                } catch (SQLException e) {
                    failed.add(g.grantSql() + ": " + e.getMessage());
                }
            }
        }
        forget(target, restored);
        if (!failed.isEmpty()) {
            throw new CliException("restored " + restored.size() + " of " + grants.size() + " grants; these failed and stay recorded for another "
                    + "--rollback: " + String.join("; ", failed));
        }
        return grants.size();
    }

    /** GRANT statements that would restore writes still blocked (for clean's note); empty without state. */
    static List<String> pendingGrants(Connection target) throws SQLException {
        return recorded(target).stream().map(Grant::grantSql).toList();
    }

    private static List<String> remainingWrites(Connection source, List<String> publications, List<String> roles) throws SQLException {
        List<String> left = new ArrayList<>();
        try (PreparedStatement ps = source.prepareStatement("SELECT r.rolname || ' on ' || t.schemaname || '.' || t.tablename FROM "
                + "(SELECT schemaname, tablename, format('%I.%I', schemaname, tablename)::regclass AS rel FROM pg_publication_tables WHERE pubname = ANY (?)) t "
                + "CROSS JOIN pg_roles r WHERE r.rolname = ANY (?) AND (has_any_column_privilege(r.oid, t.rel, 'INSERT') "
                + "OR has_any_column_privilege(r.oid, t.rel, 'UPDATE') OR has_table_privilege(r.oid, t.rel, 'DELETE') "
                + "OR has_table_privilege(r.oid, t.rel, 'TRUNCATE')) ORDER BY 1")) {
            ps.setArray(1, source.createArrayOf("text", publications.toArray()));
            ps.setArray(2, source.createArrayOf("text", roles.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    left.add(rs.getString(1));
                }
            }
        }
        return left;
    }

    private static void record(Connection target, List<Grant> grants) throws SQLException {
        try (Statement st = target.createStatement()) {
            st.execute("CREATE SCHEMA IF NOT EXISTS tsmigrate");
            st.execute("CREATE TABLE IF NOT EXISTS " + STATE + " (role text, table_schema text, table_name text, privilege text, "
                    + "blocked_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (role, table_schema, table_name, privilege))");
        }
        try (PreparedStatement ps = target.prepareStatement("INSERT INTO " + STATE + " (role, table_schema, table_name, privilege) VALUES (?, ?, ?, ?) "
                + "ON CONFLICT DO NOTHING")) {
            executeFor(ps, grants);
        }
    }

    private static void forget(Connection target, List<Grant> grants) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("DELETE FROM " + STATE + " WHERE role = ? AND table_schema = ? AND table_name = ? AND privilege = ?")) {
            executeFor(ps, grants);
        }
    }

    private static void executeFor(PreparedStatement ps, List<Grant> grants) throws SQLException {
        for (Grant g : grants) {
            ps.setString(1, g.role());
            ps.setString(2, g.schema());
            ps.setString(3, g.table());
            ps.setString(4, g.privilege());
            ps.addBatch();
        }
        ps.executeBatch();
    }

    private static List<Grant> recorded(Connection target) throws SQLException {
        List<Grant> grants = new ArrayList<>();
        try (Statement st = target.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT to_regclass('" + STATE + "') IS NOT NULL")) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    return grants;
                }
            }
            try (ResultSet rs = st.executeQuery("SELECT role, table_schema, table_name, privilege FROM " + STATE + " ORDER BY 1, 2, 3, 4")) {
                while (rs.next()) {
                    grants.add(new Grant(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4)));
                }
            }
        }
        return grants;
    }
}
