package io.tsmigrate.source;

import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class WalRecordOffsetsTest {

    private static final Map<String, ?> PARTITION = Map.of("server", "m");

    private static Map<String, Object> offset(long processed, String type, int order) {
        Map<String, Object> o = new HashMap<>();
        o.put("lsn_proc", processed);
        o.put("lsn", processed);
        o.put("messageType", type);
        o.put("total_order", order);
        return o;
    }

    private static SourceRecord record(Map<String, Object> offset) {
        return new SourceRecord(PARTITION, offset, "t", null, null, null, null, "v" + offset.get("total_order"));
    }

    private static List<Map<String, ?>> offsets(List<SourceRecord> records) {
        List<Map<String, ?>> out = new ArrayList<>();
        records.forEach(r -> out.add(r.sourceOffset()));
        return out;
    }

    @Test
    void every_change_of_one_wal_record_carries_the_offset_before_it() {
        Map<String, Object> stored = offset(10, "COMMIT", 0);
        WalRecordOffsets w = new WalRecordOffsets(p -> stored);
        Map<String, Object> begin = offset(10, "BEGIN", 0);
        Map<String, Object> first = offset(20, "INSERT", 1);
        Map<String, Object> copy1 = offset(30, "INSERT", 2);
        Map<String, Object> copy2 = offset(30, "INSERT", 3);
        Map<String, Object> copy3 = offset(30, "INSERT", 4);
        Map<String, Object> next = offset(40, "UPDATE", 5);
        List<SourceRecord> out = w.apply(List.of(record(begin), record(first), record(copy1), record(copy2)));
        out.addAll(w.apply(List.of(record(copy3), record(next))));
        assertThat(offsets(out)).containsExactly(stored, begin, first, first, first, copy3);
        assertThat(out.get(3).value()).isEqualTo("v3");
        assertThat(out.get(3).topic()).isEqualTo("t");
    }

    @Test
    void a_commit_is_the_safe_point_after_it_one_byte_before_its_end() {
        WalRecordOffsets w = new WalRecordOffsets(p -> null);
        Map<String, Object> change = offset(20, "INSERT", 1);
        Map<String, Object> commit = offset(25, "COMMIT", 1);
        Map<String, Object> heartbeat = offset(25, "COMMIT", 1);
        Map<String, Object> begin = offset(25, "BEGIN", 0);
        Map<String, Object> shared = offset(25, "INSERT", 1);
        List<SourceRecord> out = w.apply(List.of(record(change), record(commit), record(heartbeat), record(begin), record(shared)));
        Map<String, Object> safe = offset(25, "COMMIT", 1);
        safe.put("lsn_proc", 24L);
        assertThat(offsets(out)).containsExactly(null, safe, safe, safe, safe);
        // The commit's own position and the record's own offset object are untouched.
        assertThat(out.get(1).sourceOffset().get("lsn")).isEqualTo(25L);
        assertThat(commit.get("lsn_proc")).isEqualTo(25L);
    }

    @Test
    void the_position_confirmed_to_the_slot_is_never_past_the_stored_one() {
        // Debezium confirms lsn_commit of the stored offset to the slot and refuses to start when the slot's restart
        // point is past the stored lsn_proc; a restart point reaches the confirmed position after a quiet spell.
        WalRecordOffsets w = new WalRecordOffsets(p -> null);
        Map<String, Object> change = offset(20, "INSERT", 1);
        change.put("lsn_commit", 8L);
        Map<String, Object> commit = offset(48, "COMMIT", 1);
        commit.put("lsn_commit", 48L);
        Map<String, Object> next = offset(64, "INSERT", 1);
        next.put("lsn_commit", 48L);
        List<SourceRecord> out = w.apply(List.of(record(change), record(commit), record(next)));
        assertThat(out.get(1).sourceOffset().get("lsn_proc")).isEqualTo(47L);
        assertThat(out.get(1).sourceOffset().get("lsn_commit")).isEqualTo(47L);
        assertThat(out.get(2).sourceOffset()).isEqualTo(out.get(1).sourceOffset());
        for (SourceRecord r : out.subList(1, 3)) {
            assertThat((Long) r.sourceOffset().get("lsn_commit")).isLessThanOrEqualTo((Long) r.sourceOffset().get("lsn_proc"));
        }
        assertThat(commit.get("lsn_commit")).isEqualTo(48L);
    }

    @Test
    void a_change_written_right_after_a_commit_is_never_the_stored_position() {
        // A short transaction commits (its commit record ends at 48) while a longer one is open; the longer one's
        // next change is written at 48 and arrives after the short one, when the longer one commits.
        WalRecordOffsets w = new WalRecordOffsets(p -> offset(8, "COMMIT", 0));
        Map<String, Object> shortChange = offset(40, "INSERT", 1);
        Map<String, Object> shortCommit = offset(48, "COMMIT", 1);
        Map<String, Object> longBegin = offset(16, "BEGIN", 0);
        Map<String, Object> longFirst = offset(16, "INSERT", 1);
        Map<String, Object> longAtTheCommitEnd = offset(48, "INSERT", 2);
        List<SourceRecord> out = w.apply(List.of(record(shortChange), record(shortCommit), record(longBegin), record(longFirst),
                record(longAtTheCommitEnd)));
        List<Object> positions = new ArrayList<>();
        out.forEach(r -> positions.add(r.sourceOffset().get("lsn_proc")));
        assertThat(positions).containsExactly(8L, 47L, 47L, 47L, 16L);
    }

    @Test
    void the_first_group_after_a_first_start_carries_no_offset_so_a_restart_begins_at_the_slot() {
        WalRecordOffsets w = new WalRecordOffsets(p -> null);
        Map<String, Object> a = offset(20, "INSERT", 1);
        Map<String, Object> b = offset(20, "INSERT", 2);
        Map<String, Object> c = offset(30, "INSERT", 3);
        Map<String, Object> d = offset(30, "INSERT", 4);
        List<SourceRecord> out = w.apply(List.of(record(a), record(b), record(c), record(d)));
        assertThat(offsets(out)).containsExactly(null, null, b, b);
        assertThat(out.get(1).value()).isEqualTo("v2");
    }

    @Test
    void a_heartbeat_before_any_change_is_the_start_point_of_the_group_after_it() {
        WalRecordOffsets w = new WalRecordOffsets(p -> null);
        Map<String, Object> heartbeat = new HashMap<>(Map.of("lsn", 15L, "ts_usec", 1L));
        Map<String, Object> a = offset(20, "INSERT", 1);
        Map<String, Object> b = offset(20, "INSERT", 2);
        List<SourceRecord> out = w.apply(List.of(record(heartbeat), record(a), record(b)));
        assertThat(offsets(out)).containsExactly(heartbeat, heartbeat, heartbeat);
    }

    @Test
    void the_first_group_without_any_earlier_position_keeps_its_offsets_and_snapshots_are_untouched() {
        WalRecordOffsets w = new WalRecordOffsets(p -> null);
        Map<String, Object> snap = offset(5, "READ", 0);
        snap.put("snapshot", "INITIAL");
        Map<String, Object> a = offset(20, "INSERT", 1);
        Map<String, Object> b = offset(20, "INSERT", 2);
        Map<String, Object> c = offset(30, "INSERT", 3);
        List<SourceRecord> out = w.apply(List.of(record(snap), record(a), record(b), record(c)));
        assertThat(offsets(out)).containsExactly(snap, a, b, b);
    }

    @Test
    void records_without_a_position_pass_unchanged() {
        WalRecordOffsets w = new WalRecordOffsets(p -> offset(1, "COMMIT", 0));
        SourceRecord bare = new SourceRecord(null, null, "t", null, null, null, null, "x");
        assertThat(w.apply(List.of(bare))).containsExactly(bare);
        assertThat(w.apply(List.of())).isEmpty();
    }

    private static SourceRecord marker(Map<String, Object> offset, String prefix) {
        org.apache.kafka.connect.data.Schema messageSchema = org.apache.kafka.connect.data.SchemaBuilder.struct()
                .field("prefix", org.apache.kafka.connect.data.Schema.OPTIONAL_STRING_SCHEMA).optional().build();
        org.apache.kafka.connect.data.Schema schema = org.apache.kafka.connect.data.SchemaBuilder.struct()
                .field("op", org.apache.kafka.connect.data.Schema.STRING_SCHEMA).field("message", messageSchema).build();
        org.apache.kafka.connect.data.Struct value = new org.apache.kafka.connect.data.Struct(schema).put("op", "m")
                .put("message", new org.apache.kafka.connect.data.Struct(messageSchema).put("prefix", prefix));
        return new SourceRecord(PARTITION, offset, "m.message", null, null, null, schema, value);
    }

    @Test
    void a_compression_span_is_one_group_from_before_its_start_marker_to_its_end() {
        Map<String, Object> stored = offset(10, "COMMIT", 0);
        WalRecordOffsets w = new WalRecordOffsets(p -> stored);
        Map<String, Object> before = offset(20, "INSERT", 1);
        Map<String, Object> start = offset(30, "MESSAGE", 2);
        Map<String, Object> move1 = offset(40, "INSERT", 3);
        Map<String, Object> move2 = offset(50, "DELETE", 4);
        Map<String, Object> end = offset(60, "MESSAGE", 5);
        Map<String, Object> after = offset(70, "INSERT", 6);
        Map<String, Object> later = offset(80, "INSERT", 7);
        List<SourceRecord> out = w.apply(List.of(record(before), marker(start, "::timescaledb-decompression-start"),
                record(move1), record(move2), marker(end, "::timescaledb-decompression-end"), record(after), record(later)));
        assertThat(offsets(out)).containsExactly(stored, before, before, before, before, end, after);
    }

    @Test
    void other_logical_messages_do_not_open_a_span() {
        WalRecordOffsets w = new WalRecordOffsets(p -> offset(10, "COMMIT", 0));
        Map<String, Object> heartbeat = offset(20, "MESSAGE", 1);
        Map<String, Object> a = offset(30, "INSERT", 2);
        Map<String, Object> b = offset(40, "INSERT", 3);
        List<SourceRecord> out = w.apply(List.of(marker(heartbeat, "tsmigrate-heartbeat"), record(a), record(b)));
        assertThat(offsets(out).subList(1, 3)).containsExactly(heartbeat, a);
    }
}
