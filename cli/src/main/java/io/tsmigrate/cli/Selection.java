package io.tsmigrate.cli;

import io.tsmigrate.common.TableSelection;

import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

/**
 * Which tables the migration covers, the same options on every command: patterns as pg_dump reads them
 * ({@link TableSelection}). Repeatable or comma-separated; in {@code --config}, a list under the option's name.
 */
final class Selection {

    @Option(names = "--include-schema", split = ",", paramLabel = "PATTERN", description = "Migrate only schemas matching PATTERN (repeatable)")
    List<String> includeSchemas = new ArrayList<>();

    @Option(names = "--exclude-schema", split = ",", paramLabel = "PATTERN", description = "Leave out schemas matching PATTERN (repeatable)")
    List<String> excludeSchemas = new ArrayList<>();

    @Option(names = "--table", split = ",", paramLabel = "PATTERN", description = "Migrate only tables matching PATTERN: TABLE or SCHEMA.TABLE, "
            + "* and ? as wildcards, \"Quoted\" names as written (repeatable)")
    List<String> tables = new ArrayList<>();

    @Option(names = "--exclude-table", split = ",", paramLabel = "PATTERN", description = "Leave out tables matching PATTERN (repeatable)")
    List<String> excludeTables = new ArrayList<>();

    TableSelection selection() {
        try {
            return new TableSelection(includeSchemas, excludeSchemas, tables, excludeTables);
        } catch (RuntimeException e) {
            throw new CliException(e.getMessage(), e);
        }
    }
}
