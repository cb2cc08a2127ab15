package io.tsmigrate.testkit;

import java.util.Random;

/** The random source of a test that picks data or fault points at random: its seed is printed so a failure can be replayed. */
public final class Seed {

    /** The system property that replays a seed. */
    public static final String PROPERTY = "tsmigrate.seed";

    private Seed() {
    }

    /** The seed: {@value #PROPERTY} when given, else from the clock; printed under {@code test}'s name. */
    public static long of(String test) {
        long seed = Long.getLong(PROPERTY, System.nanoTime());
        System.out.println("[" + test + "] seed " + seed + " (replay: -D" + PROPERTY + "=" + seed + ")");
        return seed;
    }

    /** A Random from {@link #of}. */
    public static Random random(String test) {
        return new Random(of(test));
    }
}
