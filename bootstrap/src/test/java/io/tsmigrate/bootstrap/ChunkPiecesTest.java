package io.tsmigrate.bootstrap;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The source predicates of chunk pieces: bounds in the column's own type, exact to the microsecond, before 1970 too. */
class ChunkPiecesTest {

    private static final long HOUR = 3_600_000_000L;

    @Test
    void timestamptz_bounds_are_utc_literals() {
        ChunkPieces.Span s = new ChunkPieces.Span("Zeit \"ü\"", "timestamp with time zone", HOUR, 0, HOUR);
        assertThat(ChunkPieces.range(s, 1_767_225_600_000_000L, 1_767_225_600_000_000L + HOUR)).isEqualTo(
                "\"Zeit \"\"ü\"\"\" >= '2026-01-01 00:00:00.000000+00'::timestamptz AND \"Zeit \"\"ü\"\"\" < '2026-01-01 01:00:00.000000+00'::timestamptz");
    }

    @Test
    void bounds_before_1970_round_down() {
        ChunkPieces.Span s = new ChunkPieces.Span("ts", "timestamp without time zone", HOUR, -HOUR, 0);
        assertThat(ChunkPieces.range(s, -HOUR - 1, 1)).isEqualTo(
                "\"ts\" >= '1969-12-31 22:59:59.999999'::timestamp AND \"ts\" < '1970-01-01 00:00:00.000001'::timestamp");
    }

    @Test
    void dates_compare_with_timestamps_and_integers_with_bigints() {
        ChunkPieces.Span d = new ChunkPieces.Span("d", "date", 7 * 24 * HOUR, 0, 7 * 24 * HOUR);
        assertThat(ChunkPieces.range(d, 0, 12 * HOUR)).isEqualTo("\"d\" >= '1970-01-01 00:00:00.000000'::timestamp AND \"d\" < '1970-01-01 12:00:00.000000'::timestamp");
        ChunkPieces.Span n = new ChunkPieces.Span("n", "integer", 1000, -1000, 0);
        assertThat(ChunkPieces.range(n, -1000, 0)).isEqualTo("\"n\" >= -1000::bigint AND \"n\" < 0::bigint");
    }
}
