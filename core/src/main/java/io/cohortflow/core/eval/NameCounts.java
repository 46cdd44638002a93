package io.cohortflow.core.eval;

import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * How many events of each name a user's history holds: updated by every event, read when a new
 * definition is applied (a counter of names the history lacks is built without reading it). A
 * user's history holds a handful of names, so they sit in flat arrays searched by their cached
 * hashes, which costs less per event than a hash map's boxed counts and nodes. Names an event adds
 * go in sorted order, so that the codec writes each after the prefix it shares with the one before
 * ({@code page.view}, {@code page.scroll}).
 *
 * <p>A name is also marked when an event of it belongs to the user's current visit ({@link
 * UserProfile#visit}): the names a visit holds, which the visit containers' gates ask for on every
 * event, known without reading the history. A mark outlives the visit's events of its name that
 * left the history while others of the name stay (the gates take a name too many, never one too
 * few), and goes with the name's last event.
 */
final class NameCounts {
    private String[] names = new String[4];
    private int[] hashes = new int[4];
    private int[] counts = new int[4];
    private boolean[] marked = new boolean[4];
    private int size;

    /**
     * Past {@link #SCANNED} names, positions by hash (position + 1, open addressing), built on the
     * first search after the names changed: a user of dozens of names is searched per event.
     */
    @Nullable private int[] slots;

    private static final int SCANNED = 8;

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    String name(int i) {
        return names[i];
    }

    int count(int i) {
        return counts[i];
    }

    /** Whether the name at {@code i} has an event in the user's current visit. */
    boolean marked(int i) {
        return marked[i];
    }

    /** Marks {@code name}, one the history holds, as having an event in the current visit. */
    void mark(String name) {
        int i = indexOf(name);
        if (i >= 0) {
            marked[i] = true;
        }
    }

    /** Unmarks every name: the current visit is another one now. */
    void clearMarks() {
        Arrays.fill(marked, 0, size, false);
    }

    boolean contains(String name) {
        return indexOf(name) >= 0;
    }

    /** One more event of {@code name}; {@code mark}: one of the current visit. */
    void add(String name, boolean mark) {
        int i = indexOf(name);
        if (i >= 0) {
            counts[i]++;
            marked[i] |= mark;
            return;
        }
        // A new name (a user meets a few dozen over time): inserted at its sorted place.
        int at = size;
        while (at > 0 && names[at - 1].compareTo(name) > 0) {
            at--;
        }
        if (size == names.length) {
            grow();
        }
        System.arraycopy(names, at, names, at + 1, size - at);
        System.arraycopy(hashes, at, hashes, at + 1, size - at);
        System.arraycopy(counts, at, counts, at + 1, size - at);
        System.arraycopy(marked, at, marked, at + 1, size - at);
        names[at] = name;
        hashes[at] = name.hashCode();
        counts[at] = 1;
        marked[at] = mark;
        size++;
        if (slots != null && size * 2 <= slots.length) {
            // The positions from the new one on moved up one: the index follows, no rehashing.
            for (int k = 0; k < slots.length; k++) {
                if (slots[k] > at) {
                    slots[k]++;
                }
            }
            slot(at);
        } else {
            slots = null;
        }
    }

    /** One event of {@code name} fewer; a name with none left is forgotten. */
    void remove(String name) {
        int i = indexOf(name);
        if (i < 0) {
            return;
        }
        if (--counts[i] == 0) {
            // The names after it move down a place: they stay in order.
            size--;
            System.arraycopy(names, i + 1, names, i, size - i);
            System.arraycopy(hashes, i + 1, hashes, i, size - i);
            System.arraycopy(counts, i + 1, counts, i, size - i);
            System.arraycopy(marked, i + 1, marked, i, size - i);
            names[size] = null;
            marked[size] = false;
            slots = null;
        }
    }

    /** Sets the count and mark of a name not held yet, after those held (a decoded profile). */
    void put(String name, int count, boolean mark) {
        if (size == names.length) {
            grow();
        }
        names[size] = name;
        hashes[size] = name.hashCode();
        counts[size] = count;
        marked[size] = mark;
        size++;
        slots = null;
    }

    private void grow() {
        int n = size * 2;
        names = Arrays.copyOf(names, n);
        hashes = Arrays.copyOf(hashes, n);
        counts = Arrays.copyOf(counts, n);
        marked = Arrays.copyOf(marked, n);
    }

    private int indexOf(String name) {
        int h = name.hashCode();
        if (size <= SCANNED) {
            for (int i = 0; i < size; i++) {
                if (hashes[i] == h && names[i].equals(name)) {
                    return i;
                }
            }
            return -1;
        }
        if (slots == null) {
            index();
        }
        int mask = slots.length - 1;
        for (int at = spread(h) & mask; ; at = (at + 1) & mask) {
            int i = slots[at] - 1;
            if (i < 0) {
                return -1;
            }
            if (hashes[i] == h && names[i].equals(name)) {
                return i;
            }
        }
    }

    private void index() {
        slots = new int[Integer.highestOneBit(size * 4 - 1)]; // at most half full
        for (int i = 0; i < size; i++) {
            slot(i);
        }
    }

    /** Enters position {@code i} in the index. */
    private void slot(int i) {
        int mask = slots.length - 1;
        int at = spread(hashes[i]) & mask;
        while (slots[at] != 0) {
            at = (at + 1) & mask;
        }
        slots[at] = i + 1;
    }

    private static int spread(int h) {
        return h ^ (h >>> 16);
    }
}
