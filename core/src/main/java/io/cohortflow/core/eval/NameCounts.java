package io.cohortflow.core.eval;

import io.cohortflow.core.event.CanonicalNames;
import io.cohortflow.core.event.Event;
import java.util.Arrays;
import java.util.List;
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
 * Visits#marked}): the names a visit holds, which the visit containers' gates ask for on every
 * event, known without reading the history. A mark outlives the visit's events of its name that
 * left the history while others of the name stay (the gates take a name too many, never one too
 * few), and goes with the name's last event.
 *
 * <p>And each name's newest event time, exact because the history loses its events oldest first (a
 * name's newest goes with its last event), or {@link #UNKNOWN} for a profile stored before these
 * times were kept, until a read of the history tells it ({@link #learnNewest}). {@link
 * PairSequence} reads it.
 */
final class NameCounts {
    private String[] names = new String[4];
    private int[] hashes = new int[4];
    private int[] counts = new int[4];
    private boolean[] marked = new boolean[4];
    private long[] newest = new long[4];
    private int size;

    /** A newest time not known (see above). */
    static final long UNKNOWN = Long.MAX_VALUE;

    /** How many names' newest times are {@link #UNKNOWN}. */
    private int unknown;

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

    /** The time of the newest event of the name at {@code i}, or {@link #UNKNOWN}. */
    long newest(int i) {
        return newest[i];
    }

    /**
     * The time of the newest event of {@code name}, {@link Long#MIN_VALUE} when the history holds
     * none, or {@link #UNKNOWN}.
     */
    long newest(String name) {
        int i = indexOf(name);
        return i < 0 ? Long.MIN_VALUE : newest[i];
    }

    /** Sets a decoded name's newest time. */
    void newest(int i, long time) {
        if (newest[i] == UNKNOWN) {
            unknown--;
        }
        newest[i] = time;
        if (time == UNKNOWN) {
            unknown++;
        }
    }

    /**
     * Learns the newest times not known from {@code visible}, the history's visible events; a name
     * without one there has none visible, which is what its time is read for ({@link
     * Long#MIN_VALUE}).
     */
    void learnNewest(List<Event> visible) {
        if (unknown == 0) {
            return;
        }
        long[] learnt = new long[size];
        Arrays.fill(learnt, Long.MIN_VALUE);
        for (Event e : visible) {
            int i = indexOf(e.name());
            if (i >= 0) {
                learnt[i] = Math.max(learnt[i], e.time());
            }
        }
        for (int i = 0; i < size; i++) {
            if (newest[i] == UNKNOWN) {
                newest[i] = learnt[i];
            }
        }
        unknown = 0;
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

    /** One more event of {@code name}, at {@code time}; {@code mark}: one of the current visit. */
    void add(String name, boolean mark, long time) {
        int i = indexOf(name);
        if (i >= 0) {
            counts[i]++;
            marked[i] |= mark;
            if (newest[i] != UNKNOWN) {
                newest[i] = Math.max(newest[i], time);
            }
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
        System.arraycopy(newest, at, newest, at + 1, size - at);
        names[at] = CanonicalNames.of(name);
        hashes[at] = name.hashCode();
        counts[at] = 1;
        marked[at] = mark;
        newest[at] = time;
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
            if (newest[i] == UNKNOWN) {
                unknown--;
            }
            size--;
            System.arraycopy(names, i + 1, names, i, size - i);
            System.arraycopy(hashes, i + 1, hashes, i, size - i);
            System.arraycopy(counts, i + 1, counts, i, size - i);
            System.arraycopy(marked, i + 1, marked, i, size - i);
            System.arraycopy(newest, i + 1, newest, i, size - i);
            names[size] = null;
            marked[size] = false;
            slots = null;
        }
    }

    /**
     * Sets the count and mark of a name not held yet, after those held (a decoded profile); its
     * newest time {@link #UNKNOWN} until set.
     */
    void put(String name, int count, boolean mark) {
        if (size == names.length) {
            grow();
        }
        names[size] = CanonicalNames.of(name);
        hashes[size] = name.hashCode();
        counts[size] = count;
        marked[size] = mark;
        newest[size] = UNKNOWN;
        unknown++;
        size++;
        slots = null;
    }

    private void grow() {
        int n = size * 2;
        names = Arrays.copyOf(names, n);
        hashes = Arrays.copyOf(hashes, n);
        counts = Arrays.copyOf(counts, n);
        marked = Arrays.copyOf(marked, n);
        newest = Arrays.copyOf(newest, n);
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
