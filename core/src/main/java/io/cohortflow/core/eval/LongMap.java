package io.cohortflow.core.eval;

import java.util.Arrays;
import java.util.function.LongPredicate;
import org.jspecify.annotations.Nullable;

/**
 * Values by a long key (a counter's id), as sorted primitive keys beside their values: a user's
 * counter states, a catalog's readers per counter. Looked up several times per event; a binary
 * search over a {@code long[]} costs no boxing and no node per entry, and iterates (and so encodes)
 * in key order.
 */
final class LongMap<V> {
    private static final long[] NO_BITS = new long[0];

    /**
     * Keys below this many words of bits are looked up by bit (see {@link #bits}): counter stores
     * are numbered from 0 as a workspace's definitions first need them (see {@code
     * CatalogBuilder#storeNumber}), so a user's keys lie far below it. Bounded so that a key's rank
     * (a count of the words below it) costs no more than the search it replaces.
     */
    static final int MAX_WORDS = 64;

    private long[] keys = new long[0];
    private Object[] values = new Object[0];
    private int size;

    /**
     * One bit per key held while every key is in {@code [0, 64 * MAX_WORDS)}, else null (keys of
     * profiles from before stores were numbered are hashes): a look-up is a bit test, and the
     * entry's position the count of the bits below it, where a binary search over a hundred keys
     * took seven unpredictable branches, for each of the few dozen look-ups of every event.
     */
    private long @Nullable [] bits = NO_BITS;

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    long key(int i) {
        return keys[i];
    }

    @SuppressWarnings("unchecked")
    V value(int i) {
        return (V) values[i];
    }

    @Nullable
    @SuppressWarnings("unchecked")
    V get(long key) {
        long[] b = bits;
        if (b == null) {
            int i = Arrays.binarySearch(keys, 0, size, key);
            return i >= 0 ? (V) values[i] : null;
        }
        if (key < 0 || key >= (long) b.length << 6) {
            return null;
        }
        int word = (int) (key >>> 6);
        long below = b[word] & ((1L << key) - 1);
        if ((b[word] & (1L << key)) == 0) {
            return null;
        }
        int rank = Long.bitCount(below);
        for (int w = 0; w < word; w++) {
            rank += Long.bitCount(b[w]);
        }
        return (V) values[rank];
    }

    /** Sets {@code key}'s bit, growing the bits, or gives them up for a key outside their range. */
    private void setBit(long key) {
        long[] b = bits;
        if (b == null) {
            return;
        }
        if (key < 0 || key >= (long) MAX_WORDS << 6) {
            bits = null;
            return;
        }
        int word = (int) (key >>> 6);
        if (word >= b.length) {
            b = Arrays.copyOf(b, Math.min(MAX_WORDS, Math.max(word + 1, b.length * 2)));
            bits = b;
        }
        b[word] |= 1L << key;
    }

    private void clearBit(long key) {
        if (bits != null) {
            bits[(int) (key >>> 6)] &= ~(1L << key);
        }
    }

    /** Makes room for {@code n} entries in all (a count read, bounded: the map grows past it). */
    void reserve(int n) {
        int room = Math.min(n, 1 << 16);
        if (room > keys.length) {
            keys = Arrays.copyOf(keys, room);
            values = Arrays.copyOf(values, room);
        }
    }

    void put(long key, V value) {
        int i = Arrays.binarySearch(keys, 0, size, key);
        if (i >= 0) {
            values[i] = value;
            return;
        }
        i = -i - 1;
        if (size == keys.length) {
            int n = Math.max(4, size + (size >> 1));
            keys = Arrays.copyOf(keys, n);
            values = Arrays.copyOf(values, n);
        }
        System.arraycopy(keys, i, keys, i + 1, size - i);
        System.arraycopy(values, i, values, i + 1, size - i);
        keys[i] = key;
        values[i] = value;
        size++;
        setBit(key);
    }

    void remove(long key) {
        int i = Arrays.binarySearch(keys, 0, size, key);
        if (i >= 0) {
            removeAt(i);
        }
    }

    /** Removes the entries whose key {@code test} accepts. */
    void removeIf(LongPredicate test) {
        int kept = 0;
        for (int i = 0; i < size; i++) {
            if (!test.test(keys[i])) {
                keys[kept] = keys[i];
                values[kept] = values[i];
                kept++;
            } else {
                clearBit(keys[i]);
            }
        }
        Arrays.fill(values, kept, size, null);
        size = kept;
    }

    /** Removes entry {@code i}; the entries after it move down one place. */
    void removeAt(int i) {
        clearBit(keys[i]);
        System.arraycopy(keys, i + 1, keys, i, size - i - 1);
        System.arraycopy(values, i + 1, values, i, size - i - 1);
        values[--size] = null;
    }

    void clear() {
        Arrays.fill(values, 0, size, null);
        size = 0;
        bits = NO_BITS; // keys of any range again
    }
}
