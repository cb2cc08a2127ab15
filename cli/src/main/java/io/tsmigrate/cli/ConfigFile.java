package io.tsmigrate.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Default option values from a YAML file given with {@code --config FILE}: keys are long option names
 * without the dashes ({@code source-url: jdbc:postgresql://...}). Flags on the command line win.
 */
final class ConfigFile implements CommandLine.IDefaultValueProvider {

    private final Map<String, Object> values;

    private ConfigFile(Map<String, Object> values) {
        this.values = values;
    }

    static CommandLine.IDefaultValueProvider from(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String file = args[i].startsWith("--config=") ? args[i].substring(9) : args[i].equals("--config") && i + 1 < args.length ? args[i + 1] : null;
            if (file != null) {
                Path p = Path.of(file);
                if (!Files.isRegularFile(p)) {
                    throw new CliException("config file " + file + " does not exist");
                }
                try {
                    return new ConfigFile(new ObjectMapper(new YAMLFactory()).readValue(p.toFile(), new TypeReference<Map<String, Object>>() { }));
                } catch (IOException e) {
                    throw new CliException("cannot read config file " + file + ": " + e.getMessage(), e);
                }
            }
        }
        return new ConfigFile(Map.of());
    }

    @Override
    public String defaultValue(CommandLine.Model.ArgSpec arg) {
        if (arg instanceof CommandLine.Model.OptionSpec o) {
            Object v = values.get(o.longestName().replaceFirst("^--", ""));
            if (v instanceof java.util.List<?> list) {
                // A YAML list for a repeatable option: picocli splits the default at its split regex (",").
                return String.join(",", list.stream().map(String::valueOf).toList());
            }
            if (v != null) {
                return v.toString();
            }
        }
        return arg.defaultValue();
    }
}
