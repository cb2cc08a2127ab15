package io.tsmigrate.cli;

import java.time.Duration;
import java.time.Instant;

/** With the environment variable TSMIGRATE_TRACE set (not empty): where the waits and comparisons spend their time, on standard error. */
final class Trace {

    private static final boolean ON = System.getenv("TSMIGRATE_TRACE") != null && !System.getenv("TSMIGRATE_TRACE").isEmpty();

    private Trace() {
    }

    /** One line: what, and the milliseconds since {@code since}. */
    static void of(String subject, String step, Instant since) {
        if (ON) {
            System.err.printf("trace %s %s: %d ms%n", subject, step, Duration.between(since, Instant.now()).toMillis());
        }
    }
}
