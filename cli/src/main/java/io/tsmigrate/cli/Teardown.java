package io.tsmigrate.cli;

import io.tsmigrate.common.ConnectClient;

import io.tsmigrate.common.Db;
import io.tsmigrate.common.Ident;
import io.tsmigrate.bootstrap.Lanes;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The tear-down ({@code tsmigrate clean}, and the demo's): deletes the connectors (or the embedded cluster), drops the
 * replication slots and publications on the source, and removes tsmigrate's state tables on the target. Migrated data
 * stays.
 */
final class Teardown {

    private final Endpoints endpoints;
    private final Names names;

    Teardown(Endpoints endpoints, Names names) {
        this.endpoints = endpoints;
        this.names = names;
    }

    /**
     * @param ask whether to ask on the terminal first
     * @return 0 when cleaned, 1 when the answer was no
     */
    int run(boolean ask) throws Exception {
        SourceStreams streams = SourceStreams.read(endpoints, names);
        Embedded embedded = endpoints.isEmbedded() ? endpoints.embedded(names) : null;
        if (ask) {
            System.out.print("Delete connectors " + String.join("/", streams.connectors()) + "/" + names.sinkConnector() + ", slot(s) "
                    + String.join(", ", streams.slots()) + ", publication(s) " + String.join(", ", streams.publications())
                    + (embedded != null && embedded.exists() ? ", the embedded Kafka/Connect in " + embedded.dataDir() : "")
                    + " and tsmigrate's state on the target? [y/N] ");
            System.out.flush();
            String answer = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            if (answer == null || !answer.trim().toLowerCase(java.util.Locale.ROOT).startsWith("y")) {
                System.out.println("Nothing changed.");
                return 1;
            }
        }
        if (embedded == null) {
            ConnectClient rest = Cluster.running(endpoints, names).connect();
            rest.delete(names.sinkConnector());
            streams.connectors().forEach(rest::delete);
        } else {
            // The connectors live in the embedded cluster's topics: stopping it and deleting its data removes them.
            embedded.delete();
        }
        List<String> left = new ArrayList<>();
        try (Connection s = endpoints.source().open("tsmigrate-clean"); Statement st = s.createStatement()) {
            for (String slot : streams.slots()) {
                try {
                    Lanes.dropSlot(s, slot);
                } catch (io.tsmigrate.bootstrap.BootstrapException e) {
                    throw new CliException(e.getMessage() + "; and run clean again", e);
                }
            }
            for (String publication : streams.publications()) {
                String owner = Db.one(s, "SELECT pg_get_userbyid(pubowner) FROM pg_publication WHERE pubname = " + Ident.literal(publication)
                        + " AND NOT pg_has_role(current_user, pubowner, 'USAGE')");
                if (owner != null) {
                    // A publication a superuser made for a role with fewer privileges (docs/operations.md, least privilege).
                    String note = "publication " + publication + " belongs to " + owner + ": drop it as " + owner + " with DROP PUBLICATION "
                            + Ident.quote(publication);
                    left.add(publication);
                    System.out.println("NOTE " + note);
                } else {
                    st.execute("DROP PUBLICATION IF EXISTS " + Ident.quote(publication));
                }
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
        List<String> dropped = streams.publications().stream().filter(p -> !left.contains(p)).toList();
        System.out.println("OK   cleaned: connectors, slot " + String.join(", ", streams.slots()) + (dropped.isEmpty() ? "" : ", publication "
                + String.join(", ", dropped)) + ", state on the target" + (embedded != null ? ", embedded Kafka/Connect stopped and deleted" : ""));
        return 0;
    }
}
