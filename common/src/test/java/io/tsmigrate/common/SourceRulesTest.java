package io.tsmigrate.common;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Source checks per flavour, on facts: Amazon RDS cannot run here, its rules are tested this way. */
class SourceRulesTest {

    private static final SourceRules.Streams ONE = SourceRules.Streams.one("mig");

    private static Map<String, String> healthy() {
        Map<String, String> f = new HashMap<>();
        f.put("server_version_num", "160004");
        f.put("wal_level", "logical");
        f.put("max_replication_slots", "10");
        f.put("slots_used", "1");
        f.put("max_wal_senders", "10");
        f.put("senders_used", "0");
        f.put("rolreplication", "f");
        f.put("rolsuper", "f");
        return f;
    }

    private static Check find(List<Check> checks, String name) {
        return checks.stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void rds_needs_rds_logical_replication_and_the_rds_replication_role() {
        Map<String, String> f = healthy();
        f.put("rds.logical_replication", "off");
        f.put("rds_replication_member", "f");
        List<Check> checks = SourceRules.evaluate(SourceRules.Flavour.RDS, f, ONE);
        assertThat(find(checks, "rds.logical_replication").status()).isEqualTo(Check.Status.FAIL);
        assertThat(find(checks, "rds.logical_replication").fix()).contains("parameter group");
        assertThat(find(checks, "REPLICATION privilege").fix()).isEqualTo("GRANT rds_replication TO <user>");
        f.put("rds.logical_replication", "on");
        f.put("rds_replication_member", "t");
        assertThat(SourceRules.evaluate(SourceRules.Flavour.RDS, f, ONE)).allMatch(c -> c.status() == Check.Status.OK);
    }

    @Test
    void plain_postgres_reports_each_problem_with_its_fix() {
        Map<String, String> f = healthy();
        f.put("wal_level", "replica");
        f.put("slots_used", "10");
        f.put("tables_without_key", "public.log\npublic.audit");
        List<Check> checks = SourceRules.evaluate(SourceRules.Flavour.POSTGRES, f, ONE);
        assertThat(find(checks, "wal_level").fix()).contains("wal_level = logical");
        assertThat(find(checks, "replication slots").status()).isEqualTo(Check.Status.FAIL);
        assertThat(find(checks, "REPLICATION privilege").fix()).isEqualTo("ALTER ROLE <user> REPLICATION");
        assertThat(checks).filteredOn(c -> c.name().startsWith("key of")).hasSize(2).allMatch(c -> c.status() == Check.Status.WARN)
                .allMatch(c -> c.detail().contains("insert-only") && c.fix().contains("REPLICA IDENTITY FULL"));
        f.put("tables_without_key", "public.ranked\tdeferrable\npublic.quiet\tnothing");
        checks = SourceRules.evaluate(SourceRules.Flavour.POSTGRES, f, ONE);
        assertThat(find(checks, "key of public.ranked").detail()).contains("DEFERRABLE").contains("refuses UPDATE and DELETE");
        assertThat(find(checks, "key of public.ranked").fix()).isEqualTo("ALTER TABLE public.ranked REPLICA IDENTITY FULL before the migration "
                + "(moves of a deferrable key, such as renumbering every key in one statement, then stream exactly)");
        assertThat(find(checks, "key of public.quiet").detail()).contains("REPLICA IDENTITY NOTHING");
    }

    @Test
    void transactions_the_slot_will_wait_for_are_warned_with_their_fix() {
        Map<String, String> f = healthy();
        f.put("open_transactions", "pid 4242 on database app (user etl, application nightly)\t00:12:07\n"
                + "prepared transaction 'tx-1' on database app (owner app)\t2 days 01:00:00");
        List<Check> checks = SourceRules.evaluate(SourceRules.Flavour.POSTGRES, f, ONE);
        Check open = find(checks, "open transaction pid 4242");
        assertThat(open.status()).isEqualTo(Check.Status.WARN);
        assertThat(open.detail()).startsWith("pid 4242 on database app (user etl, application nightly) has had a transaction that writes open for 00:12:07")
                .contains("replication slot");
        assertThat(open.fix()).contains("pg_terminate_backend");
        Check prepared = find(checks, "open transaction prepared transaction 'tx-1'");
        assertThat(prepared.status()).isEqualTo(Check.Status.WARN);
        assertThat(prepared.fix()).isEqualTo("COMMIT PREPARED or ROLLBACK PREPARED it");
    }

    @Test
    void a_replica_identity_index_that_lacks_a_key_column_fails_with_the_fix() {
        Map<String, String> f = healthy();
        f.put("identity_index_outside_key", "public.accounts\taccounts_code\tp\taccounts_pkey\n\"Sales\".\"Orders\"\t\"Orders_ref\"\tu\t\"Orders_no\"");
        List<Check> checks = SourceRules.evaluate(SourceRules.Flavour.POSTGRES, f, ONE);
        Check accounts = find(checks, "replica identity of public.accounts");
        assertThat(accounts.status()).isEqualTo(Check.Status.FAIL);
        assertThat(accounts.detail()).contains("index accounts_code").contains("primary key");
        assertThat(accounts.fix()).startsWith("ALTER TABLE public.accounts REPLICA IDENTITY DEFAULT");
        f.put("unlogged_tables", "public.cache");
        checks = SourceRules.evaluate(SourceRules.Flavour.POSTGRES, f, ONE);
        assertThat(find(checks, "unlogged public.cache").status()).isEqualTo(Check.Status.FAIL);
        assertThat(find(checks, "unlogged public.cache").fix()).startsWith("ALTER TABLE public.cache SET LOGGED").contains("--exclude-table");
        Check orders = find(checks, "replica identity of \"Sales\".\"Orders\"");
        assertThat(orders.status()).isEqualTo(Check.Status.FAIL);
        assertThat(orders.detail()).contains("unique index \"Orders_no\"").contains("no primary key");
        assertThat(orders.fix()).startsWith("ALTER TABLE \"Sales\".\"Orders\" REPLICA IDENTITY FULL").contains("primary key on \"Orders_ref\"'s columns");
    }

    @Test
    void names_debezium_cannot_stream_fail_and_timetz_warns() {
        Map<String, String> f = healthy();
        f.put("quoted_tables", "public.\"\"\"start\"");
        f.put("quoted_columns", "public.t.\"\"\"wrapped\"\"\"");
        f.put("timetz_columns", "public.shifts.starts");
        f.put("reserved_columns", "public.t.__tsm_op");
        f.put("tables_without_columns", "public.hollow");
        f.put("unreadable_sequences", "public.order_ids\nbilling.\"Invoice No\"");
        f.put("compressed_chunks", "7");
        f.put("continuous_aggregates", "public.hourly");
        List<Check> checks = SourceRules.evaluate(SourceRules.Flavour.POSTGRES, f, ONE);
        assertThat(find(checks, "name of public.\"\"\"start\"").status()).isEqualTo(Check.Status.FAIL);
        assertThat(find(checks, "name of public.\"\"\"start\"").fix()).contains("RENAME TO");
        assertThat(find(checks, "name of public.t.\"\"\"wrapped\"\"\"").status()).isEqualTo(Check.Status.FAIL);
        assertThat(find(checks, "name of public.t.__tsm_op").status()).isEqualTo(Check.Status.FAIL);
        assertThat(find(checks, "name of public.t.__tsm_op").fix()).contains("RENAME COLUMN");
        assertThat(find(checks, "no columns in public.hollow").status()).isEqualTo(Check.Status.WARN);
        assertThat(find(checks, "time with time zone public.shifts.starts").status()).isEqualTo(Check.Status.WARN);
        assertThat(find(checks, "compressed chunks").status()).isEqualTo(Check.Status.WARN);
        assertThat(find(checks, "continuous aggregates").status()).isEqualTo(Check.Status.WARN);
        assertThat(find(checks, "continuous aggregates").detail()).contains("public.hourly").contains("REPLICA IDENTITY FULL");
        assertThat(find(checks, "sequence privileges").fix()).isEqualTo("GRANT SELECT ON SEQUENCE public.order_ids, billing.\"Invoice No\" TO <user>");
    }

    @Test
    void several_streams_need_a_slot_and_a_sender_each_and_a_slot_already_there_must_be_explained() {
        Map<String, String> f = healthy();
        f.put("max_replication_slots", "4");
        f.put("slots_used", "2");
        f.put("max_wal_senders", "3");
        f.put("stream_slots_existing", "mig_2");
        SourceRules.Streams three = new SourceRules.Streams(List.of("mig", "mig_2", "mig_3"), false);
        List<Check> checks = SourceRules.evaluate(SourceRules.Flavour.POSTGRES, f, three);
        assertThat(find(checks, "slot mig_2").status()).isEqualTo(Check.Status.FAIL);
        assertThat(find(checks, "slot mig_2").fix()).contains("pg_drop_replication_slot('mig_2')");
        // Two of the three slots are missing and two are free.
        assertThat(find(checks, "replication slots").status()).isEqualTo(Check.Status.OK);
        assertThat(find(checks, "WAL senders").status()).isEqualTo(Check.Status.FAIL);
        assertThat(find(checks, "WAL senders").detail()).contains("4 needed");
        assertThat(find(checks, "WAL senders").fix()).contains("fewer --sources");

        f.put("slots_used", "3");
        f.put("max_wal_senders", "10");
        List<Check> resumed = SourceRules.evaluate(SourceRules.Flavour.POSTGRES, f, new SourceRules.Streams(three.slots(), true));
        assertThat(resumed).noneMatch(c -> c.name().startsWith("slot "));
        assertThat(find(resumed, "replication slots").status()).isEqualTo(Check.Status.FAIL);
        assertThat(find(resumed, "replication slots").detail()).contains("3 source streams need 2 more replication slots; the source has 1 free");
        // Not knowing the target's state is not a reason to refuse a slot that is there.
        assertThat(SourceRules.evaluate(SourceRules.Flavour.POSTGRES, f, new SourceRules.Streams(three.slots(), null)))
                .noneMatch(c -> c.name().startsWith("slot "));
    }

    @Test
    void one_stream_whose_slot_exists_needs_no_free_slot() {
        Map<String, String> f = healthy();
        f.put("slots_used", "10");
        f.put("stream_slots_existing", "mig");
        List<Check> checks = SourceRules.evaluate(SourceRules.Flavour.POSTGRES, f, new SourceRules.Streams(List.of("mig"), true));
        assertThat(find(checks, "replication slots").status()).isEqualTo(Check.Status.OK);
        f.remove("stream_slots_existing");
        assertThat(find(SourceRules.evaluate(SourceRules.Flavour.POSTGRES, f, ONE), "replication slots").detail())
                .isEqualTo("no free replication slot (10 of max_replication_slots=10 in use)");
    }

    @Test
    void a_flavour_not_stated_names_the_rds_way_too_and_takes_rds_replication_membership() {
        Map<String, String> f = healthy();
        f.put("wal_level", "replica");
        List<Check> checks = SourceRules.evaluate(null, f, ONE);
        assertThat(find(checks, "wal_level").detail()).isEqualTo("wal_level=replica, but logical replication needs wal_level=logical");
        assertThat(find(checks, "wal_level").fix()).contains("ALTER SYSTEM SET wal_level = logical").contains("rds.logical_replication=1");
        assertThat(find(checks, "REPLICATION privilege").fix()).contains("ALTER ROLE <user> REPLICATION").contains("GRANT rds_replication");
        f.put("rds_replication_member", "t");
        assertThat(find(SourceRules.evaluate(null, f, ONE), "REPLICATION privilege").status()).isEqualTo(Check.Status.OK);
        assertThat(find(SourceRules.evaluate(SourceRules.Flavour.POSTGRES, f, ONE), "REPLICATION privilege").status()).isEqualTo(Check.Status.FAIL);
    }
}
