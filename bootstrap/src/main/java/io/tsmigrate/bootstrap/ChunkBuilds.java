package io.tsmigrate.bootstrap;

import io.tsmigrate.common.Db;
import io.tsmigrate.common.Ident;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A hypertable's primary and unique keys and its indexes built chunk by chunk inside the copy, each chunk's right after
 * its rows, in the piece's transaction. TimescaleDB builds a hypertable's key in one statement that takes every chunk
 * in turn under an AccessExclusiveLock, so the biggest table's key was built on one connection after its copy
 * (docs/benchmarks.md); here the copy jobs build the chunks' keys and indexes beside each other while the rest copies.
 *
 * <p>Each chunk gets exactly what TimescaleDB's own build gives it: the key as {@code <chunk id>_<n>_<key>} with
 * {@code n} from TimescaleDB's sequence for chunk constraints, an index as {@code <chunk table>_<index>} (shortened as
 * PostgreSQL shortens names), and their rows in TimescaleDB's catalog ({@code chunk_constraint}, {@code chunk_index}),
 * which it uses to find a chunk's index of a hypertable's (ON CONFLICT, compression, renames, drops). The hypertable's
 * own key or index then comes last with TimescaleDB's utility hook off ({@code timescaledb.restoring} for that one
 * transaction), as pg_restore of a TimescaleDB dump makes it: on the hypertable alone, whose chunks already have theirs
 * ({@link #prepareRoot}, which decides that from the catalog, so a resumed bootstrap decides the same).
 *
 * <p>Only where all of that is known to hold: the hypertable is copied straight into its chunks (every piece a chunk
 * span), the target's TimescaleDB has those catalog tables and the bootstrap's role is a superuser (it writes them),
 * the database is UTF8, and the entry is pg_dump's one statement for a primary key, a unique constraint or an index
 * with no tablespace of its own. Anything else (exclusion constraints, foreign keys, checks) is built as before.
 */
final class ChunkBuilds {

    /** A key ({@code key}: its constraint definition, {@code PRIMARY KEY (...)}) or an index ({@code USING ...}). */
    record Build(boolean key, boolean unique, String name, String definition) {
    }

    private static final int NAME_BYTES = 63;
    private static final String NAME = "(\"(?:[^\"]|\"\")+\"|[a-z_][a-z0-9_$]*)";
    private static final Pattern INDEX = Pattern.compile("CREATE (UNIQUE )?INDEX " + NAME + " ON (?:ONLY )?(" + NAME + "\\." + NAME + ") (USING [^;]*);",
            Pattern.DOTALL);
    private static final Pattern KEY = Pattern.compile("ALTER TABLE (?:ONLY )?(" + NAME + "\\." + NAME + ")\\s+ADD CONSTRAINT " + NAME
            + " ((?:PRIMARY KEY|UNIQUE(?: NULLS NOT DISTINCT)?) \\([^;]*);", Pattern.DOTALL);

    private final Map<String, List<Build>> byTable;
    private final Set<String> analyzed;

    private ChunkBuilds(Map<String, List<Build>> byTable, Set<String> analyzed) {
        this.byTable = byTable;
        this.analyzed = analyzed;
    }

    static final ChunkBuilds NONE = new ChunkBuilds(Map.of(), Set.of());

    /** The builds of {@code table}'s chunks (none for a table copied otherwise). */
    List<Build> of(String table) {
        return byTable.getOrDefault(table, List.of());
    }

    /**
     * Whether the copy analyzes each of the table's chunks as soon as its piece is in: every parallel post-data entry of
     * the table (its keys, indexes and checks) is built per chunk in the piece, and the table has no extended
     * statistics, so nothing built later changes what ANALYZE finds; and the target is PostgreSQL 15 or later (the row
     * counts go to the statistics before the ANALYZE: {@code DataCopier}). Analyzed then, a chunk is one autovacuum finds
     * analyzed; left to the end of a long copy, autovacuum analyzes it first and the bootstrap again.
     */
    boolean analyzesChunks(String table) {
        return analyzed.contains(table);
    }

    /**
     * The builds each table's chunks get in the copy.
     *
     * @param entries    the parallel post-data entries, as adapted for hypertables
     * @param spelled    pg_dump's spelling of each copied table's name to its id
     * @param pieces     every piece of the copy (a table qualifies when all of its are chunk spans)
     * @param analyzable the tables without extended statistics ({@link PostDataBuilds#analyzable})
     */
    static ChunkBuilds plan(Connection tgt, List<PostData.Entry> entries, Map<String, String> spelled, List<Piece> pieces, Set<String> analyzable)
            throws SQLException {
        Set<String> spans = pieces.stream().filter(p -> p.span() != null).map(Piece::table).collect(Collectors.toSet());
        spans.removeAll(pieces.stream().filter(p -> p.span() == null).map(Piece::table).collect(Collectors.toSet()));
        if (spans.isEmpty() || !"t".equals(Db.one(tgt, "SELECT to_regclass('_timescaledb_catalog.chunk_index') IS NOT NULL "
                + "AND to_regclass('_timescaledb_catalog.chunk_constraint_name') IS NOT NULL "
                + "AND (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) "
                + "AND pg_catalog.pg_encoding_to_char(encoding) = 'UTF8' FROM pg_catalog.pg_database WHERE datname = current_database()"))) {
            return NONE;
        }
        // TimescaleDB refuses a unique key or index without the time column, a check its hook makes on the hypertable's
        // statement, which runs without the hook here: such an entry is left to TimescaleDB, which refuses it as before.
        Map<String, String> time = new HashMap<>();
        for (Piece p : pieces) {
            if (p.span() != null && spans.contains(p.table()) && !time.containsKey(p.table())) {
                time.put(p.table(), Db.one(tgt, "SELECT pg_catalog.quote_ident(" + Ident.literal(p.span().column()) + ")"));
            }
        }
        Map<String, List<Build>> out = new HashMap<>();
        Set<String> builtLater = new HashSet<>();
        for (PostData.Entry e : entries) {
            String table = spelled.get(PostData.table(e.sql()));
            if (table == null || !spans.contains(table)) {
                continue;
            }
            Build b = parse(e.sql());
            if (b != null && (b.key() || b.unique()) && !PostData.widen(e.sql(), time.get(table)).equals(e.sql())) {
                b = null;
            }
            if (b != null) {
                out.computeIfAbsent(table, k -> new ArrayList<>()).add(b);
            } else {
                builtLater.add(table);
            }
        }
        Set<String> analyzed = DataCopier.handsOverCounts(tgt) ? spans.stream().filter(t -> analyzable.contains(t) && !builtLater.contains(t)).collect(Collectors.toSet()) : Set.of();
        return new ChunkBuilds(out, analyzed);
    }

    /** The build of pg_dump's statement for a key or an index, or null when it is not one built here. */
    static Build parse(String sql) {
        Matcher m = match(sql);
        return m == null ? null : build(m);
    }

    /** pg_dump's statement for a key ({@link #KEY}) or an index ({@link #INDEX}) matched, or null. */
    private static Matcher match(String sql) {
        Matcher k = KEY.matcher(sql);
        if (k.matches()) {
            return k;
        }
        Matcher i = INDEX.matcher(sql);
        return i.matches() ? i : null;
    }

    private static Build build(Matcher m) {
        if (m.pattern() == KEY) {
            String name = unquote(m.group(4));
            // TimescaleDB prefixes the chunk's id and a sequence number: room for both in PostgreSQL's 63 bytes.
            return bytes(name) <= NAME_BYTES - 22 && !m.group(5).contains(" TABLESPACE ") ? new Build(true, false, name, m.group(5)) : null;
        }
        return m.group(6).contains(" TABLESPACE ") ? null : new Build(false, m.group(1) != null, unquote(m.group(2)), m.group(6));
    }

    /** Builds a chunk's keys and indexes inside the caller's transaction, after its rows are in. */
    static void build(Connection tgt, List<Build> builds, ChunkPieces.Chunk chunk) throws SQLException {
        if (builds.isEmpty()) {
            return;
        }
        withoutParallelWorkers(tgt);
        try (Statement st = tgt.createStatement()) {
            for (Build b : builds) {
                String name;
                if (b.key()) {
                    name = chunk.id() + "_" + Db.one(tgt, "SELECT nextval('_timescaledb_catalog.chunk_constraint_name')") + "_" + b.name();
                    st.execute("ALTER TABLE " + chunk.qualified() + " ADD CONSTRAINT " + Ident.quote(name) + " " + b.definition());
                    try (PreparedStatement ps = tgt.prepareStatement("INSERT INTO _timescaledb_catalog.chunk_constraint "
                            + "(chunk_id, dimension_slice_id, constraint_name, hypertable_constraint_name) VALUES (?, NULL, ?, ?)")) {
                        ps.setInt(1, chunk.id());
                        ps.setString(2, name);
                        ps.setString(3, b.name());
                        ps.executeUpdate();
                    }
                } else {
                    name = freeName(tgt, chunk, b.name());
                    st.execute("CREATE " + (b.unique() ? "UNIQUE " : "") + "INDEX " + Ident.quote(name) + " ON " + chunk.qualified() + " " + b.definition());
                }
                try (PreparedStatement ps = tgt.prepareStatement("INSERT INTO _timescaledb_catalog.chunk_index "
                        + "(chunk_id, index_name, hypertable_id, hypertable_index_name) VALUES (?, ?, ?, ?)")) {
                    ps.setInt(1, chunk.id());
                    ps.setString(2, name);
                    ps.setInt(3, chunk.hypertableId());
                    ps.setString(4, b.name());
                    ps.executeUpdate();
                }
            }
        }
    }

    /**
     * For the caller's transaction: its key and index builds run without parallel workers. The bootstrap builds side by
     * side on its {@code --index-jobs} connections (and each copy job its own chunks) while the rest copies, so the
     * target's cores are already busy, and a build's workers only add processes to them (each started, each a share of
     * the sort, the shares merged again): on two cores a build with two workers took 0.55 CPU seconds where it took
     * 0.40 without, and a bootstrap 0.7–4.2 s less target CPU without them (docs/benchmarks.md, "index builds without
     * parallel workers").
     */
    static void withoutParallelWorkers(Connection tx) throws SQLException {
        try (Statement st = tx.createStatement()) {
            st.execute("SELECT pg_catalog.set_config('max_parallel_maintenance_workers', '0', true)");
        }
    }

    /**
     * Inside the transaction of a post-data entry, before it runs: when the entry's hypertable has chunks that already
     * carry its build, turns TimescaleDB's utility hook off for the transaction, so the statement makes the
     * hypertable's own key or index only. Refuses a hypertable whose chunks carry it only in part.
     */
    static void prepareRoot(Connection tx, String sql) throws SQLException {
        Matcher m = match(sql);
        Build b = m == null ? null : build(m);
        if (b == null) {
            return;
        }
        String schema = unquote(b.key() ? m.group(2) : m.group(4));
        String table = unquote(b.key() ? m.group(3) : m.group(5));
        if (!"t".equals(Db.one(tx, "SELECT CASE WHEN to_regclass('_timescaledb_catalog.chunk_index') IS NULL THEN false "
                + "ELSE has_table_privilege('_timescaledb_catalog.chunk_index', 'SELECT') AND has_table_privilege('_timescaledb_catalog.chunk', 'SELECT') "
                + "AND has_table_privilege('_timescaledb_catalog.hypertable', 'SELECT') END"))) {
            return;
        }
        try (PreparedStatement ps = tx.prepareStatement("SELECT count(*), count(x.chunk_id) FROM _timescaledb_catalog.hypertable h "
                + "JOIN _timescaledb_catalog.chunk c ON c.hypertable_id = h.id AND NOT c.dropped "
                + "LEFT JOIN _timescaledb_catalog.chunk_index x ON x.chunk_id = c.id AND x.hypertable_index_name = ? "
                + "WHERE h.schema_name = ? AND h.table_name = ?")) {
            ps.setString(1, b.name());
            ps.setString(2, schema);
            ps.setString(3, table);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                long chunks = rs.getLong(1);
                long built = rs.getLong(2);
                if (built == 0) {
                    return;
                }
                if (built != chunks) {
                    throw new SQLException(b.name() + " of " + schema + "." + table + " is built on " + built + " of its " + chunks
                            + " chunks only (their keys and indexes are built with their rows); rerun with --restart to copy it again", "55000");
                }
            }
        }
        try (Statement st = tx.createStatement()) {
            st.execute("SELECT pg_catalog.set_config('timescaledb.restoring', 'on', true)");
        }
    }

    /**
     * TimescaleDB's name for a chunk's index: {@code <chunk table>_<index>}, the longer part shortened to fit as
     * PostgreSQL's makeObjectName does, and a number added while the name is taken in the chunk's schema.
     */
    private static String freeName(Connection tgt, ChunkPieces.Chunk chunk, String index) throws SQLException {
        for (int n = 0; ; n++) {
            String name = objectName(chunk.table(), index, n == 0 ? null : String.valueOf(n));
            if (Db.one(tgt, "SELECT to_regclass(" + Ident.literal(Ident.qualified(chunk.schema(), name)) + ")") == null) {
                return name;
            }
        }
    }

    /** PostgreSQL's makeObjectName: {@code name1_name2[_label]}, the longer of the two names shortened to fit 63 bytes. */
    static String objectName(String name1, String name2, String label) {
        byte[] a = name1.getBytes(StandardCharsets.UTF_8);
        byte[] b = name2.getBytes(StandardCharsets.UTF_8);
        int overhead = 1 + (label == null ? 0 : label.length() + 1);
        int room = NAME_BYTES - overhead;
        int la = a.length;
        int lb = b.length;
        while (la + lb > room) {
            if (la > lb) {
                la--;
            } else {
                lb--;
            }
        }
        return clip(a, la) + "_" + clip(b, lb) + (label == null ? "" : "_" + label);
    }

    /** The first {@code n} bytes of UTF-8 text, less a character cut in two (pg_mbcliplen). */
    private static String clip(byte[] utf8, int n) {
        while (n > 0 && n < utf8.length && (utf8[n] & 0xC0) == 0x80) {
            n--;
        }
        return new String(utf8, 0, n, StandardCharsets.UTF_8);
    }

    private static int bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    private static String unquote(String name) {
        return name.startsWith("\"") ? name.substring(1, name.length() - 1).replace("\"\"", "\"") : name;
    }
}
