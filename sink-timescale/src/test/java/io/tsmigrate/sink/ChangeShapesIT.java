package io.tsmigrate.sink;

import io.tsmigrate.json.ExactJsonConverter;
import io.tsmigrate.testkit.NativeServices;
import io.tsmigrate.testkit.Seed;
import io.tsmigrate.testkit.ServicesExtension;
import io.tsmigrate.testkit.TestDatabases;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.Map;
import java.util.Random;


/**
 * Production-shaped changes through the real Debezium (streamed, with the source template's transaction
 * metadata and NULL handling) into the sink: COPY and multi-row INSERT into a keyless table, explicit NULLs in
 * columns with defaults, updates that leave large TOASTed values (text, bytea, jsonb, int[], bigint[], text[])
 * unchanged, primary-key changes of such rows, a keyless REPLICA IDENTITY FULL table with identical rows,
 * NULLs and json. One run kills the Connect worker at a random point (seed printed).
 */
@ExtendWith(ServicesExtension.class)
class ChangeShapesIT {

    private static final String[] TABLES = {"loose", "defaults", "wide", "full_rows", "more_toast", "full_toast", "parted", "series", "series_log", "trunc", "text_types", "user_types", "ri_index", "two_uniq", "idt", "idlog", "ranked", "renumbered", "fk_parent", "fk_child", "docs", "fulldocs"};

    @Test
    @DisplayName("COPY, NULLs with defaults, unchanged TOAST of every type, key changes, REPLICA IDENTITY FULL: equal")
    void production_shaped_changes_arrive_exactly(TestDatabases dbs) throws Exception {
        Pipeline p = pipeline(dbs, "shapes", ExactJsonConverter.class.getName());
        changes(p, new Random(1), () -> { });
        // A 21 MB text value: longer than the 20,000,000 characters Jackson reads by default.
        p.source("INSERT INTO docs SELECT 3, 'longest', string_agg(md5(i::text), '') FROM generate_series(1, 656250) i");
        p.awaitEqual(Duration.ofSeconds(120), TABLES);
        p.stop();
    }

    @Test
    @DisplayName("the same changes through Kafka's own JsonConverter on both connectors: equal (NULLs kept with replace.null.with.default=false)")
    void through_kafkas_json_converter(TestDatabases dbs) throws Exception {
        Pipeline p = pipeline(dbs, "shapesjson", "org.apache.kafka.connect.json.JsonConverter");
        changes(p, new Random(2), () -> { });
        p.awaitEqual(Duration.ofSeconds(120), TABLES);
        p.stop();
    }

    @Test
    @DisplayName("the same changes with the Connect worker killed twice at random points and the Debezium connector restarted: equal, nothing doubled")
    void worker_killed_inside_the_changes(TestDatabases dbs) throws Exception {
        org.assertj.core.api.Assertions.assertThat(dbs.services().natives()).as("fault tests need the native services (the test kit starts them when no service is configured; see README)").isPresent();
        NativeServices natives = dbs.services().natives().orElseThrow();
        long seed = Seed.of("ChangeShapesIT");
        Random random = new Random(seed);
        Pipeline p = pipeline(dbs, "shapeskill", ExactJsonConverter.class.getName());
        Thread killer = new Thread(() -> {
            try {
                for (int fault = 0; fault < 2; fault++) {
                    Thread.sleep(300 + random.nextInt(2500));
                    natives.kill("connect");
                    Thread.sleep(500 + random.nextInt(1000));
                    natives.start("connect");
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        killer.start();
        // A graceful restart of the Debezium connector while it streams the COPYs (ExactPostgresConnector's offsets).
        changes(p, new Random(seed), () -> restartSource(dbs, p));
        killer.join();
        dbs.services().connect().awaitRunning(p.sinkName, Duration.ofSeconds(120));
        dbs.services().connect().awaitRunning(p.sourceName, Duration.ofSeconds(120));
        p.awaitEqual(Duration.ofSeconds(180), TABLES);
        p.stop();
    }

    @Test
    @DisplayName("the Debezium connector restarted gracefully at random points inside COPYs and key changes: equal, nothing lost")
    void source_restarted_gracefully_inside_wal_records(TestDatabases dbs) throws Exception {
        long seed = Seed.of("ChangeShapesIT");
        Random random = new Random(seed);
        Pipeline p = pipeline(dbs, "shapesrestart", ExactJsonConverter.class.getName());
        // A graceful stop stores the offset of the last record produced, which lands inside one WAL record's
        // changes (a COPY page, a key change's DELETE and CREATE) most of the time: Debezium 3.6.1 alone then skips
        // the rest of them (dbz#1554); the shipped connector's offsets resume at the record's first change.
        Thread restarter = new Thread(() -> {
            try {
                for (int restart = 0; restart < 4; restart++) {
                    Thread.sleep(800 + random.nextInt(1500));
                    restartSource(dbs, p);
                    dbs.services().connect().awaitRunning(p.sourceName, Duration.ofSeconds(60));
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        restarter.start();
        StringBuilder copy = new StringBuilder();
        for (int i = 1; i <= 60_000; i++) {
            copy.append(i % 50).append("\trestart ").append(i % 17).append("\t2026-01-01 00:00:00+00\n");
        }
        for (int round = 0; round < 4; round++) {
            try (java.sql.Connection c = dbs.openSource()) {
                new org.postgresql.copy.CopyManager(c.unwrap(org.postgresql.core.BaseConnection.class))
                        .copyIn("COPY loose FROM STDIN", new java.io.StringReader(copy.toString()));
            }
            // One transaction of 20,000 key changes, each one WAL record that Debezium turns into a DELETE and a CREATE.
            p.source("INSERT INTO trunc SELECT i + " + (round * 100_000) + ", 'v' FROM generate_series(1, 20000) i",
                    "UPDATE trunc SET id = id + 50000, v = 'moved' WHERE id > " + (round * 100_000));
        }
        restarter.join();
        p.awaitEqual(Duration.ofSeconds(240), "loose", "trunc");
        p.stop();
    }

    @Test
    @DisplayName("a graceful restart inside the first WAL record after the connector's very first start: nothing lost")
    void restarted_inside_the_first_wal_record_after_a_first_start(TestDatabases dbs) throws Exception {
        // Produce requests of one record each, so that the broker quota below throttles record by record.
        Pipeline p = pipeline(dbs, "shapesfirst", ExactJsonConverter.class.getName(),
                Map.of("producer.override.batch.size", "512", "producer.override.linger.ms", "0"));
        // The connector has no offset yet. A broker quota on its producer slows the acknowledgements down to a few
        // records a second, so the graceful restart below lands inside the first WAL record's changes (a COPY page
        // of about 200 rows) for certain: Connect then stores the offset of an acknowledged record of that page.
        String producer = "connector-producer-" + p.sourceName + "-0";
        quota(dbs, producer, 20_000.0);
        try {
            StringBuilder copy = new StringBuilder();
            for (int i = 1; i <= 2_000; i++) {
                copy.append(i % 50).append("\tfirst ").append(i % 17).append("\t2026-01-01 00:00:00+00\n");
            }
            try (java.sql.Connection c = dbs.openSource()) {
                new org.postgresql.copy.CopyManager(c.unwrap(org.postgresql.core.BaseConnection.class))
                        .copyIn("COPY loose FROM STDIN", new java.io.StringReader(copy.toString()));
            }
            Thread.sleep(3_000);
            restartSource(dbs, p);
            dbs.services().connect().awaitRunning(p.sourceName, Duration.ofSeconds(60));
        } finally {
            quota(dbs, producer, null);
        }
        p.awaitEqual(Duration.ofSeconds(120), "loose");
        p.stop();
    }

    /**
     * A transaction that began before another one committed, and commits after it, while Debezium is restarted in
     * between: the stored offset is the short transaction's COMMIT, whose position (the end of its commit record) is
     * also the position of the long transaction's next change when that was written right after it. Debezium 3.6.1's
     * resume search takes that change for the last one processed and resumes after it, so the long transaction's
     * earlier changes are never sent (found by FaultsIT#walsender_terminated, 19,150 rows of a 20,000-row INSERT).
     */
    @Test
    @DisplayName("restarted after a commit made inside a longer open transaction: the longer one arrives whole")
    void restarted_after_a_commit_inside_a_longer_transaction(TestDatabases dbs) throws Exception {
        try (Pipeline p = pipeline(dbs, "shapesopen", ExactJsonConverter.class.getName());
                java.sql.Connection longer = dbs.openSource(); java.sql.Connection shorter = dbs.openSource();
                java.sql.Statement l = longer.createStatement(); java.sql.Statement s = shorter.createStatement()) {
            longer.setAutoCommit(false);
            for (int round = 0; round < 3; round++) {
                l.execute("INSERT INTO loose SELECT g, 'long " + round + "', '2026-01-01' FROM generate_series(1, 1000) g");
                // The short transaction commits, and the long one writes its next change right after that commit.
                s.execute("INSERT INTO loose VALUES (-1, 'short " + round + "', '2026-01-02')");
                l.execute("INSERT INTO loose SELECT g, 'long " + round + " after', '2026-01-01' FROM generate_series(1, 1000) g");
                // Once the short one is applied, its COMMIT is the last offset Debezium produced: a graceful restart stores it.
                p.awaitTarget(Duration.ofSeconds(60), "SELECT count(*) FROM loose WHERE label = 'short " + round + "'", "1");
                restartSource(dbs, p);
                dbs.services().connect().awaitRunning(p.sourceName, Duration.ofSeconds(60));
                Thread.sleep(2000);
                longer.commit();
            }
            p.awaitEqual(Duration.ofSeconds(120), "loose");
        }
    }

    /**
     * A restart after a quiet spell. PostgreSQL writes a running-transactions record after the last commit (here at
     * once, as its background writer does within 15 s); once Debezium has confirmed the commit, the slot's restart
     * point becomes that record, which begins where the commit record ends. The stored offset must not be behind it,
     * or Debezium refuses to start ("no longer available on the server", found by ClusterFaultsIT, seed 26861779076963).
     */
    @Test
    @DisplayName("restarted after a quiet spell, the slot's restart point at the last commit's end: the task starts and nothing is lost")
    void restarted_after_a_quiet_spell(TestDatabases dbs) throws Exception {
        try (Pipeline p = pipeline(dbs, "shapesquiet", ExactJsonConverter.class.getName());
                java.sql.Connection c = dbs.openSource(); java.sql.Statement st = c.createStatement()) {
            String slot = p.sourceConfig().get("slot.name");
            for (int round = 0; round < 3; round++) {
                String commitEnd;
                st.execute("INSERT INTO loose VALUES (" + round + ", 'quiet', '2026-01-03')");
                try (java.sql.ResultSet rs = st.executeQuery("SELECT pg_current_wal_insert_lsn()::text, pg_log_standby_snapshot()::text")) {
                    rs.next();
                    commitEnd = rs.getString(1);
                    System.out.println("[ChangeShapesIT] commit ends at " + commitEnd + ", running transactions logged at " + rs.getString(2));
                }
                p.awaitTarget(Duration.ofSeconds(60), "SELECT count(*) FROM loose WHERE label = 'quiet' AND n = " + round, "1");
                // Debezium confirms what Connect stored, once per offset flush (2 s here): wait until it has confirmed
                // the commit, then a few flushes more, so the restart point has moved as far as it will.
                boolean confirmed = false;
                for (int i = 0; i < 40 && !confirmed; i++) {
                    Thread.sleep(500);
                    try (java.sql.ResultSet rs = st.executeQuery("SELECT confirmed_flush_lsn >= '" + commitEnd + "'::pg_lsn - 1 "
                            + "FROM pg_replication_slots WHERE slot_name = '" + slot + "'")) {
                        confirmed = rs.next() && rs.getBoolean(1);
                    }
                }
                Thread.sleep(5_000);
                try (java.sql.ResultSet rs = st.executeQuery("SELECT restart_lsn::text || ' ' || confirmed_flush_lsn::text FROM pg_replication_slots "
                        + "WHERE slot_name = '" + slot + "'")) {
                    rs.next();
                    System.out.println("[ChangeShapesIT] slot restart and confirmed positions before the restart: " + rs.getString(1));
                }
                restartSource(dbs, p);
                Thread.sleep(3_000);
                dbs.services().connect().awaitRunning(p.sourceName, Duration.ofSeconds(60));
            }
            st.execute("INSERT INTO loose VALUES (99, 'quiet', '2026-01-03')");
            p.awaitEqual(Duration.ofSeconds(120), "loose");
        }
    }

    /** Sets (or with null removes) a broker quota on the bytes a Kafka client may produce per second. */
    private static void quota(TestDatabases dbs, String clientId, Double bytesPerSecond) throws Exception {
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
                Map.of("bootstrap.servers", dbs.services().kafkaBootstrap()))) {
            var entity = new org.apache.kafka.common.quota.ClientQuotaEntity(
                    Map.of(org.apache.kafka.common.quota.ClientQuotaEntity.CLIENT_ID, clientId));
            var op = new org.apache.kafka.common.quota.ClientQuotaAlteration.Op("producer_byte_rate", bytesPerSecond);
            admin.alterClientQuotas(java.util.List.of(new org.apache.kafka.common.quota.ClientQuotaAlteration(entity, java.util.List.of(op))))
                    .all().get();
        }
    }

    /** Restarts the Debezium connector, waiting out a rebalance after a worker restart. */
    private static void restartSource(TestDatabases dbs, Pipeline p) throws InterruptedException {
        for (int attempt = 0; ; attempt++) {
            try {
                dbs.services().connect().restart(p.sourceName);
                System.out.println("[ChangeShapesIT] restarted " + p.sourceName);
                return;
            } catch (RuntimeException e) {
                if (attempt == 20) {
                    throw e;
                }
                Thread.sleep(500);
            }
        }
    }

    private static Pipeline pipeline(TestDatabases dbs, String name, String converter) throws Exception {
        return pipeline(dbs, name, converter, Map.of());
    }

    private static Pipeline pipeline(TestDatabases dbs, String name, String converter, Map<String, String> sourceSettings) throws Exception {
        Pipeline p = new Pipeline(dbs, name);
        p.both("CREATE TABLE IF NOT EXISTS loose (n int, label text, at timestamptz)",
                "CREATE TABLE IF NOT EXISTS defaults (id int PRIMARY KEY, status text DEFAULT 'new', n int DEFAULT 7, ok boolean DEFAULT true)",
                "CREATE TABLE IF NOT EXISTS wide (id int PRIMARY KEY, note text, big text, blob bytea, doc jsonb, ints int[], longs bigint[], "
                        + "words text[])",
                "CREATE TABLE IF NOT EXISTS full_rows (a int, b text, j json, p point)");
        p.both("CREATE EXTENSION IF NOT EXISTS hstore", "CREATE EXTENSION IF NOT EXISTS postgis",
                "CREATE TABLE IF NOT EXISTS more_toast (id int PRIMARY KEY, note text, x xml, h hstore, d date[], u uuid[])",
                // Debezium 3.6.1 alone sends NULL, no placeholder, for unchanged TOASTed values of these types; the
                // template's PgTextConverter carries them as text (here with FULL, in text_types without).
                "CREATE TABLE IF NOT EXISTS full_toast (id int PRIMARY KEY, note text, nums numeric[], g geometry, f float8[])",
                "CREATE TABLE IF NOT EXISTS series (ts timestamptz NOT NULL, dev int NOT NULL, val float8, PRIMARY KEY (dev, ts))",
                "CREATE TABLE IF NOT EXISTS series_log (ts timestamptz NOT NULL, dev int, msg text)",
                "CREATE TABLE IF NOT EXISTS trunc (id int PRIMARY KEY, v text)",
                // Types Debezium alone loses (unchanged TOAST as NULL, varbit's leading zeros, geometric types and
                // pg_lsn, tsquery, multiranges left out of its events) on a table with the default replica identity.
                "CREATE TABLE IF NOT EXISTS text_types (id int PRIMARY KEY, note text, nums numeric[], g geometry, gg geography, "
                        + "f float8[], b boolean[], tz timestamptz[], tt timetz[], vb varbit, poly polygon, pth path, bx box, "
                        + "lsn pg_lsn, q tsquery, mr int4multirange, c circle, ls lseg, ln line)");
        // User-defined types: a composite (Debezium alone sends it as raw bytes), an enum, a domain, a range type.
        p.both("DO $$ BEGIN CREATE TYPE address AS (n int, street text, geo point); EXCEPTION WHEN duplicate_object THEN NULL; END $$",
                "DO $$ BEGIN CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy'); EXCEPTION WHEN duplicate_object THEN NULL; END $$",
                "DO $$ BEGIN CREATE DOMAIN price AS numeric(10,2) CHECK (VALUE >= 0); EXCEPTION WHEN duplicate_object THEN NULL; END $$",
                "DO $$ BEGIN CREATE TYPE floatrange AS RANGE (subtype = float8); EXCEPTION WHEN duplicate_object THEN NULL; END $$",
                // Domains over types Debezium would send as raw bytes, leave out, or send without an unchanged value's placeholder.
                "DO $$ BEGIN CREATE DOMAIN tabref AS regclass; EXCEPTION WHEN duplicate_object THEN NULL; END $$",
                "DO $$ BEGIN CREATE DOMAIN shape AS polygon; EXCEPTION WHEN duplicate_object THEN NULL; END $$",
                "DO $$ BEGIN CREATE DOMAIN ints AS int4[]; EXCEPTION WHEN duplicate_object THEN NULL; END $$",
                "CREATE TABLE IF NOT EXISTS user_types (id int PRIMARY KEY, addr address, addrs address[], m mood, moods mood[], p price, "
                        + "fr floatrange, note text, tr tabref, sh shape, iv ints)");
        // No primary key; its replica identity is a unique index (the old row of an update or delete carries only that index's columns).
        p.both("CREATE TABLE IF NOT EXISTS ri_index (a int NOT NULL, b text NOT NULL, v text, big text, CONSTRAINT ri_index_ab UNIQUE (a, b))");
        // Identity columns (GENERATED ALWAYS refuses values in INSERT and UPDATE): keyed, and keyless with REPLICA IDENTITY FULL.
        p.both("CREATE TABLE IF NOT EXISTS idt (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, code int GENERATED BY DEFAULT AS IDENTITY, v text)",
                "CREATE TABLE IF NOT EXISTS idlog (id bigint GENERATED ALWAYS AS IDENTITY, v text, big text)");
        p.source("ALTER TABLE idlog REPLICA IDENTITY FULL", "ALTER TABLE idlog ALTER big SET STORAGE EXTERNAL");
        // A foreign key between two tables that TRUNCATE empties together (CASCADE, and both named).
        p.both("CREATE TABLE IF NOT EXISTS fk_parent (id int PRIMARY KEY, v text)",
                "CREATE TABLE IF NOT EXISTS fk_child (id int PRIMARY KEY, parent int REFERENCES fk_parent (id), v text)");
        // A deferrable unique position: one statement reverses the order of more rows than a batch holds.
        p.both("CREATE TABLE IF NOT EXISTS ranked (id int PRIMARY KEY, pos int NOT NULL, CONSTRAINT ranked_pos UNIQUE (pos) DEFERRABLE)");
        // A deferrable primary key (REPLICA IDENTITY FULL, as PostgreSQL cannot use it as identity): one statement renumbers
        // every key, rows moving onto keys whose rows have not moved yet, over several batches; some values TOASTed.
        p.both("CREATE TABLE IF NOT EXISTS renumbered (id int PRIMARY KEY DEFERRABLE, v text, big text)");
        p.source("ALTER TABLE renumbered REPLICA IDENTITY FULL", "ALTER TABLE renumbered ALTER big SET STORAGE EXTERNAL");
        // No primary key, two unique indexes, REPLICA IDENTITY FULL (check's fix when the identity was one of them):
        // Debezium keys by one index, updates change either.
        p.both("CREATE TABLE IF NOT EXISTS two_uniq (a int NOT NULL, b int NOT NULL, v text, CONSTRAINT two_uniq_a UNIQUE (a), CONSTRAINT two_uniq_b UNIQUE (b))");
        p.source("ALTER TABLE two_uniq REPLICA IDENTITY FULL");
        // Rows of megabytes (documents, images): their change events are larger than Kafka's 1 MiB default.
        p.both("CREATE TABLE IF NOT EXISTS docs (id int PRIMARY KEY, title text, body text, img bytea)",
                "CREATE TABLE IF NOT EXISTS fulldocs (id int, body text)");
        p.source("ALTER TABLE fulldocs REPLICA IDENTITY FULL");
        p.source("ALTER TABLE ri_index REPLICA IDENTITY USING INDEX ri_index_ab", "ALTER TABLE ri_index ALTER big SET STORAGE EXTERNAL");
        // Declaratively partitioned on the source, one plain table on the target: the events name the root.
        p.source("CREATE TABLE IF NOT EXISTS parted (id int, region int, v text, PRIMARY KEY (id, region)) PARTITION BY LIST (region)",
                "CREATE TABLE IF NOT EXISTS parted_1 PARTITION OF parted FOR VALUES IN (1)",
                "CREATE TABLE IF NOT EXISTS parted_2 PARTITION OF parted FOR VALUES IN (2)");
        p.target("CREATE TABLE IF NOT EXISTS parted (id int, region int, v text, PRIMARY KEY (id, region))",
                "SELECT create_hypertable('series', by_range('ts', INTERVAL '1 day'), if_not_exists => true)",
                "SELECT create_hypertable('series_log', by_range('ts', INTERVAL '1 day'), if_not_exists => true)");
        // Out of line without compression, so the updates below really leave TOASTed values unchanged.
        p.source("ALTER TABLE text_types ALTER nums SET STORAGE EXTERNAL, ALTER g SET STORAGE EXTERNAL, ALTER gg SET STORAGE EXTERNAL, "
                + "ALTER f SET STORAGE EXTERNAL, ALTER b SET STORAGE EXTERNAL, ALTER tz SET STORAGE EXTERNAL, ALTER tt SET STORAGE EXTERNAL, "
                + "ALTER vb SET STORAGE EXTERNAL, ALTER poly SET STORAGE EXTERNAL, ALTER pth SET STORAGE EXTERNAL");
        p.source("ALTER TABLE full_rows REPLICA IDENTITY FULL", "ALTER TABLE full_toast REPLICA IDENTITY FULL", "TRUNCATE " + String.join(", ", TABLES));
        p.target("TRUNCATE " + String.join(", ", TABLES));
        Map<String, String> source = p.sourceConfig();
        // As the bootstrap makes it: partitions publish under their root table.
        String publication = source.get("publication.name");
        p.source("DROP PUBLICATION IF EXISTS " + publication,
                "CREATE PUBLICATION " + publication + " FOR ALL TABLES WITH (publish_via_partition_root = true)");
        source.put("publication.autocreate.mode", "disabled");
        source.put("snapshot.mode", "no_data");
        source.put("provide.transaction.metadata", "true");
        source.put("value.converter", converter);
        source.put("key.converter", converter);
        source.put("value.converter.replace.null.with.default", "false");
        // -Dtsmigrate.it.sourceClass=io.debezium.connector.postgresql.PostgresConnector shows what Debezium alone does.
        source.put("connector.class", System.getProperty("tsmigrate.it.sourceClass", source.get("connector.class")));
        source.putAll(sourceSettings);
        p.startSource(source);
        Map<String, String> sink = p.sinkConfig();
        sink.put("value.converter", converter);
        sink.put("key.converter", converter);
        sink.put("value.converter.replace.null.with.default", "false");
        // Transactions below are larger than a batch.
        sink.put("batch.size", "1000");
        sink.put("topics.regex", java.util.regex.Pattern.quote(p.prefix) + "\\.public\\..*");
        p.startSink(sink);
        return p;
    }

    /** Something to do between the COPYs and the rest of the changes. */
    private interface Step {
        void run() throws Exception;
    }

    private static void changes(Pipeline p, Random random, Step afterCopies) throws Exception {
        int rows = 3000 + random.nextInt(3000);
        // COPY and multi-row INSERT into a table without a key: many changes share one WAL record.
        StringBuilder copy = new StringBuilder();
        for (int i = 1; i <= rows; i++) {
            copy.append(i % 50).append("\tcopied ").append(i % 17).append("\t2026-01-01 00:00:00+00\n");
        }
        try (java.sql.Connection c = p.dbs.openSource()) {
            new org.postgresql.copy.CopyManager(c.unwrap(org.postgresql.core.BaseConnection.class))
                    .copyIn("COPY loose FROM STDIN", new java.io.StringReader(copy.toString()));
        }
        p.source("INSERT INTO loose SELECT i, 'multi ' || i, now() FROM generate_series(1, 2000) i",
                "INSERT INTO loose SELECT 1, 'same', '2026-01-01' FROM generate_series(1, 500)");
        // Explicit NULLs in columns that have defaults, and absent values that take them.
        p.source("INSERT INTO defaults VALUES (1, NULL, NULL, NULL), (2, 'set', 3, false)",
                "INSERT INTO defaults (id) VALUES (3)",
                "UPDATE defaults SET status = NULL, n = NULL WHERE id = 2");
        afterCopies.run();
        // Large TOASTed values of several types, then updates that leave them unchanged, then key changes.
        p.source("INSERT INTO wide SELECT i, 'n' || i, r.hex, decode(r.hex, 'hex'), jsonb_build_object('k', r.hex), "
                        + "(SELECT array_agg((random() * 2e9 - 1e9)::int) FROM generate_series(1, 3000) WHERE i > 0), "
                        + "(SELECT array_agg((random() * 9e18)::bigint) FROM generate_series(1, 2000) WHERE i > 0), "
                        + "(SELECT array_agg(md5(random()::text)) FROM generate_series(1, 400) WHERE i > 0) "
                        + "FROM generate_series(1, 40) i, LATERAL (SELECT string_agg(md5(random()::text), '') AS hex FROM generate_series(1, 200) WHERE i > 0) r",
                "UPDATE wide SET note = 'touched' WHERE id % 2 = 0",
                "UPDATE wide SET id = id + 1000 WHERE id % 5 = 0",
                "BEGIN; UPDATE wide SET note = 'moved twice' WHERE id = 1; UPDATE wide SET id = 2001 WHERE id = 1; COMMIT");
        // A keyless REPLICA IDENTITY FULL table: identical rows change one for one; NULL matches NULL; json and point match.
        p.source("INSERT INTO full_rows SELECT i % 10, CASE WHEN i % 3 = 0 THEN NULL ELSE 'b' || (i % 4) END, "
                        + "json_build_object('i', i % 10), point(i % 10, 1) FROM generate_series(1, 300) i",
                "UPDATE full_rows SET b = 'changed' WHERE a = 3",
                "DELETE FROM full_rows WHERE a = 4 AND b IS NULL",
                "WITH one AS (SELECT ctid FROM full_rows WHERE a = 5 LIMIT 1) DELETE FROM full_rows WHERE ctid IN (SELECT ctid FROM one)",
                "UPDATE full_rows SET a = 50 WHERE ctid = (SELECT ctid FROM full_rows WHERE a = 6 LIMIT 1)");
        // More TOASTed types left unchanged by updates and key changes: with placeholders (xml, hstore, date[], uuid[]),
        // and without (numeric[], geometry, float8[]: REPLICA IDENTITY FULL).
        p.source("INSERT INTO more_toast SELECT i, 'n', ('<r>' || r.hex || '</r>')::xml, "
                        + "(SELECT hstore(array_agg('k' || j), array_agg(md5(j::text || i))) FROM generate_series(1, 300) j), "
                        + "(SELECT array_agg(DATE '2020-01-01' + (random() * 1000)::int) FROM generate_series(1, 3000) WHERE i > 0), "
                        + "(SELECT array_agg(gen_random_uuid()) FROM generate_series(1, 1000) WHERE i > 0) "
                        + "FROM generate_series(1, 20) i, LATERAL (SELECT string_agg(md5(random()::text), '') AS hex FROM generate_series(1, 200) WHERE i > 0) r",
                "INSERT INTO full_toast SELECT i, 'n', (SELECT array_agg(round((random() * 1e6)::numeric, 3)) FROM generate_series(1, 2000) WHERE i > 0), "
                        + "(SELECT ST_MakeLine(array_agg(ST_MakePoint(j, j * i))) FROM generate_series(1, 2000) j), "
                        + "(SELECT array_agg(random()) FROM generate_series(1, 3000) WHERE i > 0) FROM generate_series(1, 20) i",
                "UPDATE more_toast SET note = 'touched' WHERE id % 2 = 0",
                "UPDATE more_toast SET id = id + 100 WHERE id % 3 = 0",
                "UPDATE full_toast SET note = 'touched' WHERE id % 2 = 0",
                "UPDATE full_toast SET id = id + 100 WHERE id % 3 = 0");
        // The same without FULL, through the converter; small values, NULLs and leading zeros too.
        p.source("INSERT INTO text_types SELECT i, 'n', (SELECT array_agg(round((random() * 1e6)::numeric, 3)) FROM generate_series(1, 2000) WHERE i > 0), "
                        + "(SELECT ST_SetSRID(ST_MakeLine(array_agg(ST_MakePoint(j, j * i))), 4326) FROM generate_series(1, 2000) j), "
                        + "(SELECT ST_MakeLine(array_agg(ST_MakePoint(j % 179, (j * i) % 89)))::geography FROM generate_series(1, 2000) j), "
                        + "(SELECT array_agg(random()) FROM generate_series(1, 3000) WHERE i > 0), "
                        + "(SELECT array_agg(random() < 0.5) FROM generate_series(1, 5000) WHERE i > 0), "
                        + "(SELECT array_agg(now() - random() * INTERVAL '900 days') FROM generate_series(1, 2000) WHERE i > 0), "
                        + "(SELECT array_agg(('12:00:00' || CASE WHEN j % 2 = 0 THEN '+14' ELSE '-03:30' END)::timetz) FROM generate_series(1, 2000) j), "
                        + "(SELECT string_agg(CASE WHEN random() < 0.5 THEN '0' ELSE '1' END, '')::varbit FROM generate_series(1, 40000) WHERE i > 0), "
                        + "(SELECT ('(' || string_agg(j || ',' || (j * i % 97), '),(') || ')')::polygon FROM generate_series(1, 1000) j), "
                        + "(SELECT ('[(' || string_agg(j || ',' || (j * i % 89), '),(') || ')]')::path FROM generate_series(1, 1000) j), "
                        + "box(point(i, 0), point(0, i)), ('0/' || to_hex(i * 4096))::pg_lsn, to_tsquery('simple', 'a' || i || ' & b'), "
                        + "int4multirange(int4range(1, i), int4range(i + 5, i + 9)), circle(point(i, i), 2), lseg(point(0, 0), point(i, 1)), "
                        + "line(point(0, 0), point(i, 1)) FROM generate_series(1, 20) i",
                "INSERT INTO text_types (id, note, vb) VALUES (100, 'small', B'0011'), (101, NULL, B'000'), (102, 'nulls', NULL)",
                "INSERT INTO text_types (id, nums, b, tt) VALUES (103, '{1.50,NULL,NaN}', '{t,NULL,f}', '{\"00:00:00+14\"}')",
                "UPDATE text_types SET note = 'touched' WHERE id % 2 = 0",
                "UPDATE text_types SET id = id + 200 WHERE id % 3 = 0 AND id < 100",
                "UPDATE text_types SET vb = B'0000101' WHERE id = 101");
        // Partitions: rows move between them; deletes.
        p.source("INSERT INTO parted SELECT i, 1 + i % 2, 'p' || i FROM generate_series(1, 400) i",
                "UPDATE parted SET region = 2, v = 'moved' WHERE region = 1 AND id % 4 = 1",
                "DELETE FROM parted WHERE id % 10 = 0");
        // A hypertable with a key: a transaction of several batches, updates that move rows in time (their key),
        // deletes and re-inserts of the deleted keys. A keyless hypertable fed by COPY.
        p.source("BEGIN; INSERT INTO series SELECT '2026-01-01'::timestamptz + i * INTERVAL '1 minute', i % 7, i FROM generate_series(1, 6000) i; "
                        + "UPDATE series SET val = -val WHERE dev = 3; COMMIT",
                "UPDATE series SET ts = ts + INTERVAL '3 days' WHERE dev = 5 AND val < 1000",
                "DELETE FROM series WHERE dev = 6",
                "INSERT INTO series SELECT '2026-01-01'::timestamptz + i * INTERVAL '1 minute', 6, i * 2 FROM generate_series(1, 6000) i WHERE i % 7 = 6");
        StringBuilder log = new StringBuilder();
        for (int i = 0; i < 3000; i++) {
            log.append("2026-01-0").append(1 + i % 5).append(" 00:00:").append(String.format("%02d", i % 60)).append("+00\t").append(i % 9)
                    .append("\tline ").append(i % 13).append('\n');
        }
        try (java.sql.Connection c = p.dbs.openSource()) {
            new org.postgresql.copy.CopyManager(c.unwrap(org.postgresql.core.BaseConnection.class))
                    .copyIn("COPY series_log FROM STDIN", new java.io.StringReader(log.toString()));
        }
        // User-defined types, with quotes, commas and NULLs inside composites; updates and a key change.
        p.source("INSERT INTO user_types VALUES (1, ROW(1, 'Main St, \"A\"', point(1, 2)), ARRAY[ROW(2, NULL, NULL)::address, NULL], 'happy', "
                        + "'{sad,ok}', 12.50, '[1.5,2.5)', 'n'), (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL), "
                        + "(3, ROW(NULL, '', NULL), '{}', 'sad', '{}', 0, 'empty', 'x')",
                "UPDATE user_types SET addr = ROW(9, 'changed', point(0, 0)), m = 'ok' WHERE id = 1",
                "UPDATE user_types SET note = 'touched' WHERE id = 3",
                "UPDATE user_types SET id = 30 WHERE id = 3",
                "UPDATE user_types SET tr = 'trunc', sh = '((0,0),(1,1),(2,0))', iv = '{1,NULL,3}' WHERE id = 1",
                "UPDATE user_types SET tr = 'user_types', iv = '{}' WHERE id = 30");
        // Changes by the replica identity index: values, keys, unchanged TOASTed values, deletes.
        p.source("INSERT INTO ri_index SELECT i % 30, 'k' || (i / 30), 'v' || i, CASE WHEN i % 4 = 0 THEN repeat(md5(i::text), 300) END "
                        + "FROM generate_series(1, 300) i",
                "UPDATE ri_index SET v = 'touched' WHERE a % 3 = 0",
                "UPDATE ri_index SET b = b || '-moved', v = NULL WHERE a % 5 = 1",
                "DELETE FROM ri_index WHERE a % 7 = 2",
                "UPDATE ri_index SET a = a + 100 WHERE a % 11 = 4 AND big IS NOT NULL");
        p.source("INSERT INTO two_uniq SELECT i, i, 'v' FROM generate_series(1, 50) i",
                "UPDATE two_uniq SET v = 'x' WHERE a % 2 = 0", "UPDATE two_uniq SET a = a + 1000 WHERE a % 5 = 0",
                "UPDATE two_uniq SET b = b + 1000 WHERE a % 7 = 0", "DELETE FROM two_uniq WHERE a % 3 = 0");
        p.source("INSERT INTO idt (v) SELECT 'v' || i FROM generate_series(1, 60) i",
                "UPDATE idt SET v = 'touched' WHERE id % 2 = 0", "UPDATE idt SET code = code + 500 WHERE id % 5 = 0",
                "UPDATE idt SET code = DEFAULT WHERE id % 7 = 0", "DELETE FROM idt WHERE id % 3 = 0",
                "INSERT INTO idlog (v, big) SELECT 'v' || (i % 5), CASE WHEN i % 4 = 0 THEN repeat(md5(i::text), 200) END FROM generate_series(1, 60) i",
                "UPDATE idlog SET v = 'touched' WHERE id % 2 = 0", "UPDATE idlog SET id = DEFAULT, v = 'renumbered' WHERE id % 5 = 0",
                "DELETE FROM idlog WHERE id % 3 = 0");
        p.source("INSERT INTO ranked SELECT i, i FROM generate_series(1, 3000) i", "UPDATE ranked SET pos = 3001 - pos",
                "BEGIN; UPDATE ranked SET pos = -pos WHERE id <= 10; UPDATE ranked SET pos = 3000 + id WHERE id > 2990; "
                        + "UPDATE ranked SET pos = -pos + 2990 WHERE id <= 10; COMMIT");
        p.source("INSERT INTO renumbered SELECT i, 'r' || i, CASE WHEN i % 50 = 0 THEN repeat(md5(i::text), 300) END FROM generate_series(1, 2500) i",
                "UPDATE renumbered SET id = id + 1", "UPDATE renumbered SET id = 2502 - id",
                "BEGIN; SET CONSTRAINTS ALL DEFERRED; INSERT INTO renumbered VALUES (5, 'newcomer'); "
                        + "DELETE FROM renumbered WHERE id = 5 AND v <> 'newcomer'; UPDATE renumbered SET id = id + 10000 WHERE id < 3; "
                        + "UPDATE renumbered SET id = id - 10000 WHERE id > 10000; COMMIT",
                "UPDATE renumbered SET v = v || '!' WHERE id % 9 = 0");
        p.source("INSERT INTO fk_parent SELECT i, 'p' FROM generate_series(1, 20) i", "INSERT INTO fk_child SELECT i, 1 + i % 20, 'c' FROM generate_series(1, 50) i",
                "TRUNCATE fk_parent CASCADE", "INSERT INTO fk_parent SELECT i, 'p2' FROM generate_series(1, 10) i",
                "INSERT INTO fk_child SELECT i, 1 + i % 10, 'c2' FROM generate_series(1, 30) i", "TRUNCATE fk_child, fk_parent",
                "INSERT INTO fk_parent VALUES (1, 'last')", "INSERT INTO fk_child VALUES (1, 1, 'last')");
        // A 4 MB text and a 2 MB bytea in one row; updates beside and of them; a 1.5 MB keyless row updated (old and new row in one event).
        p.source("INSERT INTO docs SELECT i, 't', r.hex, decode(r.hex, 'hex') FROM generate_series(1, 2) i, "
                        + "LATERAL (SELECT string_agg(md5(random()::text), '') AS hex FROM generate_series(1, 125000) WHERE i > 0) r",
                "UPDATE docs SET title = 'touched' WHERE id = 1", "UPDATE docs SET body = body || 'more' WHERE id = 2",
                "INSERT INTO fulldocs SELECT 1, string_agg(md5(random()::text), '') FROM generate_series(1, 48000)",
                "UPDATE fulldocs SET body = body || 'more'");
        // TRUNCATE between inserts.
        p.source("INSERT INTO trunc SELECT i, 'v' FROM generate_series(1, 100) i", "TRUNCATE trunc", "INSERT INTO trunc VALUES (1, 'after')");
        // A column added with a default: the rows already there have it too (no row change streams for them).
        p.source("ALTER TABLE trunc ADD COLUMN IF NOT EXISTS extra int DEFAULT 5", "INSERT INTO trunc (id, v) VALUES (2, 'with the new column')");
    }
}
