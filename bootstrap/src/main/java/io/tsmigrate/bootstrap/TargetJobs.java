package io.tsmigrate.bootstrap;

import io.tsmigrate.common.Db;
import io.tsmigrate.common.Ident;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The target's TimescaleDB jobs at cutover: the bootstrap recreates the source's jobs paused
 * ({@link TimescaleFeatures}) and lists those the source runs; cutover switches them on, each continuing the source
 * job's schedule, and a rollback pauses them again.
 */
public final class TargetJobs {

    /** The list the bootstrap writes ({@code tsmigrate.jobs_to_enable}) and the jobs query, as {@link TimescaleFeatures} has them. */
    private static final String LIST = TimescaleFeatures.TO_ENABLE;
    private static final String JOBS = TimescaleFeatures.POLICY_JOBS;
    private static final String OWNER = TimescaleFeatures.POLICY_OWNER;

    private TargetJobs() {
    }

    /**
     * The list of jobs cutover switches on: the target's job, the source's job whose schedule it continues, and whether
     * cutover switched it on (a rollback pauses exactly those again). Columns added here for a list an older bootstrap made.
     */
    static void createList(Statement st) throws SQLException {
        st.execute("CREATE TABLE IF NOT EXISTS " + LIST + " (job_id int PRIMARY KEY)");
        st.execute("ALTER TABLE " + LIST + " ADD COLUMN IF NOT EXISTS source_job_id int, "
                + "ADD COLUMN IF NOT EXISTS enabled boolean NOT NULL DEFAULT false");
    }

    /** A job as cutover names it: "retention policy of public.metrics (job 1003". */
    private static String describe(ResultSet rs) throws SQLException {
        String proc = rs.getString(2);
        String owner = rs.getString(3) == null ? "" : " of " + rs.getString(3) + "." + rs.getString(4);
        String kind = proc.startsWith("policy_") ? proc.replace("policy_", "").replace('_', ' ') + " policy" : "job " + proc;
        return kind + owner + " (job " + rs.getInt(1);
    }

    /**
     * Switches on the jobs the bootstrap recreated paused (when cutover has made the target the database in use): those
     * whose source job was scheduled ({@code tsmigrate.jobs_to_enable}); a target bootstrapped before that list existed:
     * every paused policy job there. Each continues the source job's schedule: its next start is the source job's when
     * that is still ahead (a job switched on without one runs at once, refreshing, compressing or dropping what the
     * source's job has not yet); a job due on the source runs when switched on. Returns one line per job switched on.
     */
    public static List<String> enable(Connection src, Connection tgt) throws SQLException {
        List<String> out = new ArrayList<>();
        if (!TimescaleFeatures.hasTimescale(tgt)) {
            return out;
        }
        boolean listed = Db.one(tgt, "SELECT to_regclass('" + LIST + "')") != null;
        if (listed) {
            try (Statement st = tgt.createStatement()) {
                createList(st);
            }
        }
        Map<Integer, String> sourceNext = listed && TimescaleFeatures.hasTimescale(src) ? nextStarts(src) : Map.of();
        record Paused(int id, String what, Integer sourceId) {
        }
        List<Paused> jobs = new ArrayList<>();
        try (Statement st = tgt.createStatement(); ResultSet rs = st.executeQuery("SELECT j.job_id, j.proc_name, " + OWNER + ", "
                + (listed ? "(SELECT e.source_job_id FROM " + LIST + " e WHERE e.job_id = j.job_id)" : "NULL::int") + " " + JOBS
                + " AND NOT j.scheduled"
                + (listed ? " AND j.job_id IN (SELECT job_id FROM " + LIST + " WHERE NOT enabled)" : " AND j.proc_name LIKE 'policy%'")
                + " ORDER BY j.job_id")) {
            while (rs.next()) {
                jobs.add(new Paused(rs.getInt(1), describe(rs), (Integer) rs.getObject(5)));
            }
        }
        for (Paused job : jobs) {
            String next = job.sourceId() == null ? null : sourceNext.get(job.sourceId());
            String start = Db.one(tgt, "SELECT next_start::text FROM alter_job(" + job.id() + ", scheduled => true"
                    + (next == null ? "" : ", next_start => " + Ident.literal(next) + "::timestamp AT TIME ZONE 'UTC'") + ")");
            if (listed) {
                try (Statement st = tgt.createStatement()) {
                    st.execute("UPDATE " + LIST + " SET enabled = true WHERE job_id = " + job.id());
                }
            }
            out.add(job.what() + (next == null ? ")" : ", next run " + start + " as on the source)"));
        }
        return out;
    }

    /**
     * Pauses again the jobs cutover switched on (a rollback: the source is the database in use again, and the stream
     * writes to the target), so that the next cutover switches them on with the source's schedule of then.
     */
    public static List<String> pause(Connection tgt) throws SQLException {
        List<String> out = new ArrayList<>();
        if (!TimescaleFeatures.hasTimescale(tgt) || Db.one(tgt, "SELECT to_regclass('" + LIST + "')") == null) {
            return out;
        }
        try (Statement st = tgt.createStatement()) {
            createList(st);
        }
        try (Statement st = tgt.createStatement(); ResultSet rs = st.executeQuery("SELECT j.job_id, j.proc_name, " + OWNER + ", "
                + "alter_job(j.job_id, scheduled => false) " + JOBS + " AND j.job_id IN (SELECT job_id FROM " + LIST + " WHERE enabled) "
                + "ORDER BY j.job_id")) {
            while (rs.next()) {
                out.add(describe(rs) + ")");
            }
        }
        try (Statement st = tgt.createStatement()) {
            st.execute("UPDATE " + LIST + " SET enabled = false WHERE enabled");
        }
        return out;
    }

    /** The source's jobs whose next start is still ahead: job id to that start in UTC, to the microsecond. */
    private static Map<Integer, String> nextStarts(Connection src) throws SQLException {
        Map<Integer, String> next = new LinkedHashMap<>();
        try (Statement st = src.createStatement(); ResultSet rs = st.executeQuery("SELECT job_id, "
                + "to_char(next_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') "
                + "FROM timescaledb_information.jobs WHERE next_start > now() AND next_start < 'infinity'")) {
            while (rs.next()) {
                next.put(rs.getInt(1), rs.getString(2));
            }
        }
        return next;
    }
}
