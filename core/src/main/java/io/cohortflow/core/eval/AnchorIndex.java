package io.cohortflow.core.eval;

import io.cohortflow.core.event.CanonicalNames;
import io.cohortflow.core.event.Event;
import io.cohortflow.core.event.Values;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The counters of a catalog indexed by their {@link Anchor}s, in the spirit of a rule engine's
 * alpha network: equality anchors in hash maps probed by the event's values, numeric thresholds in
 * sorted arrays probed by binary search, presence by dimension. What an event probes costs the
 * counters it can change, not the counters that exist. Immutable once built.
 */
final class AnchorIndex {
    private static final CounterStore[] NONE = new CounterStore[0];

    private final CounterStore[] unanchored;

    /** One per dimension some anchor reads, probed in turn: an event's cost is the dimensions'. */
    private final Dimension[] dimensions;

    private final Pair[] pairs;

    /** Whether one event can reach a counter twice (several anchors of one counter). */
    private final boolean repeats;

    AnchorIndex(Collection<CounterStore> counters) {
        Map<String, Map<String, List<CounterStore>>> equal = new HashMap<>();
        Map<List<String>, Map<String, Map<String, List<CounterStore>>>> pairs = new HashMap<>();
        Map<String, List<Threshold>> up = new HashMap<>();
        Map<String, List<Threshold>> down = new HashMap<>();
        Map<String, List<CounterStore>> present = new HashMap<>();
        List<CounterStore> unanchored = new ArrayList<>();
        Set<String> paths = new LinkedHashSet<>();
        boolean repeats = false;
        for (CounterStore c : counters) {
            if (c.anchors().isEmpty()) {
                unanchored.add(c);
                continue;
            }
            repeats |= c.anchors().size() > 1;
            for (Anchor a : c.anchors()) {
                paths.add(a.path());
                if (a instanceof Anchor.EqualsBoth b) {
                    Map<String, Map<String, List<CounterStore>>> byFirst =
                            pairs.computeIfAbsent(
                                    List.of(b.first().path(), b.second().path()),
                                    k -> new HashMap<>());
                    for (String v1 : b.first().values()) {
                        Map<String, List<CounterStore>> bySecond =
                                byFirst.computeIfAbsent(v1, k -> new HashMap<>());
                        for (String v2 : b.second().values()) {
                            bySecond.computeIfAbsent(v2, k -> new ArrayList<>()).add(c);
                        }
                    }
                } else if (a instanceof Anchor.Equals e) {
                    Map<String, List<CounterStore>> byValue =
                            equal.computeIfAbsent(e.path(), k -> new HashMap<>());
                    for (String v : e.values()) {
                        byValue.computeIfAbsent(v, k -> new ArrayList<>()).add(c);
                    }
                } else if (a instanceof Anchor.Above x) {
                    up.computeIfAbsent(x.path(), k -> new ArrayList<>())
                            .add(new Threshold(x.bound(), x.inclusive(), c));
                } else if (a instanceof Anchor.Below x) {
                    down.computeIfAbsent(x.path(), k -> new ArrayList<>())
                            .add(new Threshold(x.bound(), x.inclusive(), c));
                } else {
                    present.computeIfAbsent(a.path(), k -> new ArrayList<>()).add(c);
                }
            }
        }
        this.unanchored = unanchored.toArray(NONE);
        this.repeats = repeats;
        // A path read only as one of a pair is probed with the pair, not on its own.
        this.dimensions =
                paths.stream()
                        .filter(
                                path ->
                                        present.containsKey(path)
                                                || equal.containsKey(path)
                                                || up.containsKey(path)
                                                || down.containsKey(path))
                        .map(
                                path ->
                                        new Dimension(
                                                path,
                                                present.getOrDefault(path, List.of()).toArray(NONE),
                                                arrays(equal.get(path)),
                                                up.containsKey(path)
                                                        ? new Thresholds(up.get(path))
                                                        : null,
                                                down.containsKey(path)
                                                        ? new Thresholds(down.get(path))
                                                        : null))
                        .toArray(Dimension[]::new);
        this.pairs =
                pairs.entrySet().stream()
                        .map(
                                p -> {
                                    Map<String, Map<String, CounterStore[]>> byFirst =
                                            new HashMap<>();
                                    p.getValue()
                                            .forEach(
                                                    (v1, m) ->
                                                            byFirst.put(
                                                                    CanonicalNames.of(v1),
                                                                    arrays(m)));
                                    return new Pair(p.getKey().get(0), p.getKey().get(1), byFirst);
                                })
                        .toArray(Pair[]::new);
    }

    @Nullable
    private static Map<String, CounterStore[]> arrays(
            @Nullable Map<String, List<CounterStore>> lists) {
        if (lists == null) {
            return null;
        }
        Map<String, CounterStore[]> out = new HashMap<>();
        // Keys shared with events' names (see CanonicalNames): a probe by name matches by identity.
        lists.forEach((k, v) -> out.put(CanonicalNames.of(k), v.toArray(NONE)));
        return out;
    }

    /**
     * The counters {@code e} may change: each at most once. Called for every event, so it allocates
     * nothing for an event whose values are not lists.
     */
    void probe(Event e, List<CounterStore> out) {
        addAll(out, unanchored);
        boolean lists = false;
        for (Dimension d : dimensions) {
            Object v = Values.dimension(e, d.path);
            if (v == null) {
                continue;
            }
            addAll(out, d.present);
            if (v instanceof List<?> elements) {
                lists |= elements.size() > 1;
                for (int i = 0; i < elements.size(); i++) {
                    d.probe(elements.get(i), out);
                }
            } else {
                d.probe(v, out);
            }
        }
        for (Pair pair : pairs) {
            Object v1 = Values.dimension(e, pair.first);
            Object v2 = v1 == null ? null : Values.dimension(e, pair.second);
            if (v2 == null) {
                continue;
            }
            if (!(v1 instanceof List) && !(v2 instanceof List)) {
                pair.probe(v1, v2, out); // most events: one value each, no list to walk
                continue;
            }
            List<?> xs = Values.elements(v1);
            List<?> ys = Values.elements(v2);
            lists |= xs.size() > 1 || ys.size() > 1;
            for (Object x : xs) {
                for (Object y : ys) {
                    pair.probe(x, y, out);
                }
            }
        }
        if ((repeats || lists) && out.size() > 1) {
            FirstOccurrences.keepFirst(out, c -> c);
        }
    }

    private static void addAll(List<CounterStore> out, CounterStore[] cs) {
        for (CounterStore c : cs) {
            out.add(c);
        }
    }

    /** The anchors on one dimension: its presence, its values, its thresholds. */
    private record Dimension(
            String path,
            CounterStore[] present,
            @Nullable Map<String, CounterStore[]> equal,
            @Nullable Thresholds up,
            @Nullable Thresholds down) {

        /** Adds the counters anchored on one of the dimension's values, {@code x}. */
        void probe(Object x, List<CounterStore> out) {
            if (equal != null) {
                String text = Values.text(x);
                CounterStore[] cs = text == null ? null : equal.get(text);
                if (cs != null) {
                    addAll(out, cs);
                }
            }
            if (up != null || down != null) {
                Double d = x instanceof List ? null : Values.number(x);
                if (d != null) {
                    if (up != null) {
                        up.above(d, out);
                    }
                    if (down != null) {
                        down.below(d, out);
                    }
                }
            }
        }
    }

    /** Counters anchored on the values of two dimensions together, by the first then the second. */
    private record Pair(
            String first, String second, Map<String, Map<String, CounterStore[]>> values) {

        /** Adds the counters anchored on the value pair ({@code x}, {@code y}). */
        void probe(Object x, Object y, List<CounterStore> out) {
            String tx = Values.text(x);
            Map<String, CounterStore[]> bySecond = tx == null ? null : values.get(tx);
            String ty = bySecond == null ? null : Values.text(y);
            CounterStore[] cs = ty == null ? null : bySecond.get(ty);
            if (cs != null) {
                addAll(out, cs);
            }
        }
    }

    private record Threshold(double bound, boolean inclusive, CounterStore counter) {}

    /** Thresholds of one dimension, by bound ascending. */
    private static final class Thresholds {
        private final double[] bounds;
        private final boolean[] inclusive;
        private final CounterStore[] counters;

        Thresholds(List<Threshold> ts) {
            ts.sort(Comparator.comparingDouble(Threshold::bound));
            bounds = new double[ts.size()];
            inclusive = new boolean[ts.size()];
            counters = new CounterStore[ts.size()];
            for (int i = 0; i < ts.size(); i++) {
                bounds[i] = ts.get(i).bound();
                inclusive[i] = ts.get(i).inclusive();
                counters[i] = ts.get(i).counter();
            }
        }

        /** Counters whose bound {@code d} is above (or at, when inclusive). */
        void above(double d, List<CounterStore> out) {
            int i = firstAtLeast(d);
            for (int k = 0; k < i; k++) {
                out.add(counters[k]);
            }
            for (; i < bounds.length && bounds[i] == d; i++) {
                if (inclusive[i]) {
                    out.add(counters[i]);
                }
            }
        }

        /** Counters whose bound {@code d} is below (or at, when inclusive). */
        void below(double d, List<CounterStore> out) {
            int i = firstAtLeast(d);
            int j = i;
            for (; j < bounds.length && bounds[j] == d; j++) {
                if (inclusive[j]) {
                    out.add(counters[j]);
                }
            }
            for (int k = j; k < bounds.length; k++) {
                out.add(counters[k]);
            }
        }

        /** The first index whose bound is at least {@code d} (the length when none is). */
        private int firstAtLeast(double d) {
            int lo = 0;
            int hi = bounds.length;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (bounds[mid] < d) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            return lo;
        }
    }
}
