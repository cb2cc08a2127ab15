package io.tsmigrate.json;

import com.fasterxml.jackson.core.util.BufferRecycler;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.core.util.RecyclerPool;

import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * What one converter reuses from record to record on the thread that reads with it: {@link PayloadReader}'s memory
 * and the JSON parser's buffers. A sink task reads all its records on one thread, so the first thread to read owns
 * the converter's own copy and reaches it with one comparison; any other thread gets its own through a
 * {@link ThreadLocal}. A lookup in a thread's {@code ThreadLocal} map was 9% of a sink task thread's CPU in a profile
 * of W1 (Connect's task threads carry many entries, and Jackson's default pool is one), hence not that for the owner.
 * Thread-safe.
 */
final class ReaderMemory<T> {

    private final AtomicReference<Thread> owner = new AtomicReference<>();
    private final T owned;
    private final ThreadLocal<T> others;

    ReaderMemory(Supplier<T> make) {
        this.owned = make.get();
        this.others = ThreadLocal.withInitial(make);
    }

    /** This thread's copy. */
    T get() {
        Thread me = Thread.currentThread();
        Thread o = owner.get();
        if (o == me || (o == null && owner.compareAndSet(null, me))) {
            return owned;
        }
        return others.get();
    }

    /**
     * Jackson's buffer recycling with a {@link ReaderMemory} per converter: a parser takes the thread's recycler and
     * gives its buffers back to it on close (as Jackson's thread-local pool does, whose recyclers are not linked to
     * the pool either).
     */
    static final class Buffers implements RecyclerPool<BufferRecycler> {
        private static final long serialVersionUID = 1L;
        private final transient ReaderMemory<BufferRecycler> recyclers = new ReaderMemory<>(BufferRecycler::new);

        @Override
        public BufferRecycler acquirePooled() {
            return recyclers == null ? JsonRecyclerPools.threadLocalPool().acquirePooled() : recyclers.get();
        }

        @Override
        public BufferRecycler acquireAndLinkPooled() {
            return acquirePooled();
        }

        @Override
        public void releasePooled(BufferRecycler pooled) {
            // Its buffers went back into it as the parser closed; it stays this thread's.
        }
    }
}
