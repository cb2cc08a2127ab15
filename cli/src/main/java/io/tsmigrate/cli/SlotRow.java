package io.tsmigrate.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * The migration slot's row of {@code pg_replication_slots}, read whole as JSON so that columns newer servers add
 * ({@code wal_status}, {@code safe_wal_size}, {@code invalidation_reason}) are there where they exist, plus
 * {@code lag} (bytes behind the confirmed position), {@code retained} (WAL held from the restart position) and
 * {@code keep} ({@code max_slot_wal_keep_size}). The one place that decides whether a slot is lost.
 */
final class SlotRow {

    private static final ObjectMapper JSON = new ObjectMapper();

    private SlotRow() {
    }

    /** The slot's row, or null when there is no such slot. */
    static JsonNode read(Connection source, String slot) throws SQLException {
        try (var ps = source.prepareStatement("SELECT to_jsonb(r) || jsonb_build_object('lag', pg_wal_lsn_diff(pg_current_wal_lsn(), r.confirmed_flush_lsn)::bigint, "
                + "'retained', pg_wal_lsn_diff(pg_current_wal_lsn(), r.restart_lsn)::bigint, 'keep', current_setting('max_slot_wal_keep_size')) "
                + "FROM pg_replication_slots r WHERE slot_name = ?")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? JSON.readTree(rs.getString(1)) : null;
            }
        } catch (IOException e) {
            throw new SQLException("unreadable row of slot " + slot, e);
        }
    }

    /** Whether the server invalidated the slot (its WAL removed, or a conflict): it can never stream again. */
    static boolean lost(JsonNode row) {
        return "lost".equals(row.path("wal_status").asText("")) || row.path("invalidation_reason").isTextual();
    }

    /** Why the slot was invalidated, as the server says, or null. */
    static String reason(JsonNode row) {
        return row.path("invalidation_reason").isTextual() ? row.path("invalidation_reason").asText() : null;
    }
}
