package io.tsmigrate.cli;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RangesTest {

    @Test
    void widths_give_about_20_rows_per_range_in_round_numbers() {
        assertThat(Ranges.width(200_000, 200_000, false)).isEqualTo(20);
        assertThat(Ranges.width(10_000_000, 10_000_000, false)).isEqualTo(20);
        assertThat(Ranges.width(10_000_000, 2_000_000, false)).isEqualTo(100);
        assertThat(Ranges.width(700_000, 100_000, true)).isEqualTo(300);
        assertThat(Ranges.width(86_400 * 365, 1_000_000_000, true)).isEqualTo(60);
        // Never more than a million ranges, however dense.
        assertThat(Ranges.width(5_000_000_000L, 5_000_000_000L, false)).isEqualTo(10_000);
        assertThat(Ranges.width(0, 0, false)).isEqualTo(1000);
        assertThat(Ranges.width(0, 0, true)).isEqualTo(3600);
    }

    @Test
    void bounds_select_whole_ranges_on_the_column_itself() {
        Ranges keys = new Ranges("s", "t", "Id", "bigint", 200, false, true);
        assertThat(keys.between(617, 617)).isEqualTo("\"Id\" >= 123400::bigint AND \"Id\" < 123600::bigint");
        assertThat(keys.keyOf("\"Id\"")).isEqualTo("floor(\"Id\"::numeric / 200)::bigint");
        Ranges time = new Ranges("s", "t", "ts", "timestamp with time zone", 1800, false, true);
        assertThat(time.between(10, 11)).isEqualTo("\"ts\" >= to_timestamp(10 * 1800::double precision) AND \"ts\" < to_timestamp(12 * 1800::double precision)");
        assertThat(keys.rowsOf(new long[] {3, 9})).isEqualTo(" JOIN unnest('{3,9}'::bigint[]) AS tsm_r(tsm_k) ON \"Id\" >= least(greatest(tsm_r.tsm_k::numeric "
                + "* 200, -9223372036854775808), 9223372036854775807)::bigint AND \"Id\" < least(greatest((tsm_r.tsm_k + 1)::numeric * 200, "
                + "-9223372036854775808), 9223372036854775807)::bigint");
        assertThat(OnlineVerification.describe(time, "10")).isEqualTo("ts from 1970-01-01T05:00:00Z to 1970-01-01T05:30:00Z");
        assertThat(OnlineVerification.describe(keys, "617")).isEqualTo("Id 123400 to 123599");
    }

    @Test
    void a_nullable_column_has_a_null_range_and_unindexed_columns_are_matched_in_one_scan() {
        Ranges loose = new Ranges("s", "t", "n", "integer", 10, true, false);
        assertThat(loose.keyOf("\"n\"")).isEqualTo("coalesce(floor(\"n\"::numeric / 10)::bigint, -9223372036854775808)");
        assertThat(loose.between(Ranges.NULL_KEY, Ranges.NULL_KEY)).isEqualTo("\"n\" IS NULL");
        assertThat(loose.between(Ranges.NULL_KEY, 0)).isEqualTo("(\"n\" IS NULL OR \"n\" < 10::bigint)");
        assertThat(loose.rowsOf(new long[] {Ranges.NULL_KEY, 4}))
                .isEqualTo(" WHERE coalesce(floor(\"n\"::numeric / 10)::bigint, -9223372036854775808) = ANY ('{-9223372036854775808,4}'::bigint[])");
        assertThat(loose.extentSql()).isEqualTo("SELECT floor(min(\"n\")::numeric / 10)::bigint, floor(max(\"n\")::numeric / 10)::bigint FROM \"s\".\"t\"");
        assertThat(OnlineVerification.describe(loose, Long.toString(Ranges.NULL_KEY))).isEqualTo("n IS NULL");
        Ranges unindexed = new Ranges("s", "t", "n", "integer", 10, false, false);
        assertThat(unindexed.rowsOf(new long[] {1, 2})).isEqualTo(" WHERE floor(\"n\"::numeric / 10)::bigint = ANY ('{1,2}'::bigint[])");
    }
}
