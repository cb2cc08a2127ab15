package io.tsmigrate.common;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ConnectClientTest {

    // The trace Connect reported for Debezium's task after a 1.9 MB row with Kafka's 1 MiB max.request.size.
    private static final String TOO_LARGE = """
            org.apache.kafka.connect.errors.ConnectException: Unrecoverable exception from producer send callback
            \tat org.apache.kafka.connect.runtime.WorkerSourceTask.maybeThrowProducerSendException(WorkerSourceTask.java:348)
            \tat java.base/java.lang.Thread.run(Thread.java:840)
            Caused by: org.apache.kafka.common.errors.RecordTooLargeException: The message is 3203268 bytes when serialized which is larger than 1048576, which is the value of the max.request.size configuration.
            """;

    @Test
    void a_record_too_large_names_the_row_the_limits_and_that_nothing_is_lost() {
        String line = ConnectClient.firstLine(TOO_LARGE);
        assertThat(line).startsWith("org.apache.kafka.connect.errors.ConnectException: Unrecoverable exception from producer send callback")
                .contains("The message is 3203268 bytes", "max.request.size", "max.message.bytes", "Nothing is lost", "restart the task")
                .doesNotContain("\n");
    }

    @Test
    void a_wrapped_failure_shows_its_root_cause_once() {
        String trace = "org.apache.kafka.connect.errors.ConnectException: An exception occurred in the change event producer.\n"
                + "\tat x.y(Z.java:1)\nCaused by: java.lang.RuntimeException: outer\n\tat a.b(C.java:2)\n"
                + "Caused by: org.postgresql.util.PSQLException: ERROR: replication slot \"s\" does not exist\n\tat d.e(F.java:3)\n";
        assertThat(ConnectClient.firstLine(trace)).isEqualTo("org.apache.kafka.connect.errors.ConnectException: An exception occurred in the "
                + "change event producer.; caused by org.postgresql.util.PSQLException: ERROR: replication slot \"s\" does not exist");
        assertThat(ConnectClient.firstLine("java.lang.IllegalStateException: plain\n\tat a.b(C.java:1)"))
                .isEqualTo("java.lang.IllegalStateException: plain");
    }
}
