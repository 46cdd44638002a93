package io.cohortflow.core.eval;

import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * The entries of one counter for one user, oldest first: time, value (sums) and key (distinct
 * counts). Small by construction: a count compared with small thresholds keeps only its newest few
 * entries; other counters keep the matching events within their window.
 */
public final class CounterState {
    /**
     * The entries side by side, two longs each: its time, then its value's bits. A counter holds an
     * entry or two for most users, and their state is cold when their next event comes: a time and
     * its value in one array cost one cache miss where an array each cost two (and a profile read
     * for one event allocated both).
     */
    private long[] entries;

    /**
     * The entries' keys (distinct counts and visits); null while no entry has one, as for most
     * counters: a profile read for one event allocated an array of nulls per counter.
     */
    private String @Nullable [] keys;

    private int size;
    private double sum;

    /**
     * The hash of each entry's key, in step with {@link #keys} once built (by the first look-up of
     * a profile read for one event; null until then): a distinct count finds a value's entry by
     * comparing ints side by side, where comparing the keys reached a string per entry, each
     * somewhere else on the heap.
     */
    private int @Nullable [] hashes;

    CounterState() {
        this(new long[2 * 2], null, 0);
    }

    /**
     * The entries of a profile read, laid out as {@link #entries} ({@link #entries(int)} makes the
     * array, {@link #setDecoded} fills it): {@code keys} null when none has one, else as long as
     * the entries' room.
     */
    CounterState(long[] entries, String @Nullable [] keys, int size) {
        this.entries = entries;
        this.keys = keys;
        this.size = size;
        recompute();
    }

    /**
     * An array for {@code n} entries (room for two at least), for {@link #CounterState(long[],
     * String[], int)}.
     */
    static long[] entries(int n) {
        return new long[2 * Math.max(n, 2)];
    }

    /** Sets entry {@code i}'s time and value in {@code entries}, before the state is made. */
    static void setDecoded(long[] entries, int i, long time, double value) {
        entries[2 * i] = time;
        entries[2 * i + 1] = Double.doubleToRawLongBits(value);
    }

    /** The entries' room. */
    private int capacity() {
        return entries.length >> 1;
    }

    public int size() {
        return size;
    }

    public long time(int i) {
        return entries[2 * i];
    }

    public double value(int i) {
        return Double.longBitsToDouble(entries[2 * i + 1]);
    }

    private void set(int i, long time, double value) {
        entries[2 * i] = time;
        entries[2 * i + 1] = Double.doubleToRawLongBits(value);
    }

    /** Moves {@code n} entries from {@code from} to {@code to}, keys and hashes with them. */
    private void move(int from, int to, int n) {
        System.arraycopy(entries, 2 * from, entries, 2 * to, 2 * n);
        if (keys != null) {
            System.arraycopy(keys, from, keys, to, n);
        }
        if (hashes != null) {
            System.arraycopy(hashes, from, hashes, to, n);
        }
    }

    /** Makes room for twice the entries (four at least). */
    private void grow() {
        int n = Math.max(4, size * 2);
        entries = Arrays.copyOf(entries, 2 * n);
        if (keys != null) {
            keys = Arrays.copyOf(keys, n);
        }
        if (hashes != null) {
            hashes = Arrays.copyOf(hashes, n);
        }
    }

    @Nullable
    public String key(int i) {
        return keys == null ? null : keys[i];
    }

    /**
     * Inserts in time order; with a retention limit, keeps only the newest {@code retain}. Returns
     * whether the entry was kept.
     */
    boolean add(long time, double value, @Nullable String key, int retain) {
        int j = key == null ? -1 : indexOfKey(key);
        if (j >= 0) {
            // A distinct count needs only the newest entry of each value: a value counts while
            // its newest entry is visible. So the state holds at most one entry per value.
            if (time(j) >= time) {
                return false;
            }
            removeAt(j);
        }
        if (size >= retain) {
            if (time < time(0)) {
                return false; // older than everything kept: it can never matter
            }
            removeFirst(1);
        }
        if (size == capacity()) {
            grow();
        }
        if (key != null && keys == null) {
            keys = new String[capacity()];
        }
        int i = size;
        while (i > 0 && time(i - 1) > time) {
            i--;
        }
        move(i, i + 1, size - i);
        if (keys != null) {
            keys[i] = key;
        }
        if (hashes != null) {
            hashes[i] = key == null ? 0 : key.hashCode();
        }
        set(i, time, value);
        size++;
        if (i == size - 1) {
            sum += value; // appended: the same left-to-right sum as over the history
        } else {
            recomputeSum();
        }
        return true;
    }

    /**
     * Adds a number to a MAX staircase: entries by time ascending with values strictly descending,
     * so the oldest entry holds the largest value still visible. An entry that is no later and no
     * larger than another expires no later (expiry grows with time) and never decides the maximum,
     * so it is not kept: the staircase stays as short as the distinct value levels. Late events
     * insert in time order. Returns whether the entry was kept.
     */
    boolean addExtreme(long time, double value) {
        int pos = 0;
        while (pos < size && time(pos) < time) {
            pos++;
        }
        if (pos < size && value(pos) >= value) {
            return false; // a later (or same-time) entry at least as large
        }
        int from = pos;
        while (from > 0 && value(from - 1) <= value) {
            from--;
        }
        int to = pos < size && time(pos) == time ? pos + 1 : pos; // same time, smaller value
        int removed = to - from;
        keys = null; // an extreme keeps no keys
        hashes = null;
        if (removed == 0 && size == capacity()) {
            grow();
        }
        int shift = 1 - removed;
        if (shift != 0) {
            move(to, to + shift, size - to);
        }
        set(from, time, value);
        size += shift;
        return true;
    }

    /**
     * Drops entries that no longer count at {@code now}: expired by window or horizon, or at or
     * before the history floor. Returns whether anything was dropped.
     */
    boolean evict(Lifetime spec, long now, long floor, long horizonMillis) {
        int n = 0;
        while (n < size && (time(n) <= floor || now >= spec.expiry(time(n), horizonMillis))) {
            n++;
        }
        if (n > 0) {
            removeFirst(n);
        }
        return n > 0;
    }

    /**
     * The first entry still counting at {@code now}: the ones before it expired (window or horizon)
     * or lie at or below the floor, but may not have been evicted yet. Entries are in time order
     * and a later entry expires no earlier, so the expired ones are a prefix. Expired entries leave
     * at the store's next update, so a read mostly finds every entry visible (one probe); a store
     * kept for a long window may hold many entries a short one no longer sees, which are found by
     * galloping back from the newest entry, then a binary search between the last two probes: a
     * probe per doubling of the visible entries rather than per halving of them all.
     */
    int firstVisible(Lifetime spec, long now, long floor, long horizonMillis) {
        if (size == 0 || visible(0, spec, now, floor, horizonMillis)) {
            return 0;
        }
        int lo = 0; // an entry known not to count
        int hi = size; // the entries from here on count
        for (int step = 1; hi - step > lo; step <<= 1) {
            int probe = hi - step;
            if (!visible(probe, spec, now, floor, horizonMillis)) {
                lo = probe;
                break;
            }
            hi = probe;
        }
        lo++;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (!visible(mid, spec, now, floor, horizonMillis)) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    private boolean visible(int i, Lifetime spec, long now, long floor, long horizonMillis) {
        long t = time(i);
        return t > floor && now < spec.expiry(t, horizonMillis);
    }

    /** The value over the entries from {@code from} on (see {@link #value(CounterSpec.Kind)}). */
    double valueFrom(CounterSpec.Kind kind, int from) {
        if (from == 0) {
            return value(kind);
        }
        return switch (kind) {
            // One entry per value (distinct) or visit: the count of entries is the count of keys.
            case COUNT, DISTINCT, VISITS -> size - from;
            case SUM -> {
                double s = 0;
                for (int i = from; i < size; i++) {
                    s += value(i);
                }
                yield s;
            }
            case MAX -> from >= size ? Double.NaN : value(from);
            case MIN -> from >= size ? Double.NaN : -value(from);
        };
    }

    /** When entry {@code i} stops counting. */
    long expiryOf(int i, Lifetime spec, long horizonMillis) {
        return spec.expiry(time(i), horizonMillis);
    }

    /** When the oldest entry stops counting, or {@link Long#MAX_VALUE} when empty. */
    long nextExpiry(Lifetime spec, long horizonMillis) {
        return size == 0 ? Long.MAX_VALUE : spec.expiry(time(0), horizonMillis);
    }

    /** The counter's value: count, sum or distinct count. */
    double value(CounterSpec.Kind kind) {
        return switch (kind) {
            case COUNT -> size;
            case SUM -> sum;
            case DISTINCT, VISITS -> size; // one entry per value or visit
            case MAX -> size == 0 ? Double.NaN : value(0);
            case MIN -> size == 0 ? Double.NaN : -value(0);
        };
    }

    /** Sets entry {@code i}'s time, decoded after its value and key (see {@link ProfileCodec}). */
    void setDecodedTime(int i, long time) {
        entries[2 * i] = time;
    }

    /** The entry of value {@code key}, or -1 when it has none. */
    private int indexOfKey(String key) {
        String[] keys = this.keys;
        if (keys == null) {
            return -1; // no entry has a key
        }
        int[] h = hashes;
        if (h == null) {
            h = new int[keys.length];
            for (int i = 0; i < size; i++) {
                h[i] = keys[i] == null ? 0 : keys[i].hashCode();
            }
            hashes = h;
        }
        int hash = key.hashCode();
        for (int i = size - 1; i >= 0; i--) {
            if (h[i] == hash && key.equals(keys[i])) {
                return i;
            }
        }
        return -1;
    }

    private void removeAt(int j) {
        move(j + 1, j, size - j - 1);
        if (keys != null) {
            keys[size - 1] = null;
        }
        size--;
        recomputeSum();
    }

    private void removeFirst(int n) {
        move(n, 0, size - n);
        if (keys != null) {
            Arrays.fill(keys, size - n, size, null);
        }
        size -= n;
        // Recomputed rather than decremented, so floating-point error never accumulates.
        recomputeSum();
    }

    private void recompute() {
        recomputeSum();
        hashes = null; // built from the entries when first needed
    }

    private void recomputeSum() {
        double s = 0;
        for (int i = 0; i < size; i++) {
            s += value(i);
        }
        sum = s;
    }
}
