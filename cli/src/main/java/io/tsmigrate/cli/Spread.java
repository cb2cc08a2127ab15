package io.tsmigrate.cli;

import io.tsmigrate.common.MigrationScope;
import io.tsmigrate.common.TableSelection;


import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Change topics with several partitions ({@code start --topic-partitions N}), so that several sink tasks, on several
 * workers, share one large table. Records of one key stay in one partition (Kafka partitions by Debezium's record
 * key, the primary key), in order. Only tables for which that order is enough are spread: a primary key that is not
 * deferrable (two rows holding one key for a while must arrive in their order), and no other unique index or exclusion
 * constraint (rows of two partitions could then collide on it while one partition is ahead of the other). Tables without a key (their records have no key, so Kafka would scatter them), and the rest, keep one
 * partition. Across partitions the sink pairs the halves of key changes (sink-timescale's {@code KeyMoves}) and holds
 * a TRUNCATE until every partition reaches it ({@code TruncateBarriers}; the source task sends it to each partition).
 */
final class Spread {

    private Spread() {
    }

    /** The source tables of the migration that may be spread over partitions, as schema and table. */
    static List<String[]> tables(Connection source, String publication) throws SQLException {
        List<String[]> out = new ArrayList<>();
        try (PreparedStatement ps = source.prepareStatement("SELECT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary AND i.indimmediate) "
                + "AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND (i.indisunique OR i.indisexclusion) AND NOT i.indisprimary) "
                + "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relname = ?")) {
            for (String[] t : new MigrationScope(List.of(publication), TableSelection.ALL).tables(source)) {
                ps.setString(1, t[0]);
                ps.setString(2, t[1]);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next() && rs.getBoolean(1)) {
                        out.add(t);
                    }
                }
            }
        }
        return out;
    }

    /** Debezium's topic name for a table: the prefix, schema and table joined by dots, characters Kafka refuses as '_'. */
    static String topic(String prefix, String schema, String table) {
        String raw = prefix + "." + schema + "." + table;
        StringBuilder sb = new StringBuilder(raw.length());
        for (char ch : raw.toCharArray()) {
            boolean valid = ch == '.' || ch == '_' || ch == '-' || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
            sb.append(valid ? ch : '_');
        }
        return sb.toString();
    }

    /** A regular expression matching exactly this topic name (which holds only letters, digits, '.', '_' and '-'). */
    static String exactly(String topic) {
        return topic.replace(".", "\\.").replace("-", "\\-");
    }

    /**
     * Settings added to the source connector's ({@code source}: the template's, whose default topic settings the spread
     * topics share) for {@code partitions} partitions per spread table's topic: Connect's topic creation group
     * {@code spread} (every other topic keeps the template's one partition), and the same topics for tsmigrate's source
     * task, which sends a TRUNCATE of such a table to each partition.
     */
    static Map<String, String> settings(Map<String, String> source, List<String> topics, int partitions) {
        Map<String, String> s = new LinkedHashMap<>();
        if (partitions <= 1 || topics.isEmpty()) {
            return s;
        }
        List<String> regexes = topics.stream().map(Spread::exactly).toList();
        s.put("topic.creation.groups", "spread");
        s.put("topic.creation.spread.include", String.join(",", regexes));
        s.put("topic.creation.spread.partitions", Integer.toString(partitions));
        for (String setting : List.of("replication.factor", "cleanup.policy", "retention.ms")) {
            String value = source.get("topic.creation.default." + setting);
            if (value != null) {
                s.put("topic.creation.spread." + setting, value);
            }
        }
        s.put("tsmigrate.spread.topics", "(?:" + String.join("|", regexes) + ")");
        s.put("tsmigrate.spread.partitions", Integer.toString(partitions));
        return s;
    }

    /**
     * The migration's tables split over its source streams by key (the bootstrap's {@code --split-table}: a table in
     * more than one of the streams' publications, each with a row filter), as schema and table.
     */
    static List<String[]> splitTables(Connection source, List<String> publications) throws SQLException {
        List<String[]> out = new ArrayList<>();
        if (publications.size() < 2) {
            return out;
        }
        try (PreparedStatement ps = source.prepareStatement("SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = ANY(?) "
                + "GROUP BY 1, 2 HAVING count(*) > 1 ORDER BY 1, 2")) {
            ps.setArray(1, source.createArrayOf("text", publications.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new String[] {rs.getString(1), rs.getString(2)});
                }
            }
        }
        return out;
    }

    /**
     * Settings for stream {@code stream} of {@code streams} whose topics {@code topics} carry its share of split tables:
     * the source task sends a TRUNCATE of such a table so that the sink applies it once every stream has reached it.
     */
    static Map<String, String> splitSettings(List<String> topics, int streams, int stream) {
        Map<String, String> s = new LinkedHashMap<>();
        if (topics.isEmpty()) {
            return s;
        }
        s.put("tsmigrate.split.topics", "(?:" + String.join("|", topics.stream().map(Spread::exactly).toList()) + ")");
        s.put("tsmigrate.split.streams", Integer.toString(streams));
        s.put("tsmigrate.split.stream", Integer.toString(stream));
        return s;
    }
}
