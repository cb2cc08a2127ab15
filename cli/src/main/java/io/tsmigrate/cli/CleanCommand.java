package io.tsmigrate.cli;

import io.tsmigrate.bootstrap.Ident;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.util.concurrent.Callable;

/** {@code tsmigrate clean}: removes the connectors, the slot, the publication and tsmigrate's state tables. */
@Command(name = "clean", mixinStandardHelpOptions = true, description = "Deletes the connectors, drops the replication slot and the publication on "
        + "the source, and removes tsmigrate's state tables on the target. Migrated data stays.",
        footer = {"%nExample:%n  tsmigrate clean --yes --source-url ... --target-url ... --connect http://connect:8083"})
final class CleanCommand implements Callable<Integer> {

    @Mixin
    Endpoints endpoints;

    @Mixin
    Names names = new Names();

    @Option(names = "--yes", description = "Do not ask for confirmation")
    boolean yes;

    @Override
    public Integer call() throws Exception {
        String slot = names.slot();
        String publication = names.publication();
        Embedded embedded = endpoints.isEmbedded() ? endpoints.embedded(names) : null;
        if (!yes) {
            System.out.print("Delete connectors " + names.sourceConnector() + "/" + names.sinkConnector() + ", slot " + slot + ", publication "
                    + publication + (embedded != null && embedded.exists() ? ", the embedded Kafka/Connect in " + embedded.dataDir() : "")
                    + " and tsmigrate's state on the target? [y/N] ");
            System.out.flush();
            String answer = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            if (answer == null || !answer.trim().toLowerCase(java.util.Locale.ROOT).startsWith("y")) {
                System.out.println("Nothing changed.");
                return 1;
            }
        }
        if (embedded == null) {
            ConnectRest rest = endpoints.connectRest(names);
            rest.delete(names.sinkConnector());
            rest.delete(names.sourceConnector());
        } else {
            // The connectors live in the embedded cluster's topics: stopping it and deleting its data removes them.
            embedded.delete();
        }
        try (Connection s = endpoints.source().open("tsmigrate-clean"); Statement st = s.createStatement()) {
            st.execute("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = " + Ident.literal(slot)
                    + " AND active_pid IS NOT NULL");
            st.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = "
                    + Ident.literal(io.tsmigrate.bootstrap.SnapshotKeeper.applicationName(slot)));
            java.sql.SQLException lastError = null;
            for (int i = 0; i < 50; i++) {
                try {
                    st.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = " + Ident.literal(slot));
                    lastError = null;
                    break;
                } catch (java.sql.SQLException stillActive) {
                    lastError = stillActive;
                    Thread.sleep(200);
                }
            }
            if ("1".equals(CheckCommand.one(s, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = " + Ident.literal(slot)))) {
                throw new CliException("the replication slot " + slot + " could not be dropped" + (lastError == null ? "" : " (" + lastError.getMessage()
                        + ")") + "; it keeps WAL on the source until it is: stop what still uses it, then SELECT pg_drop_replication_slot("
                        + Ident.literal(slot) + "); and run clean again");
            }
            String owner = CheckCommand.one(s, "SELECT pg_get_userbyid(pubowner) FROM pg_publication WHERE pubname = " + Ident.literal(publication)
                    + " AND NOT pg_has_role(current_user, pubowner, 'USAGE')");
            if (owner != null) {
                // A publication a superuser made for a role with fewer privileges (docs/operations.md, least privilege).
                leftPublication = "publication " + publication + " belongs to " + owner + ": drop it as " + owner + " with DROP PUBLICATION "
                        + Ident.quote(publication);
                System.out.println("NOTE " + leftPublication);
            } else {
                st.execute("DROP PUBLICATION IF EXISTS " + Ident.quote(publication));
            }
            for (String table : io.tsmigrate.bootstrap.ContinuousAggregates.restoreReplicaIdentity(s)) {
                System.out.println("Set REPLICA IDENTITY DEFAULT again on the source's " + table);
            }
        }
        try (Connection t = endpoints.target().open("tsmigrate-clean"); Statement st = t.createStatement()) {
            for (String grant : WriteBlock.pendingGrants(t)) {
                System.out.println("NOTE writes stay blocked on the source; to restore them there: " + grant);
            }
            st.execute("DROP SCHEMA IF EXISTS tsmigrate CASCADE");
        }
        System.out.println("OK   cleaned: connectors, slot " + slot + (leftPublication == null ? ", publication " + publication : "") + ", state on the target"
                + (embedded != null ? ", embedded Kafka/Connect stopped and deleted" : ""));
        return 0;
    }

    /** Set when the publication belongs to a role clean's user is not: left for its owner to drop. */
    private String leftPublication;
}
