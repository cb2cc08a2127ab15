package io.tsmigrate.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/** The benchmarks' command lines: {@code --name value} pairs over defaults. */
public final class Args {

    private Args() {
    }

    public static Map<String, String> parse(Map<String, String> defaults, String[] args) {
        Map<String, String> opts = new LinkedHashMap<>(defaults);
        for (int i = 0; i + 1 < args.length; i += 2) {
            opts.put(args[i], args[i + 1]);
        }
        return opts;
    }

    /**
     * Puts the settings of system property {@code property} ({@code k=v;k=v}), each key after {@code prefix}, into
     * {@code settings}; nothing when the property is not set.
     */
    public static void putSettings(String property, String prefix, Map<String, String> settings) {
        String value = System.getProperty(property);
        if (value == null) {
            return;
        }
        for (String kv : value.split(";")) {
            int eq = kv.indexOf('=');
            settings.put(prefix + kv.substring(0, eq), kv.substring(eq + 1));
        }
    }
}
