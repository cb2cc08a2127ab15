package io.tsmigrate.cli;

/** A problem shown to the user as one sentence with the fix; exit code 2 (1 is a failed check or verify). */
class CliException extends io.tsmigrate.common.UserError {
    CliException(String message) {
        super(message);
    }

    CliException(String message, Throwable cause) {
        super(message, cause);
    }
}
