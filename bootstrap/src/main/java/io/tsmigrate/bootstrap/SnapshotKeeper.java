package io.tsmigrate.bootstrap;

import io.tsmigrate.common.StateStore;
import io.tsmigrate.common.Db;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;

/**
 * A small process that creates the logical replication slot with an exported snapshot and keeps its
 * replication connection open, idle, while the copy workers import the snapshot. The bootstrap starts it before the
 * schema copy, so its JVM starts and connects beside that; it makes the slot when the bootstrap writes {@link #GO}
 * to its input, and ends having made nothing when its input ends first. It runs apart from the
 * bootstrap so that a bootstrap killed in the middle of the copy can be rerun against the same snapshot
 * (PostgreSQL keeps an exported snapshot only while its connection is idle and open). It writes the slot,
 * the consistent point and the snapshot name into the target's state, then waits until the state leaves
 * the COPYING phase (or disappears, or a week passes) and exits, which releases the snapshot; the slot stays.
 *
 * <p>Arguments: source URL, source user, target URL, target user, slot name. Passwords come from the
 * environment variables {@code TSMIGRATE_SOURCE_PASSWORD} and {@code TSMIGRATE_TARGET_PASSWORD}.
 */
public final class SnapshotKeeper {

    static final String APPLICATION_NAME = "tsmigrate-snapshot-keeper";
    /** What the bootstrap writes to the keeper's input when the slot is due. */
    static final byte[] GO = {'g', 'o', '\n'};

    /**
     * The application name of the keeper of this slot's snapshot, so that ending one migration's keeper leaves
     * other migrations' alone (PostgreSQL keeps its first 63 bytes).
     */
    public static String applicationName(String slot) {
        return APPLICATION_NAME + " " + slot;
    }

    private SnapshotKeeper() {
    }

    public static void main(String[] args) throws Exception {
        Db source = new Db(args[0], args[1].isEmpty() ? null : args[1], System.getenv("TSMIGRATE_SOURCE_PASSWORD"));
        Db target = new Db(args[2], args[3].isEmpty() ? null : args[3], System.getenv("TSMIGRATE_TARGET_PASSWORD"));
        String slot = args[4];
        String publication = args[5];
        try (Connection replication = source.openReplication(applicationName(slot)); Connection state = target.open(applicationName(slot))) {
            if (!java.util.Arrays.equals(System.in.readNBytes(GO.length), GO)) {
                return;
            }
            String[] created = createSlot(replication, slot);
            StateStore.slot(state, slot, publication, created[0], created[1]);
            System.out.println("SNAPSHOT " + created[1] + " LSN " + created[0]);
            System.out.flush();
            Instant limit = Instant.now().plus(Duration.ofDays(7));
            while (Instant.now().isBefore(limit)) {
                StateStore.State s = StateStore.load(state);
                if (s == null || s.phase() != StateStore.Phase.COPYING || !created[1].equals(s.snapshotName())) {
                    return;
                }
                Thread.sleep(1000);
            }
        } catch (SQLException e) {
            System.err.println("snapshot keeper: " + e.getMessage());
            System.exit(1);
        }
    }

    /** Creates the slot; returns its consistent point and exported snapshot name. */
    static String[] createSlot(Connection replication, String slot) throws SQLException {
        int version = replication.getMetaData().getDatabaseMajorVersion();
        // PostgreSQL 15 takes the new option syntax; older servers the old keyword.
        String sql = version >= 15 ? "CREATE_REPLICATION_SLOT " + slot + " LOGICAL pgoutput (SNAPSHOT 'export')"
                : "CREATE_REPLICATION_SLOT " + slot + " LOGICAL pgoutput EXPORT_SNAPSHOT";
        try (Statement st = replication.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return new String[] {rs.getString("consistent_point"), rs.getString("snapshot_name")};
        }
    }
}
