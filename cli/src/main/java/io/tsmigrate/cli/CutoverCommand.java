package io.tsmigrate.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code tsmigrate cutover}: with writes stopped on the source, waits until everything up to this moment is
 * applied on the target, copies sequence values, verifies, and prints the downtime.
 */
@Command(name = "cutover", mixinStandardHelpOptions = true, description = {"Run after stopping writes on the source (or let --block-writes stop "
        + "them): marks the WAL position, waits until Debezium has read and the sink has applied everything up to it, copies sequence values, "
        + "verifies every table and prints the downtime. Never reports success with lag or a mismatch left."},
        footer = {"%nExamples:%n  tsmigrate cutover --source-url ... --target-url ... --connect http://connect:8083 --kafka kafka:9092",
                "  tsmigrate cutover --block-writes app_rw,reporting --source-url ... --target-url ...   (embedded mode)",
                "  tsmigrate cutover --rollback --source-url ... --target-url ...   (give the roles their writes back)"})
final class CutoverCommand implements Callable<Integer> {

    @Mixin
    Endpoints endpoints;

    @Mixin
    Names names = new Names();

    @Mixin
    Selection selection = new Selection();

    @Option(names = "--timeout", defaultValue = "600", description = "Seconds to wait for the stream to catch up (default: ${DEFAULT-VALUE})")
    int timeout;

    @Option(names = "--block-writes", split = ",", paramLabel = "ROLE", description = "Revoke these application roles' INSERT, UPDATE, DELETE "
            + "and TRUNCATE on the migrated tables first (and end their uncommitted writing transactions); --rollback restores them")
    List<String> blockWrites = new ArrayList<>();

    @Option(names = "--rollback", description = "Grant back the writes revoked by --block-writes (to go on with the source) and stop")
    boolean rollback;

    @Override
    public Integer call() throws Exception {
        Cutover cutover = new Cutover(endpoints, names, selection.selection(), timeout, blockWrites);
        return rollback ? cutover.rollback() : cutover.run();
    }
}
