package io.tsmigrate.testkit;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A PostgreSQL server as tests see it: host, port, user, password and the database the URL names.
 * Immutable and thread-safe.
 */
public record PgEndpoint(String host, int port, String user, String password, String database) {

    public PgEndpoint {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(database, "database");
        password = password == null ? "" : password;
    }

    /** Parses {@code jdbc:postgresql://host:port/db?user=u&password=p}. */
    public static PgEndpoint parse(String jdbcUrl) {
        if (jdbcUrl == null || !jdbcUrl.startsWith("jdbc:postgresql://")) {
            throw new IllegalArgumentException("not a PostgreSQL JDBC URL (expected jdbc:postgresql://host:port/database?user=...): "
                    + redact(jdbcUrl));
        }
        URI uri = URI.create(jdbcUrl.substring("jdbc:".length()));
        Map<String, String> query = new LinkedHashMap<>();
        if (uri.getRawQuery() != null) {
            for (String pair : uri.getRawQuery().split("&")) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    query.put(pair.substring(0, eq), java.net.URLDecoder.decode(pair.substring(eq + 1), java.nio.charset.StandardCharsets.UTF_8));
                }
            }
        }
        String db = uri.getPath() == null || uri.getPath().length() <= 1 ? "postgres" : uri.getPath().substring(1);
        return new PgEndpoint(uri.getHost(), uri.getPort() < 0 ? 5432 : uri.getPort(),
                query.getOrDefault("user", "postgres"), query.get("password"), db);
    }

    /** The same server, another database. */
    public PgEndpoint withDatabase(String name) {
        return new PgEndpoint(host, port, user, password, name);
    }

    /** A JDBC URL without the password (pass it separately, see {@link #password()}). */
    public String jdbcUrl() {
        return "jdbc:postgresql://" + host + ":" + port + "/" + java.net.URLEncoder.encode(database, java.nio.charset.StandardCharsets.UTF_8)
                + "?user=" + java.net.URLEncoder.encode(user, java.nio.charset.StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return user + "@" + host + ":" + port + "/" + database;
    }

    static String redact(String url) {
        return url == null ? "null" : url.replaceAll("(?i)(password=)[^&]*", "$1***");
    }
}
