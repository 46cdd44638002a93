package io.cohortflow.core.eval;

import java.util.AbstractSet;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

/**
 * The segments one operation must evaluate, each once, in the order they became due. Keyed by
 * segment ordinal (one catalog's segments have distinct ordinals): adding and testing are a bit
 * operation, where a hash set would hash the segment on every insertion, and the engine inserts on
 * every counter that crosses a threshold.
 */
final class DueSet extends AbstractSet<CompiledSegment> {
    private long[] bits;
    private final List<CompiledSegment> order = new ArrayList<>();

    /**
     * A set for the segments of one catalog. Its bits grow to the highest ordinal added, not to the
     * catalog's size: most events make a few segments due, and a set sized for 10 000 segments
     * zeroed over a kilobyte per event.
     */
    DueSet() {
        bits = new long[1];
    }

    @Override
    public boolean add(CompiledSegment s) {
        int word = s.ordinal() >>> 6;
        if (word >= bits.length) {
            bits = Arrays.copyOf(bits, Math.max(word + 1, bits.length * 2));
        }
        long bit = 1L << s.ordinal();
        if ((bits[word] & bit) != 0) {
            return false;
        }
        bits[word] |= bit;
        order.add(s);
        return true;
    }

    /** Readers add whole lists per counter moved: by index, without an iterator each. */
    @Override
    public boolean addAll(java.util.Collection<? extends CompiledSegment> c) {
        if (!(c instanceof List<? extends CompiledSegment> list
                && c instanceof java.util.RandomAccess)) {
            return super.addAll(c);
        }
        boolean changed = false;
        for (int i = 0; i < list.size(); i++) {
            changed |= add(list.get(i));
        }
        return changed;
    }

    @Override
    public boolean contains(Object o) {
        if (!(o instanceof CompiledSegment s)) {
            return false;
        }
        int word = s.ordinal() >>> 6;
        return word < bits.length && (bits[word] & (1L << s.ordinal())) != 0;
    }

    /** In the order the segments were added. */
    @Override
    public Iterator<CompiledSegment> iterator() {
        return java.util.Collections.unmodifiableList(order).iterator();
    }

    @Override
    public int size() {
        return order.size();
    }

    /** The {@code i}-th segment added: the engine walks its due segments without an iterator. */
    CompiledSegment get(int i) {
        return order.get(i);
    }

    /**
     * Empties the set for the next operation, bit by bit of the segments it holds: an engine keeps
     * one for its events (it serves one thread), where a set per event grew its bits and its list
     * from nothing each time, a few hundred bytes per event at 1 000 segments.
     */
    @Override
    public void clear() {
        for (int i = 0; i < order.size(); i++) {
            int ordinal = order.get(i).ordinal();
            bits[ordinal >>> 6] &= ~(1L << ordinal);
        }
        order.clear();
    }
}
