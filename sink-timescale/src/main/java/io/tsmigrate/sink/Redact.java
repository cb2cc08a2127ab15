package io.tsmigrate.sink;

/** Keeps secrets out of logs and error messages. */
public final class Redact {

    private Redact() {
    }

    /** A JDBC URL with the value of any password parameter masked. */
    public static String url(String url) {
        return url == null ? "null" : url.replaceAll("(?i)(password=)[^&;]*", "$1****");
    }
}
