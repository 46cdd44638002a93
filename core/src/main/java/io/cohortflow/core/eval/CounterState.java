package io.cohortflow.core.eval;

import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * The entries of one counter for one user, oldest first: time, value (sums) and key (distinct
 * counts). Small by construction: a count compared with small thresholds keeps only its newest few
 * entries; other counters keep the matching events within their window.
 */
public final class CounterState {
    private long[] times;
    private double[] values;

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
        this(new long[2], new double[2], null, 0);
    }

    /**
     * The entries of a profile read: {@code keys} null when none has one; the times may be set
     * after ({@link #setDecodedTime}).
     */
    CounterState(long[] times, double[] values, String @Nullable [] keys, int size) {
        this.times = times;
        this.values = values;
        this.keys = keys;
        this.size = size;
        recompute();
    }

    public int size() {
        return size;
    }

    public long time(int i) {
        return times[i];
    }

    public double value(int i) {
        return values[i];
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
            if (times[j] >= time) {
                return false;
            }
            removeAt(j);
        }
        if (size >= retain) {
            if (time < times[0]) {
                return false; // older than everything kept: it can never matter
            }
            removeFirst(1);
        }
        if (size == times.length) {
            int n = Math.max(4, size * 2);
            times = Arrays.copyOf(times, n);
            values = Arrays.copyOf(values, n);
            if (keys != null) {
                keys = Arrays.copyOf(keys, n);
            }
            if (hashes != null) {
                hashes = Arrays.copyOf(hashes, n);
            }
        }
        if (key != null && keys == null) {
            keys = new String[times.length];
        }
        int i = size;
        while (i > 0 && times[i - 1] > time) {
            i--;
        }
        System.arraycopy(times, i, times, i + 1, size - i);
        System.arraycopy(values, i, values, i + 1, size - i);
        if (keys != null) {
            System.arraycopy(keys, i, keys, i + 1, size - i);
            keys[i] = key;
        }
        if (hashes != null) {
            System.arraycopy(hashes, i, hashes, i + 1, size - i);
            hashes[i] = key == null ? 0 : key.hashCode();
        }
        times[i] = time;
        values[i] = value;
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
        while (pos < size && times[pos] < time) {
            pos++;
        }
        if (pos < size && values[pos] >= value) {
            return false; // a later (or same-time) entry at least as large
        }
        int from = pos;
        while (from > 0 && values[from - 1] <= value) {
            from--;
        }
        int to = pos < size && times[pos] == time ? pos + 1 : pos; // same time, smaller value
        int removed = to - from;
        if (removed == 0 && size == times.length) {
            int n = Math.max(4, size * 2);
            times = Arrays.copyOf(times, n);
            values = Arrays.copyOf(values, n);
            keys = null; // an extreme keeps no keys
            hashes = null;
        }
        int shift = 1 - removed;
        if (shift != 0) {
            System.arraycopy(times, to, times, to + shift, size - to);
            System.arraycopy(values, to, values, to + shift, size - to);
        }
        times[from] = time;
        values[from] = value;
        size += shift;
        return true;
    }

    /**
     * Drops entries that no longer count at {@code now}: expired by window or horizon, or at or
     * before the history floor. Returns whether anything was dropped.
     */
    boolean evict(Lifetime spec, long now, long floor, long horizonMillis) {
        int n = 0;
        while (n < size && (times[n] <= floor || now >= spec.expiry(times[n], horizonMillis))) {
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
        return times[i] > floor && now < spec.expiry(times[i], horizonMillis);
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
                    s += values[i];
                }
                yield s;
            }
            case MAX -> from >= size ? Double.NaN : values[from];
            case MIN -> from >= size ? Double.NaN : -values[from];
        };
    }

    /** When entry {@code i} stops counting. */
    long expiryOf(int i, Lifetime spec, long horizonMillis) {
        return spec.expiry(times[i], horizonMillis);
    }

    /** When the oldest entry stops counting, or {@link Long#MAX_VALUE} when empty. */
    long nextExpiry(Lifetime spec, long horizonMillis) {
        return size == 0 ? Long.MAX_VALUE : spec.expiry(times[0], horizonMillis);
    }

    /** The counter's value: count, sum or distinct count. */
    double value(CounterSpec.Kind kind) {
        return switch (kind) {
            case COUNT -> size;
            case SUM -> sum;
            case DISTINCT, VISITS -> size; // one entry per value or visit
            case MAX -> size == 0 ? Double.NaN : values[0];
            case MIN -> size == 0 ? Double.NaN : -values[0];
        };
    }

    /** Sets entry {@code i}'s time, decoded after its value and key (see {@link ProfileCodec}). */
    void setDecodedTime(int i, long time) {
        times[i] = time;
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
        System.arraycopy(times, j + 1, times, j, size - j - 1);
        System.arraycopy(values, j + 1, values, j, size - j - 1);
        if (keys != null) {
            System.arraycopy(keys, j + 1, keys, j, size - j - 1);
            keys[size - 1] = null;
        }
        if (hashes != null) {
            System.arraycopy(hashes, j + 1, hashes, j, size - j - 1);
        }
        size--;
        recomputeSum();
    }

    private void removeFirst(int n) {
        System.arraycopy(times, n, times, 0, size - n);
        System.arraycopy(values, n, values, 0, size - n);
        if (keys != null) {
            System.arraycopy(keys, n, keys, 0, size - n);
            Arrays.fill(keys, size - n, size, null);
        }
        if (hashes != null) {
            System.arraycopy(hashes, n, hashes, 0, size - n);
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
            s += values[i];
        }
        sum = s;
    }
}
