package io.tsmigrate.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The connector definitions of {@code connectors/}, shipped in the jar, with their {@code {{VARIABLES}}} filled. */
final class Templates {

    private static final Pattern VAR = Pattern.compile("\\{\\{([A-Z_]+)}}");

    private Templates() {
    }

    static Map<String, String> render(String name, Map<String, String> vars) {
        Map<String, String> raw;
        try (InputStream in = Templates.class.getResourceAsStream("connectors/" + name + ".json")) {
            if (in == null) {
                throw new CliException("no connector template " + name + " (known: source-postgres, source-timescaledb, source-rds, sink-timescale)");
            }
            raw = new ObjectMapper().readValue(in, new TypeReference<LinkedHashMap<String, String>>() { });
        } catch (IOException e) {
            throw new CliException("cannot read connector template " + name + ": " + e.getMessage(), e);
        }
        Map<String, String> out = new LinkedHashMap<>();
        raw.forEach((k, v) -> {
            Matcher m = VAR.matcher(v);
            StringBuilder sb = new StringBuilder();
            while (m.find()) {
                String value = vars.get(m.group(1));
                if (value == null) {
                    throw new CliException("connector template " + name + " needs " + m.group(1));
                }
                m.appendReplacement(sb, Matcher.quoteReplacement(value));
            }
            m.appendTail(sb);
            out.put(k, sb.toString());
        });
        return out;
    }
}
