package io.tsmigrate.source;

import io.debezium.connector.postgresql.PostgresConnector;
import org.apache.kafka.connect.connector.Task;

/**
 * Debezium's PostgreSQL connector (every setting, validation and behaviour its own) whose task stores offsets that
 * a restart inside a multi-row WAL record cannot skip from ({@link ExactPostgresTask}). The shipped source templates
 * name this class; its jar goes into Debezium's plugin folder, beside Debezium's own.
 */
public class ExactPostgresConnector extends PostgresConnector {

    @Override
    public Class<? extends Task> taskClass() {
        return ExactPostgresTask.class;
    }
}
