package io.tsmigrate.sink;

import io.tsmigrate.testkit.ServicesExtension;
import io.tsmigrate.testkit.TestDatabases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.Map;

/**
 * The sink on flat records: Debezium's change events unwrapped by its {@code ExtractNewRecordState} transform on the
 * sink connector, as a pipeline built for other sinks has them. A flat record is the row after the change, applied as
 * an insert or an update by key. Deletes are not covered: the transform turns a delete into a tombstone, which
 * carries no row and which the sink passes over (a migration runs on the envelope, which the shipped templates keep).
 * A flat record names no table either: the sink takes it from the topic ({@code table.name.format}), so a table whose
 * name Debezium changes in its topic name (characters other than letters, digits, {@code .}, {@code _}, {@code -})
 * needs a mapping; the sink stops with an error naming the table it looked for.
 */
@ExtendWith(ServicesExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FlatRecordsIT {

    private static final Duration WAIT = Duration.ofSeconds(90);
    private Pipeline p;

    @BeforeAll
    void start(TestDatabases dbs) {
        p = new Pipeline(dbs, "flat");
        p.startSource(p.sourceConfig());
        Map<String, String> sink = p.sinkConfig();
        sink.put("transforms", "unwrap");
        sink.put("transforms.unwrap.type", "io.debezium.transforms.ExtractNewRecordState");
        p.startSink(sink);
    }

    @AfterAll
    void stop() {
        p.stop();
    }

    @Test
    @DisplayName("multi-row inserts and updates of a keyed table, NULLs in columns with defaults, upper-case and unicode quoted names")
    void inserts_and_updates() throws Exception {
        p.both("CREATE TABLE \"Bestellungen\" (id int PRIMARY KEY, \"Größe \"\"ü\"\"\" text NOT NULL DEFAULT 'none', qty int DEFAULT 7, "
                + "price numeric(12,2) DEFAULT 1.50, tags text[] DEFAULT '{a}', at timestamptz DEFAULT now())");
        p.source("INSERT INTO \"Bestellungen\" SELECT i, 'item ' || i, NULL, CASE WHEN i % 2 = 0 THEN NULL ELSE i * 1.25 END, "
                        + "CASE WHEN i % 3 = 0 THEN NULL ELSE ARRAY['x' || i, NULL] END, NULL FROM generate_series(1, 3000) i",
                "UPDATE \"Bestellungen\" SET qty = i.n FROM (SELECT generate_series(1, 3000, 4) n) i WHERE id = i.n",
                "UPDATE \"Bestellungen\" SET \"Größe \"\"ü\"\"\" = 'größer \"quoted\"', price = NULL, tags = NULL WHERE id % 10 = 0",
                "INSERT INTO \"Bestellungen\" (id, \"Größe \"\"ü\"\"\") VALUES (5000, 'defaults'), (5001, 'more defaults')");
        p.awaitEqual(WAIT, "Bestellungen");
    }

    @Test
    @DisplayName("updates that leave large TOASTed values unchanged keep them (Debezium sends a placeholder in the flat row)")
    void unchanged_toast_values() throws Exception {
        p.toastedDocs(40, "UPDATE docs SET n = n + 1", "UPDATE docs SET n = n + 1, body = 'short now' WHERE id % 3 = 0");
        p.awaitEqual(WAIT, "docs");
    }

    @Test
    @DisplayName("a time series into a hypertable, one transaction larger than a batch")
    void hypertable_inserts() throws Exception {
        p.source("CREATE TABLE metrics (id bigint PRIMARY KEY, ts timestamptz NOT NULL, device int, v double precision)");
        p.target("CREATE TABLE metrics (id bigint NOT NULL, ts timestamptz NOT NULL, device int, v double precision, PRIMARY KEY (id, ts))",
                "SELECT create_hypertable('metrics', by_range('ts', INTERVAL '1 hour'))");
        p.source("INSERT INTO metrics SELECT i, '2026-06-01'::timestamptz + i * INTERVAL '1 second', i % 17, "
                        + "CASE WHEN i % 13 = 0 THEN 'NaN'::float8 ELSE i / 7.0 END FROM generate_series(1, 30000) i",
                "UPDATE metrics SET v = -v WHERE id % 100 = 0");
        p.awaitEqual(WAIT, "metrics");
    }
}
