package io.tsmigrate.bootstrap;

import io.tsmigrate.common.UserError;

/** A problem the user must fix in the bootstrap; its message is one clear sentence naming the thing and the fix. */
public class BootstrapException extends UserError {
    public BootstrapException(String message) {
        super(message);
    }

    public BootstrapException(String message, Throwable cause) {
        super(message, cause);
    }
}
