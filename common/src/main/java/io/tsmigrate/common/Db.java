package io.tsmigrate.common;

import com.fasterxml.jackson.annotation.JsonIgnore;

import java.net.URI;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * A database to connect to: a JDBC URL ({@code jdbc:postgresql://host:port/db}), a user and a password
 * (never printed). Immutable.
 */
public record Db(String url, String user, String password) {

    public Db {
        if (url == null || !url.startsWith("jdbc:postgresql://")) {
            throw new IllegalArgumentException("a database URL must look like jdbc:postgresql://host:port/database, got: "
                    + (url == null ? "nothing" : url.replaceAll("(?i)password=[^&]*", "password=****")));
        }
        // A password written into the URL moves into the password: the URL is handed on (connector configs, the REST
        // API, logs), the password never is.
        int q = url.indexOf('?');
        if (q > 0) {
            List<String> kept = new java.util.ArrayList<>();
            for (String kv : url.substring(q + 1).split("&")) {
                if (kv.toLowerCase(java.util.Locale.ROOT).startsWith("password=")) {
                    if (password == null || password.isEmpty()) {
                        password = java.net.URLDecoder.decode(kv.substring("password=".length()), java.nio.charset.StandardCharsets.UTF_8);
                    }
                } else if (kv.toLowerCase(java.util.Locale.ROOT).startsWith("user=") && user != null && !user.isEmpty()) {
                    // The user given on its own (--source-user) wins over the URL's: pgjdbc would let the URL's win
                    // for its own connections while pg_dump and Debezium took the other.
                    continue;
                } else if (!kv.isEmpty()) {
                    kept.add(kv);
                }
            }
            url = url.substring(0, q) + (kept.isEmpty() ? "" : "?" + String.join("&", kept));
        }
    }

    /** The first column of the first row {@code sql} returns, as text; null when it returns no row. */
    public static String one(Connection c, String sql) throws SQLException {
        try (java.sql.Statement st = c.createStatement(); java.sql.ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    /** Work on a connection inside one transaction. */
    public interface Work {
        void run(Connection c) throws SQLException;
    }

    /** Runs {@code work} in one transaction on {@code c}: committed when it returns, rolled back when it throws. */
    public static void inTransaction(Connection c, Work work) throws SQLException {
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try {
            work.run(c);
            c.commit();
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(auto);
        }
    }

    /** The first column of every row {@code sql} returns, as text. */
    public static java.util.List<String> lines(Connection c, String sql) throws SQLException {
        java.util.List<String> out = new java.util.ArrayList<>();
        try (java.sql.Statement st = c.createStatement(); java.sql.ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    public Connection open(String applicationName) throws SQLException {
        return pinned(connect(properties(applicationName)));
    }

    /**
     * Undoes what a database's or role's own settings would otherwise change for tsmigrate's sessions. Output formats
     * ({@code ALTER DATABASE ... SET bytea_output = 'escape'}, {@code intervalstyle}, {@code lc_monetary}, which a
     * server made by initdb in a European locale has: {@code 1.234,56 €}): row texts compared between
     * source and target must not depend on them (pgjdbc fixes DateStyle, TimeZone and extra_float_digits itself;
     * {@code standard_conforming_strings}: on, as tsmigrate writes its literals, so that a database of an older
     * application set to off does not read a backslash in a name as an escape; the
     * source templates set the same for Debezium's stream, {@code driver.options}). Timeouts (a production database's
     * {@code statement_timeout} of seconds cancelled the bootstrap's first COPY): none, as pg_dump sets. Row-level security:
     * off, as pg_dump sets it, so that a policy that would hide rows makes a read or write fail instead.
     */
    private static Connection pinned(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("SET bytea_output = 'hex'; SET intervalstyle = 'postgres'; SET lc_monetary = 'C'; SET standard_conforming_strings = on; "
                    + "SET row_security = off; SET statement_timeout = 0; SET lock_timeout = 0; SET idle_in_transaction_session_timeout = 0; SELECT set_config('transaction_timeout', '0', false) "
                    + "WHERE current_setting('transaction_timeout', true) IS NOT NULL");
        } catch (SQLException e) {
            c.close();
            throw e;
        }
        return c;
    }

    /**
     * A connection that streams much from the server (a bootstrap's COPY out of the source): its socket is read in
     * large blocks ({@link BlockReadSocketFactory}). A socketFactory the URL names is used instead.
     */
    public Connection openForCopy(String applicationName) throws SQLException {
        Properties p = properties(applicationName);
        p.setProperty("socketFactory", BlockReadSocketFactory.class.getName());
        return pinned(connect(p));
    }

    /** A replication connection (walsender in database mode) for CREATE_REPLICATION_SLOT. */
    public Connection openReplication(String applicationName) throws SQLException {
        Properties p = properties(applicationName);
        p.setProperty("replication", "database");
        p.setProperty("assumeMinServerVersion", "10");
        p.setProperty("preferQueryMode", "simple");
        // CREATE_REPLICATION_SLOT waits for the transactions open on the server, however long; then the connection holds
        // the exported snapshot, in a transaction, idle until the copy ends: neither may time out.
        p.setProperty("options", "-c statement_timeout=0 -c idle_in_transaction_session_timeout=0");
        return connect(p);
    }

    private Properties properties(String applicationName) {
        Properties p = new Properties();
        if (user != null) {
            p.setProperty("user", user);
        }
        if (password != null && !password.isEmpty()) {
            p.setProperty("password", password);
        }
        p.setProperty("ApplicationName", applicationName);
        return p;
    }

    private Connection connect(Properties p) throws SQLException {
        Connection c = new org.postgresql.Driver().connect(url, p);
        if (c == null) {
            throw new SQLException("not a PostgreSQL JDBC URL: " + this);
        }
        return c;
    }

    @JsonIgnore
    public String host() {
        return uri().getHost();
    }

    @JsonIgnore
    public int port() {
        int port = uri().getPort();
        return port < 0 ? 5432 : port;
    }

    @JsonIgnore
    public String database() {
        String path = uri().getPath();
        return path == null || path.length() <= 1 ? "postgres" : path.substring(1);
    }

    /** The same server and credentials, another database. */
    public Db withDatabase(String name) {
        URI u = uri();
        String query = u.getRawQuery() == null ? "" : "?" + u.getRawQuery();
        return new Db("jdbc:postgresql://" + u.getRawAuthority() + "/" + name + query, user, password);
    }

    /** The effective user: the user field, or the URL's user parameter. */
    @JsonIgnore
    public String effectiveUser() {
        if (user != null) {
            return user;
        }
        String fromUrl = param("user");
        return fromUrl != null ? fromUrl : System.getProperty("user.name");
    }

    /** A parameter of the URL ({@code sslmode}, {@code sslrootcert}, ...), decoded, or null. */
    public String param(String name) {
        String q = uri().getRawQuery();
        if (q != null) {
            for (String kv : q.split("&")) {
                int eq = kv.indexOf('=');
                if (eq > 0 && kv.substring(0, eq).equals(name)) {
                    return java.net.URLDecoder.decode(kv.substring(eq + 1), java.nio.charset.StandardCharsets.UTF_8);
                }
            }
        }
        return null;
    }

    /**
     * The TLS mode the URL asks for, in libpq's words: its {@code sslmode}, else {@code verify-full} for pgjdbc's
     * {@code ssl=true} (which verifies the server), else null (the drivers' default, prefer).
     */
    public String sslmode() {
        String mode = param("sslmode");
        if (mode != null) {
            return mode;
        }
        return "true".equals(param("ssl")) ? "verify-full" : null;
    }

    /** Environment for libpq tools (pg_dump, psql) so that no secret appears on a command line; TLS as the URL says. */
    public Map<String, String> libpqEnv() {
        Map<String, String> env = new HashMap<>();
        env.put("PGHOST", host());
        env.put("PGPORT", Integer.toString(port()));
        env.put("PGUSER", effectiveUser());
        env.put("PGDATABASE", database());
        if (password != null && !password.isEmpty()) {
            env.put("PGPASSWORD", password);
        }
        if (sslmode() != null) {
            env.put("PGSSLMODE", sslmode());
        }
        for (String[] p : new String[][] {{"sslrootcert", "PGSSLROOTCERT"}, {"sslcert", "PGSSLCERT"}, {"sslkey", "PGSSLKEY"}}) {
            if (param(p[0]) != null) {
                env.put(p[1], param(p[0]));
            }
        }
        return env;
    }

    private URI uri() {
        return URI.create(url.substring("jdbc:".length()));
    }

    @Override
    public String toString() {
        return effectiveUser() + "@" + host() + ":" + port() + "/" + database();
    }
}
