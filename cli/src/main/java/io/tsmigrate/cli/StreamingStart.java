package io.tsmigrate.cli;

import io.tsmigrate.common.StateStore;
import io.tsmigrate.common.ConnectClient;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Streaming started ({@code tsmigrate start}, and {@code migrate}'s third step): the source streams' connectors and
 * the sink's rendered from the templates with the {@link StartOptions}, created fresh after a bootstrap (nothing of
 * an earlier migration under the name may flow in) or updated in place when streaming from this bootstrap started
 * before, and waited for until they run.
 */
final class StreamingStart {

    private final StartOptions options;
    private final Endpoints endpoints;
    private final Names names;

    StreamingStart(StartOptions options, Endpoints endpoints, Names names) {
        this.options = options;
        this.endpoints = endpoints;
        this.names = names;
    }

    /**
     * The source's hypertables by their chunks' schema and name prefix, as the CompressionMoves transform reads them
     * (JSON): it names a chunk's hypertable without asking the source, so the changes of a chunk dropped before
     * Debezium got to them still reach their hypertable. TimescaleDB's internal hypertables are left out.
     */
    static String chunkPrefixes(Endpoints endpoints) {
        try (java.sql.Connection c = endpoints.source().open("tsmigrate-start");
             java.sql.Statement st = c.createStatement()) {
            com.fasterxml.jackson.databind.node.ObjectNode map = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
            try (java.sql.ResultSet ext = st.executeQuery("SELECT count(*) FROM pg_extension WHERE extname = 'timescaledb'")) {
                ext.next();
                if (ext.getInt(1) == 0) {
                    return "{}";
                }
            }
            try (java.sql.ResultSet rs = st.executeQuery("SELECT associated_schema_name, associated_table_prefix, schema_name, table_name "
                    + "FROM _timescaledb_catalog.hypertable WHERE schema_name NOT LIKE '\\_timescaledb%' "
                    // Continuous aggregates' materializations stream too, into the target's hypertables of the same names.
                    + "OR id IN (SELECT mat_hypertable_id FROM _timescaledb_catalog.continuous_agg) ORDER BY id")) {
                while (rs.next()) {
                    map.putArray(rs.getString(1) + "." + rs.getString(2)).add(rs.getString(3)).add(rs.getString(4));
                }
            }
            return map.toString();
        } catch (java.sql.SQLException e) {
            throw new CliException("cannot read the source's hypertables: " + e.getMessage(), e);
        }
    }

    /** Renders and applies the source streams' connectors and the sink's, and waits until they run. */
    void run() {
        ConnectClient rest = Cluster.running(endpoints, names).connect();
        SourceStreams streams = SourceStreams.read(endpoints, names);
        Map<String, String> vars = options.variables(endpoints, names, endpoints.source(), endpoints.target());
        vars.put("TOPIC_REGEX", streams.sinkTopicRegex());
        Map<String, Map<String, String>> sources = new LinkedHashMap<>();
        List<String[]> splitTables = splitTables(endpoints, streams);
        for (SourceStreams.Stream stream : streams.streams()) {
            sources.put(stream.connector(), sourceSettings(endpoints, names, streams.count(), splitTables, stream, vars));
        }
        Map<String, String> sink = Templates.render("sink-timescale", vars);
        sink.putAll(options.converterSettings());
        List<String> connectors = new ArrayList<>(sources.keySet());
        connectors.add(names.sinkConnector());
        String bootstrapLsn = streamingToStart(endpoints, names);
        boolean exist = connectors.stream().anyMatch(rest::exists);
        boolean resume = exist && bootstrapLsn == null;
        String startedAt = exist || bootstrapLsn != null ? null : LostStream.startedAt(endpoints, names);
        if (startedAt != null) {
            // Streaming started before and the connectors are gone: only where Kafka still holds the topics.
            if (!options.recreate) {
                throw LostStream.refusal(endpoints, names, startedAt);
            }
            LostStream.requireTopics(endpoints, names);
            resume = true;
        }
        if (resume) {
            // Streaming from this bootstrap started before: new settings, same positions.
            sources.forEach(rest::put);
            rest.put(names.sinkConnector(), sink);
        } else {
            // The first start after a bootstrap: nothing of an earlier migration under this name (connectors, their
            // stored offsets, topics) may flow into it.
            rest.delete(names.sinkConnector());
            sources.keySet().forEach(rest::delete);
            dropStaleTopics(endpoints, names, streams);
            sources.forEach(rest::createFresh);
            rest.createFresh(names.sinkConnector(), sink);
            if (bootstrapLsn != null) {
                markStarted(endpoints, names, bootstrapLsn);
            }
        }
        for (String connector : connectors) {
            rest.awaitRunning(connector, Duration.ofMinutes(2));
        }
        System.out.println("OK   connectors " + String.join(", ", sources.keySet()) + " and " + names.sinkConnector() + " are RUNNING on " + rest.url()
                + (endpoints.isEmbedded() ? " (embedded)" : ""));
    }

    /** One source stream's connector settings: the flavour's template for its slot, publication and topic prefix. */
    private Map<String, String> sourceSettings(Endpoints endpoints, Names names, int streamCount, List<String[]> splitTables,
                                               SourceStreams.Stream stream, Map<String, String> common) {
        Map<String, String> vars = new LinkedHashMap<>(common);
        vars.put("TOPIC_PREFIX", stream.topicPrefix());
        vars.put("SLOT", stream.slot());
        vars.put("PUBLICATION", stream.publication());
        String template = switch (options.flavour) {
            case "postgres" -> "source-postgres";
            case "timescaledb" -> "source-timescaledb";
            case "rds" -> "source-rds";
            default -> throw new CliException("unknown --flavour '" + options.flavour + "': use postgres, timescaledb or rds");
        };
        Map<String, String> source = Templates.render(template, vars);
        // The source URL's certificates reach Debezium too.
        for (String p : new String[] {"sslrootcert", "sslcert", "sslkey"}) {
            if (endpoints.source().param(p) != null) {
                source.put("database." + p, endpoints.source().param(p));
            }
        }
        if ("timescaledb".equals(options.flavour)) {
            source.put("transforms.compressionmoves.hypertables", chunkPrefixes(endpoints));
        }
        if (options.topicPartitions > 1) {
            source.putAll(spread(endpoints, names, stream, source));
        }
        List<String> splitTopics = splitTables.stream().map(t -> Spread.topic(stream.topicPrefix(), t[0], t[1])).toList();
        source.putAll(Spread.splitSettings(splitTopics, streamCount, stream.number()));
        source.putAll(options.converterSettings());
        source.putAll(options.sourceConverterSettings());
        return source;
    }

    /** The source connector's settings that spread the eligible tables' topics over {@code --topic-partitions} partitions. */
    private Map<String, String> spread(Endpoints endpoints, Names names, SourceStreams.Stream stream, Map<String, String> source) {
        List<String> topics = new ArrayList<>();
        try (java.sql.Connection c = endpoints.source().open("tsmigrate-start")) {
            for (String[] t : Spread.tables(c, stream.publication())) {
                topics.add(Spread.topic(stream.topicPrefix(), t[0], t[1]));
            }
        } catch (java.sql.SQLException e) {
            throw new CliException("cannot read the source's keys and unique indexes: " + e.getMessage(), e);
        }
        if (endpoints.isEmbedded() || endpoints.kafka != null) {
            // Topics made at an earlier start keep their partitions, and the source task sends a TRUNCATE to each of them.
            try (CatchUp kafka = new CatchUp(names, Cluster.running(endpoints, names).kafka())) {
                Map<String, Integer> counts = kafka.partitionCounts(topics);
                for (String topic : topics) {
                    Integer n = counts.get(topic);
                    if (n != null && n != options.topicPartitions) {
                        throw new CliException("topic " + topic + " has " + n + " partitions: --topic-partitions is fixed at the "
                                + "migration's first start, give --topic-partitions " + n);
                    }
                }
            } catch (CliException e) {
                throw e;
            } catch (Exception e) {
                throw new CliException("cannot read the change topics' partitions: " + e.getMessage(), e);
            }
        }
        System.out.println("OK   " + topics.size() + " table(s) spread over " + options.topicPartitions + " partitions each (a primary key, no other unique "
                + "index); the others keep one partition");
        return Spread.settings(source, topics, options.topicPartitions);
    }

    /** The tables the bootstrap split over all source streams by key ({@code --split-table}), read once for every stream. */
    private static List<String[]> splitTables(Endpoints endpoints, SourceStreams streams) {
        if (streams.count() < 2) {
            return List.of();
        }
        try (java.sql.Connection c = endpoints.source().open("tsmigrate-start")) {
            List<String[]> tables = Spread.splitTables(c, streams.publications());
            if (!tables.isEmpty()) {
                System.out.println("OK   " + tables.size() + " table(s) split over all " + streams.count() + " source streams by key");
            }
            return tables;
        } catch (java.sql.SQLException e) {
            throw new CliException("cannot read the source streams' publications: " + e.getMessage(), e);
        }
    }

    /**
     * The consistent point of a finished bootstrap whose streaming has not been started yet, or null (started
     * already, or no bootstrap state on the target).
     */
    private static String streamingToStart(Endpoints endpoints, Names names) {
        try (java.sql.Connection t = endpoints.target().open("tsmigrate-start")) {
            return StateStore.streamingToStart(t, names.name(), names.slot());
        } catch (java.sql.SQLException e) {
            throw new CliException("cannot read the bootstrap's state on the target " + endpoints.target() + ": " + e.getMessage());
        }
    }

    private static void markStarted(Endpoints endpoints, Names names, String lsn) {
        try (java.sql.Connection t = endpoints.target().open("tsmigrate-start")) {
            StateStore.markStreamingStarted(t, names.name(), lsn);
        } catch (java.sql.SQLException e) {
            throw new CliException("cannot record on the target that streaming started: " + e.getMessage());
        }
    }

    private static void dropStaleTopics(Endpoints endpoints, Names names, SourceStreams streams) {
        if (!endpoints.isEmbedded() && endpoints.kafka == null) {
            System.out.println("WARN topics of an earlier migration named " + names.name() + " are not checked (give --kafka HOST:PORT to have them "
                    + "deleted); if such topics exist, delete them first or use another --name");
            return;
        }
        try (CatchUp kafka = new CatchUp(names, Cluster.running(endpoints, names).kafka()).streams(streams)) {
            java.util.Set<String> stale = kafka.deleteTopics();
            if (!stale.isEmpty()) {
                System.out.println("Deleted " + stale.size() + " topics of an earlier migration named " + names.name() + ": " + stale);
            }
        } catch (Exception e) {
            throw new CliException("cannot delete the topics of an earlier migration named " + names.name() + ": " + e.getMessage());
        }
    }
}
