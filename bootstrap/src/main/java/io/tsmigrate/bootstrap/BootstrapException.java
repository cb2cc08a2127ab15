package io.tsmigrate.bootstrap;

/** A problem the user must fix; its message is one clear sentence naming the thing and the fix. */
public class BootstrapException extends RuntimeException {
    public BootstrapException(String message) {
        super(message);
    }

    public BootstrapException(String message, Throwable cause) {
        super(message, cause);
    }
}
