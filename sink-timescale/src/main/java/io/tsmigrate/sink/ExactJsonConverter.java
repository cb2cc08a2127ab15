package io.tsmigrate.sink;

/**
 * The converter's former name, kept so that connectors created by an earlier release (with
 * {@code io.tsmigrate.sink.ExactJsonConverter} in their settings) keep running after the plugin is upgraded. New
 * connectors name {@link io.tsmigrate.json.ExactJsonConverter}, which also ships as a plugin of its own.
 */
@Deprecated
public final class ExactJsonConverter extends io.tsmigrate.json.ExactJsonConverter {
}
