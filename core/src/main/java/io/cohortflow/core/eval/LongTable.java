package io.cohortflow.core.eval;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A catalog's values by a long key (a counter's or a store's id), built once and then only read:
 * several lookups per event and per counter of a sweep. An open-addressing table of primitive keys
 * answers one in a probe or two, where a sorted array takes a dozen steps of binary search over a
 * large catalog and a hash map a boxed key.
 */
final class LongTable<V> {
    private long[] keys = new long[16];
    private Object[] slots = new Object[16];
    private final List<V> values = new ArrayList<>();

    /** Adds {@code value} under {@code key}; a key already held keeps its first value. */
    void putIfAbsent(long key, V value) {
        if ((values.size() + 1) * 2 > slots.length) {
            grow();
        }
        int i = slot(key);
        if (slots[i] == null) {
            keys[i] = key;
            slots[i] = value;
            values.add(value);
        }
    }

    @Nullable
    @SuppressWarnings("unchecked")
    V get(long key) {
        return (V) slots[slot(key)];
    }

    /** The values, in the order they were added. */
    List<V> values() {
        return Collections.unmodifiableList(values);
    }

    /** The slot holding {@code key}, or the empty slot where it would go. */
    private int slot(long key) {
        int mask = slots.length - 1;
        int i = mix(key) & mask;
        while (slots[i] != null && keys[i] != key) {
            i = (i + 1) & mask;
        }
        return i;
    }

    static int mix(long key) {
        long h = key * 0x9E3779B97F4A7C15L; // Fibonacci hashing: ids may share their low bits
        return (int) (h ^ (h >>> 32));
    }

    private void grow() {
        long[] oldKeys = keys;
        Object[] oldSlots = slots;
        keys = new long[oldKeys.length * 2];
        slots = new Object[oldSlots.length * 2];
        for (int j = 0; j < oldSlots.length; j++) {
            if (oldSlots[j] != null) {
                int i = slot(oldKeys[j]);
                keys[i] = oldKeys[j];
                slots[i] = oldSlots[j];
            }
        }
    }
}
