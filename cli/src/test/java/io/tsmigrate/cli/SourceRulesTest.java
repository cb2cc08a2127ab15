package io.tsmigrate.cli;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Source checks per flavour, on facts: Amazon RDS cannot run here, its rules are tested this way. */
class SourceRulesTest {

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
        List<Check> checks = SourceRules.evaluate(SourceRules.Flavour.RDS, f);
        assertThat(find(checks, "rds.logical_replication").status()).isEqualTo(Check.Status.FAIL);
        assertThat(find(checks, "rds.logical_replication").fix()).contains("parameter group");
        assertThat(find(checks, "REPLICATION privilege").fix()).isEqualTo("GRANT rds_replication TO <user>");
        f.put("rds.logical_replication", "on");
        f.put("rds_replication_member", "t");
        assertThat(SourceRules.evaluate(SourceRules.Flavour.RDS, f)).allMatch(c -> c.status() == Check.Status.OK);
    }

    @Test
    void plain_postgres_reports_each_problem_with_its_fix() {
        Map<String, String> f = healthy();
        f.put("wal_level", "replica");
        f.put("slots_used", "10");
        f.put("tables_without_key", "public.log\npublic.audit");
        List<Check> checks = SourceRules.evaluate(SourceRules.Flavour.POSTGRES, f);
        assertThat(find(checks, "wal_level").fix()).contains("wal_level = logical");
        assertThat(find(checks, "replication slots").status()).isEqualTo(Check.Status.FAIL);
        assertThat(find(checks, "REPLICATION privilege").fix()).isEqualTo("ALTER ROLE <user> REPLICATION");
        assertThat(checks).filteredOn(c -> c.name().startsWith("key of")).hasSize(2).allMatch(c -> c.status() == Check.Status.WARN)
                .allMatch(c -> c.detail().contains("insert-only") && c.fix().contains("REPLICA IDENTITY FULL"));
    }

    @Test
    void names_debezium_cannot_stream_fail_and_timetz_warns() {
        Map<String, String> f = healthy();
        f.put("quoted_tables", "public.\"\"\"start\"");
        f.put("quoted_columns", "public.t.\"\"\"wrapped\"\"\"");
        f.put("timetz_columns", "public.shifts.starts");
        f.put("unreadable_sequences", "public.order_ids\nbilling.\"Invoice No\"");
        f.put("compressed_chunks", "7");
        f.put("continuous_aggregates", "public.hourly");
        List<Check> checks = SourceRules.evaluate(SourceRules.Flavour.POSTGRES, f);
        assertThat(find(checks, "name of public.\"\"\"start\"").status()).isEqualTo(Check.Status.FAIL);
        assertThat(find(checks, "name of public.\"\"\"start\"").fix()).contains("RENAME TO");
        assertThat(find(checks, "name of public.t.\"\"\"wrapped\"\"\"").status()).isEqualTo(Check.Status.FAIL);
        assertThat(find(checks, "time with time zone public.shifts.starts").status()).isEqualTo(Check.Status.WARN);
        assertThat(find(checks, "compressed chunks").status()).isEqualTo(Check.Status.WARN);
        assertThat(find(checks, "continuous aggregates").status()).isEqualTo(Check.Status.WARN);
        assertThat(find(checks, "continuous aggregates").detail()).contains("public.hourly").contains("REPLICA IDENTITY FULL");
        assertThat(find(checks, "sequence privileges").fix()).isEqualTo("GRANT SELECT ON SEQUENCE public.order_ids, billing.\"Invoice No\" TO <user>");
    }
}
