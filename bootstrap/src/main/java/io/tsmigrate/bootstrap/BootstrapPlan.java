package io.tsmigrate.bootstrap;

import io.tsmigrate.common.Ident;

import io.tsmigrate.common.TableSelection;
import io.tsmigrate.common.Db;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * What a bootstrap does: which tables, which become hypertables and how, how many jobs. Read from a YAML
 * or JSON file (snake_case keys) and/or built by the command line. Immutable.
 *
 * @param source          the live source database
 * @param target          the target TimescaleDB database
 * @param includeSchemas  schema patterns to migrate (empty: every user schema); patterns as {@link TableSelection} reads them
 * @param excludeTables   table patterns to leave out
 * @param hypertables     tables to convert, with their time column and chunk interval
 * @param jobs            parallel copy workers (default: the number of cores)
 * @param indexJobs       parallel index builds (default: the number of cores)
 * @param slotName        the logical replication slot handed to Debezium
 * @param publicationName the publication handed to Debezium
 * @param pgBin           folder with pg_dump and psql (null: from PATH)
 * @param extendKeys      when a hypertable's primary key or unique index lacks the time column, add it
 * @param copyRoles       also copy roles (without passwords) with pg_dumpall --roles-only
 * @param excludeSchemas  schema patterns to leave out
 * @param tables          table patterns to migrate (empty: every table of the included schemas)
 * @param compressedCopy  copy a TimescaleDB source's compressed chunks as they are where that is exact (default); false:
 *                        decompressed, and compressed again on the target
 * @param sources         source streams (default 1): publications over disjoint sets of the tables, each with its own slot
 *                        and Debezium connector ({@link Lanes})
 * @param splitTables     hot tables spread over every source stream by key instead of going whole to one ({@link SplitTables})
 */
@JsonIgnoreProperties(ignoreUnknown = false)
public record BootstrapPlan(Db source, Db target, List<String> includeSchemas, List<String> excludeTables, List<HypertableSpec> hypertables,
                            Integer jobs, Integer indexJobs, String slotName, String publicationName, String pgBin, Boolean extendKeys,
                            Boolean copyRoles, List<String> excludeSchemas, List<String> tables, Boolean compressedCopy, Integer sources,
                            List<String> splitTables) {

    public BootstrapPlan {
        includeSchemas = includeSchemas == null ? List.of() : List.copyOf(includeSchemas);
        excludeTables = excludeTables == null ? List.of() : List.copyOf(excludeTables);
        excludeSchemas = excludeSchemas == null ? List.of() : List.copyOf(excludeSchemas);
        tables = tables == null ? List.of() : List.copyOf(tables);
        new TableSelection(includeSchemas, excludeSchemas, tables, excludeTables);
        hypertables = hypertables == null ? List.of() : List.copyOf(hypertables);
        int cores = Runtime.getRuntime().availableProcessors();
        jobs = jobs == null ? cores : jobs;
        indexJobs = indexJobs == null ? cores : indexJobs;
        slotName = slotName == null ? "tsmigrate" : slotName;
        publicationName = publicationName == null ? "tsmigrate" : publicationName;
        extendKeys = extendKeys != null && extendKeys;
        copyRoles = copyRoles != null && copyRoles;
        compressedCopy = compressedCopy == null || compressedCopy;
        sources = sources == null ? 1 : sources;
        splitTables = splitTables == null ? List.of() : List.copyOf(splitTables);
        if (jobs < 1 || indexJobs < 1) {
            throw new BootstrapException("jobs and index_jobs must be at least 1");
        }
        if (!slotName.matches("[a-z0-9_]{1,63}")) {
            throw new BootstrapException("slot name '" + slotName + "' is not valid: use 1 to 63 lower-case letters, digits and underscores");
        }
        if (sources < 1 || sources > Lanes.MAX) {
            throw new BootstrapException("sources must be 1 to " + Lanes.MAX + ", not " + sources);
        }
        for (Lanes.Lane lane : Lanes.of(slotName, publicationName, sources)) {
            if (lane.slot().length() > 63 || lane.publication().length() > 63) {
                throw new BootstrapException("source stream " + lane.number() + " would be named " + lane.slot() + " / " + lane.publication()
                        + ", longer than PostgreSQL's 63 characters: choose a shorter --name (or --slot and --publication)");
            }
        }
    }

    /** The migration's source streams. */
    public List<Lanes.Lane> lanes() {
        return Lanes.of(slotName, publicationName, sources);
    }

    /**
     * One table to convert into a hypertable.
     *
     * @param table           {@code schema.table} (or {@code table} in public)
     * @param timeColumn      the time dimension column
     * @param chunkInterval   e.g. {@code 1 day}, or an integer for integer time columns; null: derived from the data
     * @param partitionColumn optional space partitioning column (hash)
     * @param partitions      number of hash partitions for it
     * @param extendKeys      per-table override of the plan's extend_keys
     */
    public record HypertableSpec(String table, String timeColumn, String chunkInterval, String partitionColumn, Integer partitions,
                                 Boolean extendKeys) {
        public String schemaName() {
            return Ident.split(table)[0];
        }

        public String tableName() {
            return Ident.split(table)[1];
        }

        /** As {@link TableInfo#id()} names the table. */
        public String id() {
            return Ident.readable(schemaName(), tableName());
        }
    }

    public BootstrapPlan withHypertables(List<HypertableSpec> specs) {
        return new BootstrapPlan(source, target, includeSchemas, excludeTables, specs, jobs, indexJobs, slotName, publicationName, pgBin,
                extendKeys, copyRoles, excludeSchemas, tables, compressedCopy, sources, splitTables);
    }

    /** The tables this plan covers. */
    public TableSelection selection() {
        return new TableSelection(includeSchemas, excludeSchemas, tables, excludeTables);
    }

    /** Reads a plan file, YAML or JSON, with snake_case keys. */
    public static BootstrapPlan read(Path file) throws IOException {
        ObjectMapper m = new ObjectMapper(new YAMLFactory()).setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        try {
            return m.readValue(file.toFile(), BootstrapPlan.class);
        } catch (com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException e) {
            throw new BootstrapException("plan file " + file + ": unknown setting '" + e.getPropertyName() + "'; known settings: "
                    + e.getKnownPropertyIds(), e);
        }
    }
}
