package io.tsmigrate.common;

/**
 * A problem told to the user as one sentence with the fix (the CLI prints the message alone and exits with 2). An
 * {@link IllegalStateException}, so callers that only need to know that something is not as expected can catch that.
 */
public class UserError extends IllegalStateException {

    public UserError(String message) {
        super(message);
    }

    public UserError(String message, Throwable cause) {
        super(message, cause);
    }
}
