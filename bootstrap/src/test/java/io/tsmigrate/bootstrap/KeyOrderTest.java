package io.tsmigrate.bootstrap;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link KeyOrder} on binary COPY messages as PostgreSQL sends them, relayed as {@link CopyRelay} relays them. */
class KeyOrderTest {

    private static final byte[] HEADER = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xff, '\r', '\n', 0, 0, 0, 0, 0, 0, 0, 0, 0};
    private static final byte[] TRAILER = {-1, -1};

    /** A row (ts timestamptz, device int4, note text), the key (device, ts) as in {@code PRIMARY KEY (device, ts)}. */
    private record Row(long ts, Integer device, String note) {
        byte[] bytes() {
            byte[] text = note == null ? null : note.getBytes(StandardCharsets.UTF_8);
            ByteBuffer b = ByteBuffer.allocate(2 + 12 + 8 + 4 + (text == null ? 0 : text.length));
            b.putShort((short) 3).putInt(8).putLong(ts);
            if (device == null) {
                b.putInt(-1);
            } else {
                b.putInt(4).putInt(device);
            }
            b.putInt(text == null ? -1 : text.length);
            if (text != null) {
                b.put(text);
            }
            return Arrays.copyOf(b.array(), b.position());
        }
    }

    private static final KeyOrder.Layout LAYOUT = new KeyOrder.Layout(3, new int[] {1, 0}, new int[] {4, 8});

    /** The messages of one COPY: the header with the first row (PostgreSQL sends them as one), the rows, the trailer. */
    private static List<byte[]> messages(List<Row> rows) {
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            byte[] row = rows.get(i).bytes();
            out.add(i == 0 ? concat(HEADER, row) : row);
        }
        out.add(TRAILER);
        return out;
    }

    /** What the relay sends on: held while the order takes them, the rest as it comes. */
    private static byte[] relay(KeyOrder order, List<byte[]> messages) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        order.begin(LAYOUT);
        for (byte[] m : messages) {
            if (order.holding()) {
                if (order.takes(m.length)) {
                    order.hold(m);
                    continue;
                }
                order.release(out::write);
            }
            out.write(m);
        }
        order.release(out::write);
        return out.toByteArray();
    }

    private static byte[] stream(List<Row> rows) {
        byte[] all = new byte[0];
        for (byte[] m : messages(rows)) {
            all = concat(all, m);
        }
        return all;
    }

    @Test
    void sends_rows_read_in_time_order_in_key_order() throws Exception {
        List<Row> rows = new ArrayList<>();
        for (int t = 0; t < 500; t++) {
            for (int d : new int[] {7, -3, 0, 12, Integer.MIN_VALUE, Integer.MAX_VALUE}) {
                rows.add(new Row(-1_000_000L + t * 1_000_000L, d, t % 7 == 0 ? null : "n\u00e4" + t));
            }
        }
        List<Row> sorted = new ArrayList<>(rows);
        sorted.sort(Comparator.comparing(Row::device).thenComparing(Row::ts));
        assertThat(relay(new KeyOrder(KeyOrder.MOST), messages(rows))).isEqualTo(stream(sorted));
    }

    @Test
    void the_same_order_twice_in_a_row_with_blocks_kept() throws Exception {
        KeyOrder order = new KeyOrder(KeyOrder.MOST);
        for (int round = 0; round < 2; round++) {
            List<Row> rows = new ArrayList<>();
            for (int t = 0; t < 5_000; t++) {
                rows.add(new Row(t, t % 3 + round, "x".repeat(40)));
            }
            List<Row> sorted = new ArrayList<>(rows);
            sorted.sort(Comparator.comparing(Row::device).thenComparing(Row::ts));
            assertThat(relay(order, messages(rows))).isEqualTo(stream(sorted));
        }
    }

    @Test
    void a_row_older_than_its_group_ends_the_holding_and_loses_nothing() throws Exception {
        List<Row> rows = new ArrayList<>(List.of(new Row(10, 2, "a"), new Row(11, 1, "b"), new Row(12, 2, "c"), new Row(5, 2, "late"),
                new Row(13, 1, "d"), new Row(14, 0, "e")));
        // held and sent grouped: device 1 (b), device 2 (a, c); then the late row, then the rest as they come
        List<Row> expected = List.of(rows.get(1), rows.get(0), rows.get(2), rows.get(3), rows.get(4), rows.get(5));
        assertThat(relay(new KeyOrder(KeyOrder.MOST), messages(rows))).isEqualTo(stream(expected));
    }

    @Test
    void a_null_in_the_key_ends_the_holding_and_loses_nothing() throws Exception {
        List<Row> rows = List.of(new Row(2, 1, "a"), new Row(1, 0, "b"), new Row(3, null, "c"), new Row(4, 0, "d"));
        List<Row> expected = List.of(rows.get(1), rows.get(0), rows.get(2), rows.get(3));
        assertThat(relay(new KeyOrder(KeyOrder.MOST), messages(rows))).isEqualTo(stream(expected));
    }

    @Test
    void more_groups_than_it_holds_end_the_holding_and_lose_nothing() throws Exception {
        List<Row> rows = new ArrayList<>();
        for (int d = KeyOrder.GROUPS + 10; d > 0; d--) {
            rows.add(new Row(1, d, null));
        }
        List<Row> expected = new ArrayList<>(rows.subList(0, KeyOrder.GROUPS));
        expected.sort(Comparator.comparing(Row::device));
        expected.addAll(rows.subList(KeyOrder.GROUPS, rows.size()));
        assertThat(relay(new KeyOrder(KeyOrder.MOST), messages(rows))).isEqualTo(stream(expected));
    }

    @Test
    void rows_past_the_budget_go_on_as_they_come() throws Exception {
        Random random = new Random(7);
        List<Row> rows = new ArrayList<>();
        for (int t = 0; t < 2_000; t++) {
            rows.add(new Row(t, random.nextInt(4), "y".repeat(100)));
        }
        byte[] out = relay(new KeyOrder(100_000), messages(rows));
        assertThat(out).hasSize(stream(rows).length);
        // the first rows were held and sent grouped, the later ones as they came
        assertThat(Arrays.copyOfRange(out, out.length - 10_000, out.length)).isEqualTo(Arrays.copyOfRange(stream(rows), out.length - 10_000, out.length));
        assertThat(out).isNotEqualTo(stream(rows));
    }

    @Test
    void a_header_in_a_message_of_its_own_and_an_empty_copy() throws Exception {
        List<byte[]> messages = new ArrayList<>();
        messages.add(HEADER);
        messages.add(new Row(2, 1, "a").bytes());
        messages.add(new Row(1, 0, "b").bytes());
        messages.add(TRAILER);
        assertThat(relay(new KeyOrder(KeyOrder.MOST), messages)).isEqualTo(stream(List.of(new Row(1, 0, "b"), new Row(2, 1, "a"))));
        assertThat(relay(new KeyOrder(KeyOrder.MOST), List.of(HEADER, TRAILER))).isEqualTo(concat(HEADER, TRAILER));
    }

    @Test
    void leading_columns_of_every_width_order_as_signed_numbers() throws Exception {
        // (a int2, b int4, t timestamptz): the leading value packs a and b, each with its sign bit flipped
        short[] as = {-2, 5, 0, Short.MIN_VALUE};
        List<long[]> narrow = new ArrayList<>();
        for (short a : as) {
            for (int b : new int[] {Integer.MIN_VALUE, -1, 3, Integer.MAX_VALUE}) {
                narrow.add(new long[] {a, b, 0});
            }
        }
        KeyOrder order = new KeyOrder(KeyOrder.MOST);
        order.begin(new KeyOrder.Layout(3, new int[] {0, 1, 2}, new int[] {2, 4, 8}));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (long[] k : narrow) {
            ByteBuffer b = ByteBuffer.allocate(2 + 6 + 8 + 12).putShort((short) 3).putInt(2).putShort((short) k[0]).putInt(4).putInt((int) k[1]).putInt(8)
                    .putLong(k[2]);
            assertThat(order.takes(b.capacity())).isTrue();
            order.hold(b.array());
        }
        order.release(out::write);
        ByteBuffer got = ByteBuffer.wrap(out.toByteArray());
        List<long[]> seen = new ArrayList<>();
        while (got.hasRemaining()) {
            got.getShort();
            got.getInt();
            short a = got.getShort();
            got.getInt();
            int b = got.getInt();
            got.getInt();
            got.getLong();
            seen.add(new long[] {a, b});
        }
        List<long[]> expected = new ArrayList<>(narrow);
        expected.sort(Comparator.<long[]>comparingLong(k -> k[0]).thenComparingLong(k -> k[1]));
        assertThat(seen).extracting(k -> k[0] + "," + k[1]).containsExactlyElementsOf(expected.stream().map(k -> k[0] + "," + k[1]).toList());
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
