package io.cohortflow.core.eval;

import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Dense small numbers for the segments of one workspace, under which a profile stores its
 * memberships (a string id per membership was most of a profile's bytes). The first segment put
 * into a catalog's lineage gets 0, the next 1, and so on; a number stays with its segment after the
 * segment is removed and is never given to another, so a profile never reads a membership under the
 * wrong segment, whatever it missed while away.
 *
 * <p>Every reader that applies the same definition log in the same order assigns the same numbers
 * (the job, a backfill, a restarted job); a reader that restores from a checkpoint takes the table
 * it stored ({@link #restore}) instead of guessing. Immutable.
 */
public final class SegmentOrdinals {
    static final SegmentOrdinals NONE = new SegmentOrdinals(Map.of(), List.of());

    private final Map<String, Integer> byId;
    private final List<String> ids;

    private SegmentOrdinals(Map<String, Integer> byId, List<String> ids) {
        this.byId = byId;
        this.ids = ids;
    }

    /**
     * The table a reader stored: segment id to number. The numbers must be 0..n-1, each once.
     *
     * @throws IllegalArgumentException when they are not
     */
    public static SegmentOrdinals restore(Map<String, Integer> stored) {
        String[] ids = new String[stored.size()];
        stored.forEach(
                (id, n) -> {
                    if (n < 0 || n >= ids.length || ids[n] != null) {
                        throw new IllegalArgumentException(
                                "segment ordinals must be 0.." + (ids.length - 1) + " each once");
                    }
                    ids[n] = id;
                });
        return new SegmentOrdinals(Map.copyOf(stored), List.of(ids));
    }

    /** A snapshot of a table being built (see {@link CatalogBuilder}). */
    static SegmentOrdinals of(Map<String, Integer> byId, List<String> ids) {
        return new SegmentOrdinals(Map.copyOf(byId), List.copyOf(ids));
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
}
