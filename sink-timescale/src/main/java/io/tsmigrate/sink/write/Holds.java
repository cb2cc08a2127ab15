package io.tsmigrate.sink.write;

import io.tsmigrate.sink.buffer.Buffered;
import io.tsmigrate.sink.buffer.Placeholders;
import io.tsmigrate.sink.read.ChangeEvent;
import io.tsmigrate.sink.read.TableId;

import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where each partition stops in a flush, for changes that need another partition's changes applied first: the
 * CREATE half of a primary-key change whose DELETE half is neither in this flush nor stashed ({@link KeyMoves}), and
 * a TRUNCATE of a table spread over several partitions that not every partition has reached yet
 * ({@link TruncateBarriers}). A stopped partition's records from there on wait for a later flush (the task asks to be
 * called again within {@code flush.interval.ms}); its offset stays before them. Nothing waits in a circle: a CREATE
 * half waits for a DELETE half of the same WAL record, which no later change can hold up, and a TRUNCATE for earlier
 * changes. Not thread-safe: one per task.
 */
public final class Holds {

    private static final Logger LOG = LoggerFactory.getLogger(Holds.class);

    /** A record taken in buffer order: its place in the batch, the partition's position after it, whether its change applies. */
    record Taken(int index, Buffered b, Position after, boolean apply) {
        ChangeEvent event() {
            return b.event();
        }
    }

    /** Where partitions stop (the index of their first held record), and changes not to apply though new (a TRUNCATE done). */
    record Decision(Map<TopicPartition, Integer> cut, Set<Integer> skip) {
    }

    private final KeyMoves keyMoves;
    private final TruncateBarriers barriers;
    private final Placeholders placeholders;
    /** Key moves waited for (table and move) and since when (ms), to say so when a wait is long. */
    private final Map<String, Long> waitingSince = new HashMap<>();

    Holds(KeyMoves keyMoves, TruncateBarriers barriers, Placeholders placeholders) {
        this.keyMoves = keyMoves;
        this.barriers = barriers;
        this.placeholders = placeholders;
    }

    Decision decide(Connection c, List<Taken> taken) throws SQLException {
        Map<TopicPartition, Integer> cut = new HashMap<>();
        Set<Integer> skip = new HashSet<>();
        waitForDeletes(c, taken, cut);
        // A barrier holds only at a TRUNCATE copy, after every change before it; the changes behind it that it holds
        // can leave later CREATE halves alone, so the key changes are looked at once more.
        if (barriers.decide(c, taken, cut, skip)) {
            waitForDeletes(c, taken, cut);
        }
        return new Decision(cut, skip);
    }

    private static boolean before(Map<TopicPartition, Integer> cut, Taken t) {
        Integer from = cut.get(t.b().partition());
        return from == null || t.index() < from;
    }

    /**
     * Stops each partition at the CREATE half of a key change that keeps unchanged values (placeholders) and whose
     * DELETE half is neither among the changes applied in this flush nor stashed in the target; it waits there until
     * the DELETE half's flush commits (in another partition of the topic, or in a later record held back itself). A
     * CREATE half that keeps nothing needs no old row and never waits. Holding a partition can leave another CREATE
     * half without its DELETE half in the flush, so this repeats until nothing more is held.
     */
    private void waitForDeletes(Connection c, List<Taken> taken, Map<TopicPartition, Integer> cut) throws SQLException {
        List<Taken> creates = new ArrayList<>();
        for (Taken t : taken) {
            if (t.apply() && t.event().createsForKeyChange() && t.event().move() != null && placeholders.anyIn(t.event().after())) {
                creates.add(t);
            }
        }
        if (creates.isEmpty()) {
            return;
        }
        if (waitingSince.size() > 10_000) {
            waitingSince.clear();
        }
        Set<String> stashed = null;
        while (true) {
            Set<String> deletes = new HashSet<>();
            for (Taken t : taken) {
                if (t.apply() && before(cut, t) && t.event().deletesForKeyChange() && t.event().move() != null) {
                    deletes.add(KeyMoves.key(t.event().table(), t.event().move()));
                }
            }
            List<Taken> alone = new ArrayList<>();
            for (Taken t : creates) {
                if (before(cut, t) && !deletes.contains(KeyMoves.key(t.event().table(), t.event().move()))) {
                    alone.add(t);
                }
            }
            if (stashed == null && !alone.isEmpty()) {
                Map<TableId, Set<String>> ask = new LinkedHashMap<>();
                for (Taken t : creates) {
                    ask.computeIfAbsent(t.event().table(), k -> new LinkedHashSet<>()).add(t.event().move());
                }
                stashed = keyMoves.stashed(c, ask);
            }
            boolean more = false;
            for (Taken t : alone) {
                String key = KeyMoves.key(t.event().table(), t.event().move());
                if (stashed.contains(key)) {
                    waitingSince.remove(key);
                    continue;
                }
                cut.merge(t.b().partition(), t.index(), Math::min);
                more = true;
                long since = waitingSince.computeIfAbsent(key, k -> System.currentTimeMillis());
                if (System.currentTimeMillis() - since > 60_000) {
                    LOG.warn("{} offset {}: the new row of a primary-key change in {} (source transaction {}, LSN {}) has waited {} s for its "
                            + "old row's delete (in another partition); its partition waits with it", t.b().partition(), t.b().offset(),
                            t.event().table(), t.event().txId(), t.event().changeLsn(), (System.currentTimeMillis() - since) / 1000);
                    waitingSince.put(key, System.currentTimeMillis());
                }
            }
            if (!more) {
                return;
            }
        }
    }
}
