package io.tsmigrate.common;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The online verification's state tables in the target, in {@link StateStore#SCHEMA} (which the shipped sink
 * template gives as the sink's {@code state.schema}): their one definition. The CLI defines each table's ranges
 * ({@link #VERIFY_RANGES}) and records what it compared ({@link #VERIFIED_RANGES}, {@link #VERIFIED_TABLES}); the sink
 * records, in the transaction of each change, which ranges it changed ({@link #CHANGED_RANGES}, versions from
 * {@link #CHANGE_VERSION}; sink-timescale's {@code ChangeLedger}, which reads the names under its own state schema).
 */
public final class VerificationTables {

    /** Per table: the column its ranges split on, its type, the width and the range key's SQL. */
    public static final String VERIFY_RANGES = StateStore.SCHEMA + ".verify_ranges";
    /** Per range the sink changed: the ledger version of its last change. */
    public static final String CHANGED_RANGES = StateStore.SCHEMA + ".changed_ranges";
    /** The ledger's versions, one per sink transaction that touches a range. */
    public static final String CHANGE_VERSION = StateStore.SCHEMA + ".change_version";
    /** Per range compared: the version compared, the source's row count, whether it was equal (and why not). */
    public static final String VERIFIED_RANGES = StateStore.SCHEMA + ".verified_ranges";
    /** Per table: whether a whole pass completed, and up to which ledger version its changes were compared. */
    public static final String VERIFIED_TABLES = StateStore.SCHEMA + ".verified_tables";

    private VerificationTables() {
    }

    /** Creates the tables that do not exist yet (and columns a previous release lacked). */
    public static void create(Connection target) throws SQLException {
        try (Statement st = target.createStatement()) {
            st.execute("CREATE SCHEMA IF NOT EXISTS " + StateStore.SCHEMA);
            st.execute("CREATE TABLE IF NOT EXISTS " + VERIFY_RANGES + " (table_schema text NOT NULL, table_name text NOT NULL, column_name text, "
                    + "column_type text, width bigint, range_sql text, PRIMARY KEY (table_schema, table_name))");
            st.execute("CREATE SEQUENCE IF NOT EXISTS " + CHANGE_VERSION);
            st.execute("CREATE TABLE IF NOT EXISTS " + CHANGED_RANGES + " (table_schema text NOT NULL, table_name text NOT NULL, "
                    + "range_key text NOT NULL, version bigint NOT NULL, PRIMARY KEY (table_schema, table_name, range_key))");
            st.execute("CREATE TABLE IF NOT EXISTS " + VERIFIED_RANGES + " (table_schema text NOT NULL, table_name text NOT NULL, "
                    + "range_key text NOT NULL, version bigint NOT NULL, source_rows bigint NOT NULL, equal boolean NOT NULL, detail text, "
                    + "source_lsn pg_lsn, verified_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (table_schema, table_name, range_key))");
            st.execute("CREATE TABLE IF NOT EXISTS " + VERIFIED_TABLES + " (table_schema text NOT NULL, table_name text NOT NULL, "
                    + "complete boolean NOT NULL DEFAULT false, whole_version bigint NOT NULL DEFAULT 0, ranges bigint, source_rows bigint, "
                    + "finished_at timestamptz, PRIMARY KEY (table_schema, table_name))");
            // Up to which ledger version every change of a table has been compared (only what is newer is read again).
            st.execute("ALTER TABLE " + VERIFIED_TABLES + " ADD COLUMN IF NOT EXISTS checked_version bigint NOT NULL DEFAULT 0");
            // A partitioned source table's partitions and their storage when its last whole pass began: a partition
            // truncated, attached, detached or dropped changes rows without row changes to stream (RangeState).
            st.execute("ALTER TABLE " + VERIFIED_TABLES + " ADD COLUMN IF NOT EXISTS partitions text");
            st.execute("CREATE INDEX IF NOT EXISTS changed_ranges_version ON " + CHANGED_RANGES + " (table_schema, table_name, version)");
        }
    }

    /** Whether {@link #create} has run in this target database. */
    public static boolean exist(Connection target) throws SQLException {
        return Db.one(target, "SELECT to_regclass('" + VERIFIED_TABLES + "')") != null;
    }
}
