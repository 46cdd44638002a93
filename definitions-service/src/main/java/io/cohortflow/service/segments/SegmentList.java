package io.cohortflow.service.segments;

import io.cohortflow.service.store.StoredSegment;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * GET /segments' query and how it selects, orders and pages the segments a caller may see (which
 * those are is {@link SegmentService}'s access rule).
 */
public final class SegmentList {
    private SegmentList() {}

    /** How a list is sorted. */
    public enum SortProperty {
        ID,
        NAME,
        MODIFIED_DATE
    }

    /** Which segments beyond the caller's own a list includes. */
    public enum IncludeType {
        SHARED,
        ALL,
        TEMPLATES
    }

    /**
     * GET /segments, typed.
     *
     * @param published null for all
     */
    public record Query(
            @Nullable Set<String> ids,
            @Nullable Set<String> rsids,
            @Nullable String name,
            @Nullable Set<String> tagNames,
            @Nullable Boolean published,
            Set<IncludeType> include,
            SortProperty sort,
            boolean ascending,
            int limit,
            int page) {}

    /** A page of a list and the total it was cut from. */
    public record Page<T>(List<T> items, int total) {}

    /**
     * Oldest change first. {@code modified} is compared as the instant it is, never as text: a
     * record written before timestamps had a fixed format holds a whole second without millis
     * ({@code ...:45Z}), which as text sorts after {@code ...:45.826Z}.
     */
    static final Comparator<StoredSegment> BY_MODIFIED =
            Comparator.comparing(s -> Instant.parse(s.modified()));

    /** The candidates the query's filters keep, in its order, cut to its page. */
    static <T> Page<T> page(Stream<T> candidates, Function<T, StoredSegment> segment, Query q) {
        Comparator<T> order =
                switch (q.sort()) {
                    case ID -> Comparator.comparing(v -> segment.apply(v).id());
                    case NAME ->
                            Comparator.<T, String>comparing(
                                            v -> segment.apply(v).name().toLowerCase(Locale.ROOT))
                                    .thenComparing(v -> segment.apply(v).id());
                    case MODIFIED_DATE ->
                            Comparator.comparing(segment, BY_MODIFIED)
                                    .thenComparing(v -> segment.apply(v).id());
                };
        if (!q.ascending()) {
            order = order.reversed();
        }
        String name = q.name() == null ? null : q.name().toLowerCase(Locale.ROOT);
        List<T> all =
                candidates.filter(v -> selected(segment.apply(v), q, name)).sorted(order).toList();
        long from = (long) q.page() * q.limit();
        List<T> items =
                from >= all.size()
                        ? List.of()
                        : all.subList((int) from, (int) Math.min(all.size(), from + q.limit()));
        return new Page<>(items, all.size());
    }

    private static boolean selected(StoredSegment s, Query q, @Nullable String name) {
        return (q.ids() == null || q.ids().contains(s.id()))
                && (q.rsids() == null || q.rsids().contains(s.rsid()))
                && (name == null || s.name().toLowerCase(Locale.ROOT).contains(name))
                && (q.tagNames() == null
                        || s.tags().stream()
                                .anyMatch(
                                        t ->
                                                q.tagNames()
                                                        .contains(
                                                                t.name().toLowerCase(Locale.ROOT))))
                && (q.published() == null || s.published() == q.published());
    }
}
