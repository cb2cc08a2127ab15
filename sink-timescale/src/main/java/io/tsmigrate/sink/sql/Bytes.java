package io.tsmigrate.sink.sql;

import java.util.Arrays;

/** A growable byte array the COPY encoders ({@link CopyText}, {@link CopyBinary}) write into; at most 2 GB. Not thread-safe. */
class Bytes {

    byte[] bytes;
    int length;
    private final String what;

    /** @param what what one fill holds, for the error past 2 GB ("row", "batch") */
    Bytes(int initial, String what) {
        this.bytes = new byte[initial];
        this.what = what;
    }

    /** Room for {@code more} bytes after {@link #length}. */
    final void ensure(long more) {
        if (length + more > bytes.length) {
            long size = Math.max(bytes.length * 2L, length + more);
            if (size > Integer.MAX_VALUE - 16) {
                throw new IllegalArgumentException("a COPY " + what + " of more than 2 GB");
            }
            bytes = Arrays.copyOf(bytes, (int) size);
        }
    }

    final void put(byte b) {
        ensure(1);
        bytes[length++] = b;
    }
}
