package io.tsmigrate.bootstrap;

import io.tsmigrate.common.Ident;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * The source streams of one migration ({@code --sources K}): each its own publication over a disjoint set of the
 * migrated tables, its own replication slot and its own Debezium connector, so K threads decode the source's WAL
 * instead of one (a single Debezium task decodes and serialises every change on one thread). Lane 1 is the slot and
 * publication the migration is named by; lane {@code i} adds {@code _i} to both.
 *
 * <p>All lanes start at the same point, the snapshot's: the lanes' slots are created first, then the slot whose
 * snapshot is copied (lane 1's), and then every other lane's slot is advanced to that slot's consistent point
 * ({@code pg_replication_slot_advance}). A slot streams the transactions that commit at or after its confirmed
 * position, so every lane streams exactly the transactions the copied snapshot does not hold, as lane 1 does.
 */
public final class Lanes {

    /** The most source streams a migration takes. */
    public static final int MAX = 16;

    /**
     * One source stream.
     *
     * @param number      1 to K
     * @param slot        its replication slot
     * @param publication its publication
     */
    public record Lane(int number, String slot, String publication) {
    }

    private Lanes() {
    }

    /** The lanes of a migration whose lane 1 has this slot and publication. */
    public static List<Lane> of(String slot, String publication, int count) {
        List<Lane> lanes = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            lanes.add(i == 1 ? new Lane(1, slot, publication) : new Lane(i, slot + "_" + i, publication + "_" + i));
        }
        return lanes;
    }

    static List<List<TableInfo>> split(List<TableInfo> tables, int count) {
        return split(tables, count, Set.of());
    }

    /**
     * The tables of each lane, balanced by size (largest first, each to the lane with the fewest bytes so far). A
     * TimescaleDB source's hypertables stay in lane 1 with its chunk schema, which only lane 1's publication covers.
     * The tables named in {@code everywhere} ({@link SplitTables}) are in every lane, first, each lane with its share
     * of their rows.
     */
    static List<List<TableInfo>> split(List<TableInfo> tables, int count, Set<String> everywhere) {
        List<List<TableInfo>> lanes = new ArrayList<>();
        long[] bytes = new long[count];
        for (int i = 0; i < count; i++) {
            lanes.add(new ArrayList<>());
        }
        List<TableInfo> bySize = new ArrayList<>(tables);
        bySize.sort(Comparator.comparingLong(TableInfo::bytes).reversed().thenComparing(TableInfo::id));
        for (TableInfo t : bySize) {
            if (everywhere.contains(t.id())) {
                lanes.forEach(l -> l.add(t));
            }
        }
        bySize.removeIf(t -> everywhere.contains(t.id()));
        for (TableInfo t : bySize) {
            if (t.sourceTime() != null) {
                lanes.get(0).add(t);
                bytes[0] += t.bytes();
            }
        }
        for (TableInfo t : bySize) {
            if (t.sourceTime() == null) {
                int least = 0;
                for (int i = 1; i < count; i++) {
                    if (bytes[i] < bytes[least] || (bytes[i] == bytes[least] && lanes.get(i).size() < lanes.get(least).size())) {
                        least = i;
                    }
                }
                lanes.get(least).add(t);
                bytes[least] += Math.max(1, t.bytes());
            }
        }
        return lanes;
    }

    /** Creates the slots of lanes 2..K that do not exist yet (before lane 1's, so each is consistent before it). */
    static void createSlots(Connection source, List<Lane> lanes) throws SQLException {
        try (Statement st = source.createStatement()) {
            for (Lane lane : lanes.subList(1, lanes.size())) {
                if (!exists(st, lane.slot())) {
                    st.execute("SELECT pg_create_logical_replication_slot(" + Ident.literal(lane.slot()) + ", 'pgoutput')");
                }
            }
        }
    }

    /** Moves the slots of lanes 2..K to lane 1's consistent point, where they are still behind it. */
    static void advance(Connection source, List<Lane> lanes, String consistentLsn) throws SQLException {
        try (Statement st = source.createStatement()) {
            for (Lane lane : lanes.subList(1, lanes.size())) {
                String where = " FROM pg_replication_slots WHERE slot_name = " + Ident.literal(lane.slot());
                try (ResultSet rs = st.executeQuery("SELECT confirmed_flush_lsn < " + Ident.literal(consistentLsn) + "::pg_lsn" + where)) {
                    if (!rs.next()) {
                        throw new BootstrapException("the replication slot " + lane.slot() + " of source stream " + lane.number() + " is gone; run the "
                                + "bootstrap with --restart");
                    }
                    if (!rs.getBoolean(1)) {
                        continue;
                    }
                }
                st.execute("SELECT pg_replication_slot_advance(" + Ident.literal(lane.slot()) + ", " + Ident.literal(consistentLsn) + "::pg_lsn)");
            }
        }
    }

    /**
     * Drops the slots and publications of lanes 2..K (when they exist), and with {@code first} lane 1's publication
     * too (never its slot: the snapshot's, which the bootstrap drops itself).
     */
    static void drop(Connection source, List<Lane> lanes, boolean first) throws SQLException, InterruptedException {
        for (Lane lane : lanes) {
            if (lane.number() > 1) {
                dropSlot(source, lane.slot());
            }
            if (lane.number() > 1 || first) {
                try (Statement st = source.createStatement()) {
                    st.execute("DROP PUBLICATION IF EXISTS " + Ident.quote(lane.publication()));
                } catch (SQLException e) {
                    throw new BootstrapException("the publication " + lane.publication() + " cannot be dropped (" + e.getMessage().strip() + "): with "
                            + "several source streams the bootstrap makes each stream's publication itself; drop it as its owner, or use one source "
                            + "stream", e);
                }
            }
        }
    }

    /**
     * Drops a replication slot if it exists, ending the WAL sender (and the bootstrap's snapshot keeper) that holds
     * it and waiting up to 10 s for them to let it go.
     *
     * @throws BootstrapException when it is still held, naming the fix
     */
    public static void dropSlot(Connection source, String slot) throws SQLException, InterruptedException {
        try (Statement st = source.createStatement()) {
            String where = " FROM pg_replication_slots WHERE slot_name = " + Ident.literal(slot);
            st.execute("SELECT pg_terminate_backend(active_pid)" + where + " AND active_pid IS NOT NULL");
            st.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = "
                    + Ident.literal(SnapshotKeeper.applicationName(slot)));
            SQLException last = null;
            for (int i = 0; i < 50; i++) {
                try {
                    st.execute("SELECT pg_drop_replication_slot(slot_name)" + where);
                    return;
                } catch (SQLException stillActive) {
                    last = stillActive;
                    Thread.sleep(200);
                }
            }
            throw new BootstrapException("the replication slot " + slot + " could not be dropped (" + last.getMessage() + "); it keeps WAL on the "
                    + "source until it is: stop what still uses it, then SELECT pg_drop_replication_slot(" + Ident.literal(slot) + ")");
        }
    }

    private static boolean exists(Statement st, String slot) throws SQLException {
        try (ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_replication_slots WHERE slot_name = " + Ident.literal(slot))) {
            rs.next();
            return rs.getInt(1) > 0;
        }
    }
}
