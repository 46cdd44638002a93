package io.cohortflow.core.eval;

import io.cohortflow.core.event.Event;
import io.cohortflow.core.state.Varints;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Whether an event starts its visit: no other stored event of the user's history is of its visit
 * ({@link Metrics#visitKey}). The visit containers' gates then mark it without reading the history
 * (see {@link HistorySegments#collectDue}).
 *
 * <p>Known in one of two forms. While the history holds at most {@link #MAX} visits, how many
 * stored events each has, by a 16-bit hash of the visit's key: exact as visits come and go. Past
 * that, a Bloom filter of the visits' hashes, a few bits per visit: it answers "maybe stored" for
 * every stored visit and for a few others, and cannot forget a visit that left, so it is built
 * again from the history when it has taken as many visits as it was sized for (a daily visitor has
 * some 90 visits in the horizon, and before the filter read the whole history at each one's first
 * event). Two visits sharing a hash, a visit that left but is still in the filter and the filter's
 * false positives all only make an event look as if its visit had more: the history is then read,
 * as without either form. Not known (a profile stored before version 14, a filter full) until the
 * next read of the history counts the visits again.
 */
final class VisitCounts {
    /** At most this many visits are counted: a few bytes each in the profile. */
    static final int MAX = 32;

    /** Bits of the filter per visit it is sized for, and the bits each visit sets. */
    private static final int FILTER_BITS = 5;

    private static final int FILTER_PROBES = 3;

    private char[] hashes = new char[4]; // ascending
    private int[] counts = new int[4];
    private int size;
    private boolean known = true; // a new user's history holds no visit

    /** The filter past {@link #MAX} visits, or null. */
    private long @Nullable [] filter;

    /** How many new visits the filter may still take before its false positives grow too many. */
    private int room;

    /**
     * Whether events left the history since the filter was built: it may hold visits the history no
     * longer does, and is built again at the next read of the history.
     */
    private boolean stale;

    /**
     * The visit of the last event added when the filter held nothing of it, else null: what {@link
     * #startsVisit} answers from. Not stored: it speaks of the event the engine is handling.
     */
    private @Nullable String fresh;

    static char hash(String visitKey) {
        int h = visitKey.hashCode();
        return (char) (h ^ (h >>> 16));
    }

    /** Whether the visits are counted exactly (not filtered, not unknown). */
    boolean known() {
        return known;
    }

    /**
     * Whether the visits are counted, or filtered as the history holds them: not to be counted
     * again at a read of the history.
     */
    boolean kept() {
        return known || filter != null && !stale;
    }

    /**
     * Whether the event just added of visit {@code visitKey} is its visit's only stored event;
     * false when that is not known.
     */
    boolean startsVisit(String visitKey) {
        if (known) {
            return count(visitKey) == 1;
        }
        return filter != null && visitKey.equals(fresh);
    }

    /**
     * The stored events of the visit {@code visitKey}, or of another visit that shares its hash,
     * while the visits are counted; -1 otherwise.
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
        fresh = null;
        char h = hash(visitKey);
        if (filter != null) {
            if (!mayHold(filter, h)) {
                fresh = visitKey;
                set(filter, h);
                if (--room < 0) {
                    forget(); // too full to tell new visits apart: built again at a history read
                }
            }
            return;
        }
        if (!known) {
            return;
        }
        int at = find(h);
        if (at >= 0) {
            counts[at]++;
            return;
        }
        if (size == MAX) {
            filterCounted(h);
            fresh = visitKey;
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

    /**
     * A stored event of visit {@code visitKey} left the history. The filter keeps it (a later event
     * of that visit is read from the history, which may no longer hold it) until built again.
     */
    void remove(String visitKey) {
        if (!known) {
            stale = filter != null;
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
     * Counts the visits of {@code stored}, the whole stored history, again: their hashes sorted
     * once, counted in runs while few, filtered past {@link #MAX}.
     */
    void recount(List<Event> stored) {
        forget();
        char[] all = new char[stored.size()];
        for (int i = 0; i < all.length; i++) {
            all[i] = hash(Metrics.visitKey(stored.get(i)));
        }
        Arrays.sort(all);
        int distinct = 0;
        for (int i = 0; i < all.length; i++) {
            distinct += i == 0 || all[i] != all[i - 1] ? 1 : 0;
        }
        if (distinct <= MAX) {
            hashes = new char[Math.max(4, distinct)];
            counts = new int[hashes.length];
            for (int i = 0; i < all.length; i++) {
                if (i == 0 || all[i] != all[i - 1]) {
                    hashes[size++] = all[i];
                }
                counts[size - 1]++;
            }
            known = true;
            return;
        }
        long[] f = sizedFor(distinct);
        for (char h : all) {
            set(f, h);
        }
        filter = f;
        // More visits than the largest filter is sized for (a history cap past 13 000 events):
        // full from the start, forgotten at the next new visit, never a negative room stored.
        room = Math.max(0, capacity(f) - distinct);
    }

    /** Not known from now on, until a {@link #recount}. */
    void forget() {
        known = false;
        filter = null;
        stale = false;
        fresh = null;
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

    /** The counted visits, and {@code h}, a new one past {@link #MAX}, moved into a filter. */
    private void filterCounted(char h) {
        long[] f = sizedFor(size + 1);
        for (int i = 0; i < size; i++) {
            set(f, hashes[i]);
        }
        set(f, h);
        int visits = size + 1;
        forget();
        filter = f;
        room = capacity(f) - visits;
    }

    /**
     * A filter for {@code visits} and half as many more (new visits keep coming while the history
     * is not read): at {@link #FILTER_BITS} bits per visit and {@link #FILTER_PROBES} probes, one
     * new visit in 30 to 12 is taken for a stored one (full: one in 12), and read from the history.
     */
    private static long[] sizedFor(int visits) {
        int capacity = visits + visits / 2 + 8;
        return new long[Math.min((capacity * FILTER_BITS + 63) / 64, 1 << 10)];
    }

    private static int capacity(long[] filter) {
        return filter.length * 64 / FILTER_BITS;
    }

    /** Whether {@code filter} has every bit of {@code h} set: it may hold the visit. */
    private static boolean mayHold(long[] filter, char h) {
        return probe(filter, h, false);
    }

    private static void set(long[] filter, char h) {
        probe(filter, h, true);
    }

    /** Whether every bit of {@code h} was set in {@code filter}; sets them when {@code set}. */
    private static boolean probe(long[] filter, char h, boolean set) {
        int bits = filter.length * 64;
        int x = mix(h);
        int step = (x >>> 16) | 1;
        boolean all = true;
        for (int i = 0; i < FILTER_PROBES; i++, x += step) {
            int bit = Integer.remainderUnsigned(x, bits);
            long mask = 1L << bit;
            all &= (filter[bit >>> 6] & mask) != 0;
            if (set) {
                filter[bit >>> 6] |= mask;
            } else if (!all) {
                return false;
            }
        }
        return all;
    }

    /** Spreads a 16-bit hash over 32 bits, so that probes of near hashes land far apart. */
    private static int mix(char h) {
        int x = h * 0x9E3779B1;
        x ^= x >>> 15;
        x *= 0x85EBCA77;
        return x ^ (x >>> 13);
    }

    private int find(char h) {
        return Arrays.binarySearch(hashes, 0, size, h);
    }

    /**
     * The count of visits plus one (0: not known), then each hash as its gap and its count; or, for
     * a filter, {@link #MAX} + 2 ({@link #MAX} + 3 when stale), the room left, the filter's words
     * and the words.
     */
    void write(DataOutput out) throws IOException {
        if (filter != null) {
            Varints.writeInt(out, stale ? MAX + 3 : MAX + 2);
            Varints.writeInt(out, room);
            Varints.writeInt(out, filter.length);
            for (long word : filter) {
                out.writeLong(word);
            }
            return;
        }
        if (!known) {
            Varints.writeInt(out, 0);
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
     * Reads what {@link #write} wrote into this, which is new; {@code version}: the profile's, 14
     * on. Version 15 wrote a count past {@link #MAX} + 1 for a history of too many visits, and
     * version 14 did not mark those: both read as not known.
     */
    void read(DataInput in, int version) throws IOException {
        int n = Varints.readInt(in) - 1;
        boolean filtered = version > ProfileCodec.UNFILTERED;
        // Version 15: past MAX, visits as many as there are 16-bit hashes at the most.
        int most = filtered ? MAX + 2 : version == ProfileCodec.UNFILTERED ? 1 << 16 : MAX;
        if (n < -1 || n > most) {
            throw new IOException((n + 1) + " as a count of visits");
        }
        if (n == -1 || n > MAX && !filtered) {
            forget();
            return;
        }
        if (n > MAX) {
            int left = Varints.readInt(in);
            int words = Varints.readInt(in);
            if (words < 1 || words > 1 << 10 || left < 0 || left > words * 64 / FILTER_BITS) {
                throw new IOException("a visit filter of " + words + " words, room " + left);
            }
            long[] f = new long[words];
            for (int i = 0; i < words; i++) {
                f[i] = in.readLong();
            }
            forget();
            filter = f;
            room = left;
            stale = n == MAX + 2;
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
        filter = null;
    }
}
