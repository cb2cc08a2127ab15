package io.tsmigrate.sink;

import org.apache.kafka.common.config.ConfigDef;

/** docs/configuration.md, generated from the sink's ConfigDef so the reference cannot drift. */
public final class ConfigurationDoc {

    private ConfigurationDoc() {
    }

    public static String markdown() {
        StringBuilder sb = new StringBuilder("# Timescale sink configuration\n\n");
        sb.append("Generated from `TimescaleSinkConfig.CONFIG_DEF` (a test fails when this file is stale). Besides these, every Kafka Connect ")
                .append("sink setting applies (`topics`/`topics.regex`, `errors.tolerance`, `errors.deadletterqueue.*`, `consumer.override.*`, converters).\n\n");
        String group = null;
        for (ConfigDef.ConfigKey k : TimescaleSinkConfig.CONFIG_DEF.configKeys().values()) {
            if (!k.group.equals(group)) {
                group = k.group;
                sb.append("## ").append(group).append("\n\n| setting | type | default | valid values | importance | description |\n|---|---|---|---|---|---|\n");
            }
            String def = k.hasDefault() ? (k.defaultValue == null ? "null" : String.valueOf(k.defaultValue)) : "(required)";
            sb.append("| `").append(k.name).append("` | ").append(k.type.name().toLowerCase()).append(" | `").append(def).append("` | ")
                    .append(k.validator == null ? "" : k.validator.toString().replace("|", "\\|")).append(" | ")
                    .append(k.importance.name().toLowerCase()).append(" | ").append(k.documentation.replace("|", "\\|")).append(" |\n");
        }
        return sb.toString().replace("|\n## ", "|\n\n## ") + "\n";
    }
}
