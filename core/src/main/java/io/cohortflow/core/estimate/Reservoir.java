package io.cohortflow.core.estimate;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A uniform sample of at most {@code capacity} items of a stream of unknown length, in one pass
 * (Vitter's algorithm R): after {@code n} offers every item is in the sample with probability
 * {@code min(1, capacity / n)}. Seeded, so the same stream gives the same sample.
 */
public final class Reservoir<T> {
    private final int capacity;
    private final SplittableRandom random;
    private final List<T> items;
    private long seen;

    public Reservoir(int capacity, long seed) {
        if (capacity < 1) {
            throw new IllegalArgumentException("a reservoir holds at least one item");
        }
        this.capacity = capacity;
        this.random = new SplittableRandom(seed);
        this.items = new ArrayList<>(Math.min(capacity, 1 << 16));
    }

    public void offer(T item) {
        seen++;
        if (items.size() < capacity) {
            items.add(item);
            return;
        }
        long slot = random.nextLong(seen);
        if (slot < capacity) {
            items.set((int) slot, item);
        }
    }

    /** How many items were offered: the population the sample was drawn from. */
    public long seen() {
        return seen;
    }

    public List<T> sample() {
        return Collections.unmodifiableList(items);
    }
}
