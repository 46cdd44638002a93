package io.cohortflow.core.eval;

import java.util.Arrays;

/**
 * How many events of each name a user's history holds: updated by every event, read when a new
 * definition is applied (a counter of names the history lacks is built without reading it). A
 * user's history holds a handful of names, so they sit in flat arrays searched by their cached
 * hashes, which costs less per event than a hash map's boxed counts and nodes.
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
        } else {
            put(name, 1);
        }
    }

    /** One event of {@code name} fewer; a name with none left is forgotten. */
    void remove(String name) {
        int i = indexOf(name);
        if (i < 0) {
            return;
        }
        if (--counts[i] == 0) {
            size--;
            names[i] = names[size];
            hashes[i] = hashes[size];
            counts[i] = counts[size];
            names[size] = null;
        }
    }

    /** Sets the count of a name not held yet (a decoded profile). */
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
