package io.tsmigrate.cli;

import io.tsmigrate.common.Db;
import io.tsmigrate.testkit.Digest;
import io.tsmigrate.testkit.PgEndpoint;
import io.tsmigrate.testkit.Services;
import io.tsmigrate.testkit.ServicesExtension;
import io.tsmigrate.testkit.TestDatabases;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.sql.Connection;
import java.sql.Statement;
import java.util.List;

import static io.tsmigrate.cli.CliIT.args;
import static io.tsmigrate.cli.CliIT.tsmigrate;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A whole migration with exactly the privileges docs/operations.md lists, no superuser on either side: on the
 * source a role with REPLICATION and SELECT (the publication made once by a superuser), on the target the database
 * owner with SET on session_replication_role (the extension created by a superuser, as TimescaleDB is not a trusted
 * extension). check, migrate under writes, cutover and verify run as those roles; the tables end equal.
 */
@ExtendWith(ServicesExtension.class)
class LeastPrivilegeIT {

    @Test
    @DisplayName("no superuser anywhere: a REPLICATION + SELECT source role and a target database owner migrate a keyed and a keyless table exactly")
    void migration_with_the_documented_privileges_only(TestDatabases dbs) throws Exception {
        PgEndpoint[] pair = CliIT.freshPair(dbs, "lp");
        PgEndpoint srcDb = pair[0];
        PgEndpoint tgtDb = pair[1];
        String suffix = Integer.toHexString(dbs.name().hashCode());
        String reader = "lp_reader_" + suffix;
        String owner = "lp_owner_" + suffix;
        try (Connection c = Services.open(srcDb); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE orders (id bigserial PRIMARY KEY, customer int NOT NULL, total numeric(12,2), note text DEFAULT 'none')");
            st.execute("CREATE TABLE notes (at timestamptz NOT NULL, body text)");
            st.execute("ALTER TABLE notes REPLICA IDENTITY FULL");
            st.execute("INSERT INTO orders (customer, total) SELECT i % 50, i * 1.25 FROM generate_series(1, 3000) i");
            st.execute("INSERT INTO notes SELECT '2026-01-01'::timestamptz + i * INTERVAL '1 minute', 'n' || (i % 7) FROM generate_series(1, 1000) i");
            // A hypertable on the target: its keys and indexes are TimescaleDB's to build for a role that is no superuser.
            st.execute("CREATE TABLE readings (ts timestamptz NOT NULL, dev int NOT NULL, v double precision, PRIMARY KEY (dev, ts))");
            st.execute("CREATE INDEX readings_ts ON readings (ts)");
            st.execute("INSERT INTO readings SELECT '2026-01-01'::timestamptz + i * INTERVAL '10 minutes', i % 3, i FROM generate_series(1, 2000) i");
            // A trigger that stamps every update: fired on the target by the sink, it would make orders differ.
            st.execute("CREATE FUNCTION stamp_note() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.note := coalesce(NEW.note, '') || '+'; "
                    + "RETURN NEW; END $$");
            st.execute("CREATE TRIGGER orders_stamp BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION stamp_note()");
            // Triggers that fire under session_replication_role = replica too: an audit trail kept ALWAYS (on the target it
            // would write each audit row twice, or fail the sink on the audit key) and a stamp kept for replicas only.
            st.execute("CREATE TABLE audit (id bigserial PRIMARY KEY, op text NOT NULL, order_id bigint)");
            st.execute("CREATE FUNCTION audit_order() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO audit (op, order_id) "
                    + "VALUES (TG_OP, NEW.id); RETURN NEW; END $$");
            st.execute("CREATE TRIGGER orders_audit AFTER INSERT OR UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION audit_order()");
            st.execute("ALTER TABLE orders ENABLE ALWAYS TRIGGER orders_audit");
            // A rule kept ALWAYS: like such a trigger, it would write its rows again on the target.
            st.execute("CREATE RULE orders_noted AS ON INSERT TO orders DO ALSO INSERT INTO audit (op, order_id) VALUES ('rule', NEW.id)");
            st.execute("ALTER TABLE orders ENABLE ALWAYS RULE orders_noted");
            st.execute("CREATE FUNCTION stamp_body() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.body := NEW.body || '+'; RETURN NEW; END $$");
            st.execute("CREATE TRIGGER notes_stamp BEFORE INSERT OR UPDATE ON notes FOR EACH ROW EXECUTE FUNCTION stamp_body()");
            st.execute("ALTER TABLE notes ENABLE REPLICA TRIGGER notes_stamp");
            // On the table that becomes a hypertable (TimescaleDB refuses to enable or disable a hypertable's triggers): an
            // ALWAYS one and a disabled one.
            st.execute("CREATE FUNCTION audit_reading() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO audit (op) VALUES ('reading'); "
                    + "RETURN NEW; END $$");
            st.execute("CREATE TRIGGER readings_seen AFTER INSERT ON readings FOR EACH ROW EXECUTE FUNCTION audit_reading()");
            st.execute("ALTER TABLE readings ENABLE ALWAYS TRIGGER readings_seen");
            st.execute("CREATE TRIGGER readings_off AFTER UPDATE ON readings FOR EACH ROW EXECUTE FUNCTION audit_reading()");
            st.execute("ALTER TABLE readings DISABLE TRIGGER readings_off");
            // Row-level security forced on the owner too: on the target it would bind the sink's writes unless its role bypasses it.
            st.execute("CREATE TABLE secured (id int PRIMARY KEY, tenant int NOT NULL, v text)");
            st.execute("ALTER TABLE secured ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY");
            st.execute("CREATE POLICY tenant_one ON secured USING (tenant = 1)");
            st.execute("INSERT INTO secured SELECT i, i % 3, 's' || i FROM generate_series(1, 600) i");
            st.execute("DROP ROLE IF EXISTS " + reader);
            st.execute("CREATE ROLE " + reader + " LOGIN REPLICATION BYPASSRLS");
            st.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO " + reader);
            st.execute("GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO " + reader);
            // Made once by a superuser, as the docs say (a plain role may not publish tables it does not own).
            st.execute("CREATE PUBLICATION lp FOR TABLE orders, notes, readings, secured, audit WITH (publish_via_partition_root = true)");
        }
        try (Connection c = Services.open(tgtDb.withDatabase("postgres")); Statement st = c.createStatement()) {
            dropOwner(st, owner);
            st.execute("CREATE ROLE " + owner + " LOGIN");
            st.execute("ALTER DATABASE " + tgtDb.database() + " OWNER TO " + owner);
        }
        try (Connection c = Services.open(tgtDb); Statement st = c.createStatement()) {
            st.execute("CREATE EXTENSION timescaledb");
        }
        List<String> ep = List.of("--source-url", srcDb.jdbcUrl(), "--source-user", reader, "--target-url", tgtDb.jdbcUrl(), "--target-user", owner,
                "--connect", dbs.services().connectUrl(), "--kafka", dbs.services().kafkaBootstrap(), "--name", "lp");
        try {
            // Without the privilege the sink would apply with the trigger on: check says so, with the grant that fixes it.
            CliIT.Run warned = tsmigrate(args(ep, "check"));
            assertThat(warned.out()).contains("WARN target   triggers").contains("public.orders orders_stamp")
                    .contains("GRANT SET ON PARAMETER session_replication_role")
                    .contains("FAIL target   row-level security").contains("FORCE ROW LEVEL SECURITY on public.secured")
                    .contains("ALTER ROLE <the target user> BYPASSRLS");
            try (Connection c = Services.open(tgtDb.withDatabase("postgres")); Statement st = c.createStatement()) {
                st.execute("GRANT SET ON PARAMETER session_replication_role TO " + owner);
                st.execute("ALTER ROLE " + owner + " BYPASSRLS");
            }
            CliIT.Run check = tsmigrate(args(ep, "check"));
            assertThat(check.code()).as(check.out()).isZero();
            assertThat(check.out()).contains("OK   target   triggers");
            CliIT.Run migrate = tsmigrate(args(ep, "migrate", "--pg-bin", dbs.services().pgBin().orElseThrow().toString(),
                    "--hypertable", "public.readings:ts:1day"));
            System.out.println(migrate.out());
            assertThat(migrate.code()).as(migrate.out()).isZero();
            assertThat(migrate.out()).contains("Triggers and rules disabled on the target until cutover").contains("public.notes notes_stamp (ENABLE REPLICA)")
                    .contains("public.orders orders_audit (ENABLE ALWAYS)").doesNotContain("orders_stamp (")
                    .contains("public.orders orders_noted (rule, ENABLE ALWAYS)")
                    .contains("WARN trigger readings readings_seen is set ENABLE ALWAYS on the source").contains("created plainly enabled")
                    .contains("WARN trigger readings readings_off is disabled on the source").contains("to have it after cutover: CREATE TRIGGER readings_off");
            try (Connection c = Services.open(srcDb); Statement st = c.createStatement()) {
                st.execute("INSERT INTO orders (customer, total, note) SELECT i % 50, i, NULL FROM generate_series(1, 500) i");
                st.execute("UPDATE orders SET total = total + 1 WHERE customer = 3");
                st.execute("DELETE FROM orders WHERE customer = 4");
                st.execute("UPDATE notes SET body = 'edited' WHERE body = 'n3'");
                st.execute("DELETE FROM notes WHERE body = 'n5'");
                st.execute("UPDATE readings SET v = -v WHERE dev = 2");
                st.execute("INSERT INTO readings SELECT '2026-03-01'::timestamptz + i * INTERVAL '10 minutes', i % 3, i FROM generate_series(1, 300) i");
                st.execute("INSERT INTO secured SELECT i, i % 3, 'late' FROM generate_series(601, 700) i");
                st.execute("UPDATE secured SET v = 'edited' WHERE id % 5 = 0");
                st.execute("DELETE FROM secured WHERE id % 7 = 0");
            }
            CliIT.Run cutover = tsmigrate(args(ep, "cutover", "--timeout", "120"));
            System.out.println(cutover.out());
            assertThat(cutover.code()).as(cutover.out()).isZero();
            assertThat(cutover.out()).contains("Enabled again on the target public.orders orders_audit (ENABLE ALWAYS)");
            try (Connection s = Services.open(srcDb); Connection t = Services.open(tgtDb)) {
                for (String table : List.of("orders", "notes", "readings", "secured", "audit")) {
                    assertThat(Digest.table(t, "public", table)).as(table).isEqualTo(Digest.table(s, "public", table));
                }
                assertThat(Db.one(t, "SELECT tableowner FROM pg_tables WHERE tablename = 'orders'")).isEqualTo(owner);
                String states = "SELECT string_agg(tgname || ' ' || tgenabled::text, ', ' ORDER BY tgname) FROM pg_trigger WHERE NOT tgisinternal "
                        + "AND tgrelid IN ('orders'::regclass, 'notes'::regclass)";
                assertThat(Db.one(t, states)).as("triggers set back at cutover").isEqualTo(Db.one(s, states))
                        .isEqualTo("notes_stamp R, orders_audit A, orders_stamp O");
                assertThat(Db.one(t, "SELECT string_agg(tgname || ' ' || tgenabled::text, ', ' ORDER BY tgname) FROM pg_trigger WHERE NOT tgisinternal "
                        + "AND tgrelid = 'readings'::regclass AND tgname LIKE 'readings%'")).isEqualTo("readings_seen O");
                String rule = "SELECT ev_enabled::text FROM pg_rewrite WHERE rulename = 'orders_noted'";
                assertThat(Db.one(t, rule)).as("rule set back at cutover").isEqualTo(Db.one(s, rule)).isEqualTo("A");
                assertThat(Db.one(t, "SELECT string_agg(DISTINCT n::text, ',') FROM (SELECT count(*) n FROM _timescaledb_catalog.chunk_index x "
                        + "JOIN _timescaledb_catalog.chunk c ON c.id = x.chunk_id AND NOT c.dropped JOIN _timescaledb_catalog.hypertable h ON h.id = c.hypertable_id "
                        + "WHERE h.table_name = 'readings' GROUP BY x.chunk_id) y")).as("readings' key and index on every chunk").isEqualTo("2");
                // The application's next insert after cutover gets a fresh id.
                assertThat(Db.one(t, "SELECT last_value >= (SELECT max(id) FROM orders) FROM orders_id_seq")).isEqualTo("t");
            }
            // A corrupted target row is found and localised to its key range (keys 0 to 99,999).
            try (Connection t = Services.open(tgtDb); Statement st = t.createStatement()) {
                st.execute("UPDATE orders SET total = -1 WHERE id = 17");
            }
            CliIT.Run verify = tsmigrate(args(ep, "verify"));
            assertThat(verify.code()).as(verify.out()).isEqualTo(1);
            assertThat(verify.out()).contains("public.orders").contains("DIFFERENT: from 0: same count, different rows");
            CliIT.Run clean = tsmigrate(args(ep, "clean", "--yes"));
            assertThat(clean.code()).as(clean.out()).isZero();
            assertThat(clean.out()).contains("NOTE publication lp belongs to postgres: drop it as postgres with DROP PUBLICATION \"lp\"");
        } finally {
            tsmigrate(args(ep, "clean", "--yes"));
            CliIT.dropPair(srcDb, tgtDb);
            try (Connection c = Services.open(srcDb.withDatabase("postgres")); Statement st = c.createStatement()) {
                st.execute("DROP ROLE IF EXISTS " + reader);
            }
            try (Connection c = Services.open(tgtDb.withDatabase("postgres")); Statement st = c.createStatement()) {
                dropOwner(st, owner);
            }
        }
    }

    private static void dropOwner(Statement st, String owner) throws java.sql.SQLException {
        if ("1".equals(Db.one(st.getConnection(), "SELECT count(*) FROM pg_roles WHERE rolname = '" + owner + "'"))) {
            st.execute("REVOKE SET ON PARAMETER session_replication_role FROM " + owner);
            st.execute("DROP ROLE " + owner);
        }
    }
}
