package io.tsmigrate.bootstrap;

import io.tsmigrate.common.Check;
import io.tsmigrate.common.Db;
import io.tsmigrate.common.Ident;
import io.tsmigrate.common.MigrationScope;
import io.tsmigrate.common.SourceFacts;
import io.tsmigrate.common.SourceRules;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The bootstrap's preconditions: the source's ({@link SourceRules}) and the target's ({@link TargetChecks}) as
 * {@code tsmigrate check} judges them, and what only the bootstrap knows (enough tables for its source streams, the
 * right to create the publication). Each failure one sentence with the fix; warnings do not stop it.
 */
public final class Preflight {

    record Result(List<String> failures, List<String> warnings) {
    }

    private Preflight() {
    }

    static Result check(Connection source, Connection target, BootstrapPlan plan, List<TableInfo> tables, boolean slotExpected) throws SQLException {
        SourceRules.Streams streams = new SourceRules.Streams(plan.lanes().stream().map(Lanes.Lane::slot).toList(), slotExpected);
        Map<String, String> facts = SourceFacts.read(source, MigrationScope.beforeBootstrap(plan.selection()), streams, false);
        // The bootstrap is not told the source's flavour: the rules' fixes then name Amazon RDS's way too.
        List<Check> checks = new ArrayList<>(SourceRules.evaluate(null, facts, streams));
        String license;
        // Its own session: the probe may load TimescaleDB's library, which would then be the only version this session can create.
        try (Connection probe = plan.target().open("tsmigrate-bootstrap-check")) {
            license = TimescaleFeatures.probeLicense(probe);
        }
        checks.addAll(TargetChecks.evaluate(target, facts, license, plan.slotName(), plan.jobs(), plan.indexJobs()));
        List<String> fail = new ArrayList<>();
        if (plan.sources() > 1) {
            lanes(plan, tables, fail);
        }
        fail.addAll(SplitTables.check(source, tables, plan.splitTables(), plan.sources()));
        publication(source, plan, tables, fail);
        checks.stream().filter(c -> c.status() == Check.Status.FAIL).forEach(c -> fail.add(c.sentence()));
        return new Result(fail, checks.stream().filter(c -> c.status() == Check.Status.WARN).map(Check::sentence).toList());
    }

    /** K source streams need a table each; a TimescaleDB source's hypertables all go to the first. */
    private static void lanes(BootstrapPlan plan, List<TableInfo> tables, List<String> fail) {
        List<List<TableInfo>> split = Lanes.split(tables, plan.sources(), SplitTables.ids(plan.splitTables()));
        if (split.stream().anyMatch(List::isEmpty)) {
            long plain = tables.stream().filter(t -> t.sourceTime() == null).count();
            fail.add(plan.sources() + " source streams need a table each, and a TimescaleDB source's hypertables all go to the first; the migration "
                    + "covers " + tables.size() + " table(s), " + plain + " of them not hypertables: use at most " + (plain + (plain < tables.size() ? 1 : 0))
                    + " --sources");
        }
    }

    /** The source user must be able to create the migration's publication, unless it exists already. */
    private static void publication(Connection source, BootstrapPlan plan, List<TableInfo> tables, List<String> fail) throws SQLException {
        if ("1".equals(Db.one(source, "SELECT count(*) FROM pg_publication WHERE pubname = " + Ident.literal(plan.publicationName())))
                || tables.isEmpty()) {
            return;
        }
        // CREATE PUBLICATION ... FOR TABLE needs CREATE on the database and ownership of every table (or a superuser).
        String owned = tables.stream().map(t -> Ident.literal(t.qualified())).collect(Collectors.joining(", "));
        // FOR TABLES IN SCHEMA (a TimescaleDB source's chunks) needs a superuser.
        boolean chunks = tables.stream().anyMatch(t -> t.sourceTime() != null);
        boolean can = "t".equals(Db.one(source, "SELECT rolsuper OR (" + !chunks + " AND has_database_privilege(current_database(), 'CREATE') AND NOT EXISTS ("
                + "SELECT 1 FROM unnest(ARRAY[" + owned + "]::text[]) t(name) WHERE NOT pg_has_role(current_user, (SELECT relowner FROM "
                + "pg_class WHERE oid = t.name::regclass), 'USAGE'))) FROM pg_roles WHERE rolname = current_user"));
        if (!can) {
            fail.add("the source user may not create the publication " + plan.publicationName() + " (that needs CREATE on the database and "
                    + "ownership of every migrated table): have a superuser run "
                    + Bootstrap.publicationSql(plan.publicationName(), tables, Integer.parseInt(Db.one(source, "SHOW server_version_num")))
                    + "; then run again");
        }
    }
}
