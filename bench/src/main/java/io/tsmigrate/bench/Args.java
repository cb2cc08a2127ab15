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
}
