package io.tsmigrate.bootstrap;

import io.tsmigrate.common.Ident;

import io.tsmigrate.common.Db;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * A chunk interval derived from the data when the plan gives none: chunks of about 256 MiB of table data
 * (so the recent chunks and their indexes stay in memory), rounded to a familiar unit, at least one hour.
 */
final class ChunkInterval {

    private static final long TARGET_BYTES = 256L << 20;
    private static final long[] UNITS = {3600, 6 * 3600, 86400, 7 * 86400, 30 * 86400, 365 * 86400};
    private static final String[] NAMES = {"1 hour", "6 hours", "1 day", "7 days", "30 days", "365 days"};

    private ChunkInterval() {
    }

    static String derive(Connection src, BootstrapPlan.HypertableSpec h) throws SQLException {
        String table = Ident.qualified(h.schemaName(), h.tableName());
        String col = Ident.quote(h.timeColumn());
        String type = Db.one(src, "SELECT format_type(atttypid, NULL) FROM pg_attribute WHERE attrelid = " + Ident.literal(table)
                + "::regclass AND attname = " + Ident.literal(h.timeColumn()));
        if (type != null && (type.equals("integer") || type.equals("bigint") || type.equals("smallint"))) {
            return "100000";
        }
        String span = Db.one(src, "SELECT extract(epoch FROM (max(" + col + ")::timestamptz - min(" + col + ")::timestamptz))::bigint FROM " + table);
        String bytes = Db.one(src, "SELECT pg_total_relation_size(" + Ident.literal(table) + "::regclass)");
        return pick(span == null ? 0 : Long.parseLong(span), Long.parseLong(bytes));
    }

    /** The interval for data spanning {@code spanSeconds} in {@code bytes}. */
    static String pick(long spanSeconds, long bytes) {
        if (spanSeconds <= 0 || bytes <= 0) {
            return "7 days";
        }
        double ideal = spanSeconds * (double) TARGET_BYTES / bytes;
        for (int i = UNITS.length - 1; i >= 0; i--) {
            if (UNITS[i] <= ideal) {
                return NAMES[i];
            }
        }
        return NAMES[0];
    }
}
