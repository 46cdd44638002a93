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
    private long[] keys = new long[0];
    private Object[] values = new Object[0];
    private int size;

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
        int i = Arrays.binarySearch(keys, 0, size, key);
        return i >= 0 ? (V) values[i] : null;
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
            }
        }
        Arrays.fill(values, kept, size, null);
        size = kept;
    }

    /** Removes entry {@code i}; the entries after it move down one place. */
    void removeAt(int i) {
        System.arraycopy(keys, i + 1, keys, i, size - i - 1);
        System.arraycopy(values, i + 1, values, i, size - i - 1);
        values[--size] = null;
    }

    void clear() {
        Arrays.fill(values, 0, size, null);
        size = 0;
    }
}
