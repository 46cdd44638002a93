package io.cohortflow.core.eval;

import io.cohortflow.core.event.Event;
import io.cohortflow.core.event.Values;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The counters of a catalog indexed by their {@link Anchor}s, in the spirit of a rule engine's
 * alpha network: equality anchors in hash maps probed by the event's values, numeric thresholds in
 * sorted arrays probed by binary search, presence by dimension. What an event probes costs the
 * counters it can change, not the counters that exist. Immutable once built.
 */
final class AnchorIndex {
    private final Map<String, Map<String, List<CounterStore>>> equal = new HashMap<>();
    private final Map<List<String>, Map<String, List<CounterStore>>> pairs = new HashMap<>();
    private final Map<String, Thresholds> above = new HashMap<>();
    private final Map<String, Thresholds> below = new HashMap<>();
    private final Map<String, List<CounterStore>> present = new HashMap<>();
    private final List<CounterStore> unanchored = new ArrayList<>();
    private final Set<String> paths = new HashSet<>();

    /** Whether one event can reach a counter twice (several anchors of one counter). */
    private boolean repeats;

    AnchorIndex(Collection<CounterStore> counters) {
        Map<String, List<Threshold>> up = new HashMap<>();
        Map<String, List<Threshold>> down = new HashMap<>();
        for (CounterStore c : counters) {
            if (c.anchors().isEmpty()) {
                unanchored.add(c);
                continue;
            }
            repeats |= c.anchors().size() > 1;
            for (Anchor a : c.anchors()) {
                paths.add(a.path());
                if (a instanceof Anchor.EqualsBoth b) {
                    paths.add(b.second().path());
                    Map<String, List<CounterStore>> byKey =
                            pairs.computeIfAbsent(
                                    List.of(b.first().path(), b.second().path()),
                                    k -> new HashMap<>());
                    for (String v1 : b.first().values()) {
                        for (String v2 : b.second().values()) {
                            byKey.computeIfAbsent(pairKey(v1, v2), k -> new ArrayList<>()).add(c);
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
        up.forEach((p, ts) -> above.put(p, new Thresholds(ts)));
        down.forEach((p, ts) -> below.put(p, new Thresholds(ts)));
    }

    /** The counters {@code e} may change: each at most once. */
    void probe(Event e, List<CounterStore> out) {
        out.addAll(unanchored);
        boolean lists = false;
        for (String path : paths) {
            Object v = Values.dimension(e, path);
            if (v == null) {
                continue;
            }
            List<CounterStore> p = present.get(path);
            if (p != null) {
                out.addAll(p);
            }
            List<?> elements = Values.elements(v);
            lists |= elements.size() > 1;
            Map<String, List<CounterStore>> byValue = equal.get(path);
            Thresholds up = above.get(path);
            Thresholds down = below.get(path);
            for (Object x : elements) {
                if (byValue != null) {
                    String text = Values.text(x);
                    List<CounterStore> cs = text == null ? null : byValue.get(text);
                    if (cs != null) {
                        out.addAll(cs);
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
        for (Map.Entry<List<String>, Map<String, List<CounterStore>>> pair : pairs.entrySet()) {
            Object v1 = Values.dimension(e, pair.getKey().get(0));
            Object v2 = v1 == null ? null : Values.dimension(e, pair.getKey().get(1));
            if (v2 == null) {
                continue;
            }
            List<?> xs = Values.elements(v1);
            List<?> ys = Values.elements(v2);
            lists |= xs.size() > 1 || ys.size() > 1;
            for (Object x : xs) {
                String tx = Values.text(x);
                if (tx == null) {
                    continue;
                }
                for (Object y : ys) {
                    String ty = Values.text(y);
                    List<CounterStore> cs =
                            ty == null ? null : pair.getValue().get(pairKey(tx, ty));
                    if (cs != null) {
                        out.addAll(cs);
                    }
                }
            }
        }
        if ((repeats || lists) && out.size() > 1) {
            FirstOccurrences.keepFirst(out, c -> c);
        }
    }

    /** Two values as one key; the separator cannot occur in JSON text from the parser. */
    private static String pairKey(String first, String second) {
        return first + '\u0000' + second;
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
            out.addAll(Arrays.asList(counters).subList(0, i));
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
            out.addAll(Arrays.asList(counters).subList(j, bounds.length));
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
