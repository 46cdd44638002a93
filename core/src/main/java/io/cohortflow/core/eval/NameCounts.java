package io.cohortflow.core.eval;

import java.util.Arrays;

/**
 * How many events of each name a user's history holds: updated by every event, read when a new
 * definition is applied (a counter of names the history lacks is built without reading it). A
 * user's history holds a handful of names, so they sit in flat arrays searched by their cached
 * hashes, which costs less per event than a hash map's boxed counts and nodes. Names an event adds
 * go in sorted order, so that the codec writes each after the prefix it shares with the one before
 * ({@code page.view}, {@code page.scroll}).
 */
final class NameCounts {
    private String[] names = new String[4];
    private int[] hashes = new int[4];
    private int[] counts = new int[4];
    private int size;

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

    boolean contains(String name) {
        return indexOf(name) >= 0;
    }

    /** One more event of {@code name}. */
    void add(String name) {
        int i = indexOf(name);
        if (i >= 0) {
            counts[i]++;
            return;
        }
        put(name, 1);
        // A new name, rare after a user's first events: moved to its sorted place.
        for (int at = size - 1; at > 0 && names[at - 1].compareTo(name) > 0; at--) {
            names[at] = names[at - 1];
            hashes[at] = hashes[at - 1];
            counts[at] = counts[at - 1];
            names[at - 1] = name;
            hashes[at - 1] = name.hashCode();
            counts[at - 1] = 1;
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
            names[size] = null;
        }
    }

    /** Sets the count of a name not held yet, after those held (a decoded profile). */
    void put(String name, int count) {
        if (size == names.length) {
            int n = size * 2;
            names = Arrays.copyOf(names, n);
            hashes = Arrays.copyOf(hashes, n);
            counts = Arrays.copyOf(counts, n);
        }
        names[size] = name;
        hashes[size] = name.hashCode();
        counts[size] = count;
        size++;
    }

    private int indexOf(String name) {
        int h = name.hashCode();
        for (int i = 0; i < size; i++) {
            if (hashes[i] == h && names[i].equals(name)) {
                return i;
            }
        }
        return -1;
    }
}
