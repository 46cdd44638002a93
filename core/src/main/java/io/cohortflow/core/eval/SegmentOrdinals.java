package io.cohortflow.core.eval;

import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Dense small numbers for the segments of one workspace, under which a profile stores its
 * memberships (a string id per membership was most of a profile's bytes), and for its counter
 * stores, under which a profile stores its counters (a 64-bit hash per counter was a third of a
 * profile's bytes at 1 000 segments). The first segment put into a catalog's lineage gets 0, the
 * next 1, and so on; the first store a compiled segment reads gets 0 among stores, and so on. A
 * number stays with its segment or store after it is removed and is never given to another, so a
 * profile never reads a membership or a counter under the wrong one, whatever it missed while away.
 *
 * <p>Every reader that applies the same definition log in the same order assigns the same numbers
 * (the job, a backfill, a restarted job); a reader that restores from a checkpoint takes the tables
 * it stored ({@link #restore}) instead of guessing. Immutable.
 */
public final class SegmentOrdinals {
    static final SegmentOrdinals NONE =
            new SegmentOrdinals(Map.of(), List.of(), Map.of(), List.of());

    private final Map<String, Integer> byId;
    private final List<String> ids;
    private final Map<Long, Integer> storeByHash;
    private final List<Long> storeHashes;

    private SegmentOrdinals(
            Map<String, Integer> byId,
            List<String> ids,
            Map<Long, Integer> storeByHash,
            List<Long> storeHashes) {
        this.byId = byId;
        this.ids = ids;
        this.storeByHash = storeByHash;
        this.storeHashes = storeHashes;
    }

    /**
     * The table a reader stored before counter stores were numbered: segment id to number. Stores
     * are numbered afresh as definitions are compiled (profiles of that time key counters by hash
     * and are rebuilt, see {@link ProfileCodec}).
     *
     * @throws IllegalArgumentException when the numbers are not 0..n-1, each once
     */
    public static SegmentOrdinals restore(Map<String, Integer> stored) {
        return restore(stored, Map.of());
    }

    /**
     * The tables a reader stored: segment id to number, and a counter store's hash (see {@link
     * #storeHashes}) to number. The numbers of each must be 0..n-1, each once.
     *
     * @throws IllegalArgumentException when they are not
     */
    public static SegmentOrdinals restore(
            Map<String, Integer> segments, Map<Long, Integer> stores) {
        return new SegmentOrdinals(
                Map.copyOf(segments),
                List.of(dense(segments, new String[segments.size()], "segment")),
                Map.copyOf(stores),
                List.of(dense(stores, new Long[stores.size()], "counter store")));
    }

    /** {@code numbered}'s keys by number, which must be 0..n-1, each once. */
    private static <K> K[] dense(Map<K, Integer> numbered, K[] byNumber, String what) {
        numbered.forEach(
                (key, n) -> {
                    if (n < 0 || n >= byNumber.length || byNumber[n] != null) {
                        throw new IllegalArgumentException(
                                what
                                        + " ordinals must be 0.."
                                        + (byNumber.length - 1)
                                        + " each once");
                    }
                    byNumber[n] = key;
                });
        return byNumber;
    }

    /** A snapshot of tables being built (see {@link CatalogBuilder}). */
    static SegmentOrdinals of(
            Map<String, Integer> byId,
            List<String> ids,
            Map<Long, Integer> storeByHash,
            List<Long> storeHashes) {
        return new SegmentOrdinals(
                Map.copyOf(byId),
                List.copyOf(ids),
                Map.copyOf(storeByHash),
                List.copyOf(storeHashes));
    }

    /** The number of {@code id}, or -1 when it has none. */
    public int of(String id) {
        Integer n = byId.get(id);
        return n == null ? -1 : n;
    }

    /** The segment id numbered {@code ordinal}, or null. */
    @Nullable
    public String idOf(int ordinal) {
        return ordinal >= 0 && ordinal < ids.size() ? ids.get(ordinal) : null;
    }

    /** How many numbers are given out. */
    public int size() {
        return ids.size();
    }

    /** The numbered ids, in number order. */
    List<String> ids() {
        return ids;
    }

    /** Segment id to number, for a reader to store beside its definitions. */
    public Map<String, Integer> asMap() {
        return byId;
    }

    /**
     * The counter stores numbered, by number: each a hash of what the store counts (kind, field and
     * the events it counts, not window or retention), stable across restarts and versions of the
     * definitions that read it.
     */
    public List<Long> storeHashes() {
        return storeHashes;
    }

    /** Store hash to number, for a reader to store beside its definitions. */
    public Map<Long, Integer> storesAsMap() {
        return storeByHash;
    }
}
