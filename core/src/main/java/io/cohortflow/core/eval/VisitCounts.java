package io.cohortflow.core.eval;

import io.cohortflow.core.event.Event;
import io.cohortflow.core.state.Varints;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;

/**
 * How many stored events each visit of a user's history has, by a 16-bit hash of the visit's key
 * ({@link Metrics#visitKey}), while the history holds at most {@link #MAX} visits. An event whose
 * visit's hash counts only itself starts a visit the history holds nothing else of: the visit
 * containers' gates mark it without reading the history (see {@link HistorySegments#collectDue}).
 * Two visits may share a hash, which only makes a count larger: the history is then read, as
 * before. Not known (a user past {@link #MAX} visits, or a profile stored before version 14) until
 * the next read of the history counts them again.
 */
final class VisitCounts {
    /** At most this many visits are counted: a few bytes each in the profile. */
    static final int MAX = 32;

    private char[] hashes = new char[4]; // ascending
    private int[] counts = new int[4];
    private int size;
    private boolean known = true; // a new user's history holds no visit

    /**
     * How many visits past {@link #MAX} the history holds at least (0: not known to hold too many):
     * adding events cannot bring it back under, and each event that leaves takes at most one visit
     * with it, so the history is not counted again until as many have left (a user of many visits
     * had the whole history counted in vain at every read of it, a fifth of the engine's time in
     * JMH's users of some 80 visits; a user at the history's cap has one event leave per event).
     * Stored (profile version 15 on), so that the job, which reads a profile for each event, does
     * not count in vain either.
     */
    private int excess;

    static char hash(String visitKey) {
        int h = visitKey.hashCode();
        return (char) (h ^ (h >>> 16));
    }

    boolean known() {
        return known;
    }

    /**
     * The stored events of the visit {@code visitKey}, or of another visit that shares its hash; -1
     * when not known.
     */
    int count(String visitKey) {
        if (!known) {
            return -1;
        }
        int at = find(hash(visitKey));
        return at < 0 ? 0 : counts[at];
    }

    /** An event of visit {@code visitKey} was stored. */
    void add(String visitKey) {
        if (!known) {
            return;
        }
        char h = hash(visitKey);
        int at = find(h);
        if (at >= 0) {
            counts[at]++;
            return;
        }
        if (size == MAX) {
            forget();
            excess = 1;
            return;
        }
        at = -at - 1;
        if (size == hashes.length) {
            hashes = Arrays.copyOf(hashes, size * 2);
            counts = Arrays.copyOf(counts, size * 2);
        }
        System.arraycopy(hashes, at, hashes, at + 1, size - at);
        System.arraycopy(counts, at, counts, at + 1, size - at);
        hashes[at] = h;
        counts[at] = 1;
        size++;
    }

    /** A stored event of visit {@code visitKey} left the history. */
    void remove(String visitKey) {
        if (!known) {
            if (excess > 0) {
                excess--; // one visit fewer at the most
            }
            return;
        }
        int at = find(hash(visitKey));
        if (at < 0) {
            forget(); // never counted: the counts are not the history's
            return;
        }
        if (--counts[at] == 0) {
            System.arraycopy(hashes, at + 1, hashes, at, size - at - 1);
            System.arraycopy(counts, at + 1, counts, at, size - at - 1);
            size--;
        }
    }

    /**
     * Counts the visits of {@code stored}, the whole stored history, again; not while it is known
     * to hold too many.
     */
    void recount(List<Event> stored) {
        if (excess > 0) {
            return;
        }
        size = 0;
        known = true;
        for (Event e : stored) {
            add(Metrics.visitKey(e));
            if (!known) {
                excess = distinct(stored) - MAX; // how many must leave before a count can succeed
                return;
            }
        }
    }

    /** The distinct visit hashes of {@code stored}. */
    private static int distinct(List<Event> stored) {
        char[] all = new char[stored.size()];
        for (int i = 0; i < all.length; i++) {
            all[i] = hash(Metrics.visitKey(stored.get(i)));
        }
        Arrays.sort(all);
        int n = all.length == 0 ? 0 : 1;
        for (int i = 1; i < all.length; i++) {
            if (all[i] != all[i - 1]) {
                n++;
            }
        }
        return n;
    }

    /** Not known from now on, until a {@link #recount}, which may then count. */
    void forget() {
        known = false;
        excess = 0;
        size = 0;
    }

    /** The events counted, all visits': the history's size when known. */
    long total() {
        long n = 0;
        for (int i = 0; i < size; i++) {
            n += counts[i];
        }
        return n;
    }

    private int find(char h) {
        return Arrays.binarySearch(hashes, 0, size, h);
    }

    /**
     * The count of visits plus one (0: not known; past {@link #MAX} + 1: {@link #excess} visits
     * more than that many), then each hash as its gap and its count.
     */
    void write(DataOutput out) throws IOException {
        if (!known) {
            Varints.writeInt(out, excess > 0 ? MAX + 1 + excess : 0);
            return;
        }
        Varints.writeInt(out, size + 1);
        int previous = -1;
        for (int i = 0; i < size; i++) {
            Varints.writeInt(out, hashes[i] - previous - 1);
            previous = hashes[i];
            Varints.writeInt(out, counts[i]);
        }
    }

    /**
     * Reads what {@link #write} wrote into this, which is new; {@code overflowMarked}: written by a
     * version that marks a history of too many visits (15 on).
     */
    void read(DataInput in, boolean overflowMarked) throws IOException {
        int n = Varints.readInt(in) - 1;
        // Past MAX, visits as many as there are 16-bit hashes at the most.
        if (n < -1 || n > (overflowMarked ? Character.MAX_VALUE + 1 : MAX)) {
            throw new IOException((n + 1) + " as a count of visits");
        }
        if (n == -1) {
            forget();
            return;
        }
        if (n > MAX) {
            forget();
            excess = n - MAX;
            return;
        }
        hashes = new char[Math.max(4, n)];
        counts = new int[hashes.length];
        int previous = -1;
        for (int i = 0; i < n; i++) {
            int h = previous + 1 + Varints.readInt(in);
            int count = Varints.readInt(in);
            if (h <= previous || h > Character.MAX_VALUE || count < 1) {
                throw new IOException("a visit hash " + h + " after " + previous + ", " + count);
            }
            hashes[i] = (char) h;
            counts[i] = count;
            previous = h;
        }
        size = n;
        known = true;
    }
}
