package io.cohortflow.core.eval;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * Which elements of a list are the first of their key, asked in order of position: for the handful
 * of keys an event brings (the counter stores it probes, the names of its visit) comparing with the
 * keys seen so far costs less than a hash set built per event; past {@link #PAIRWISE_UP_TO}
 * distinct keys the set takes over.
 */
final class FirstOccurrences<T> {
    /** Distinct keys compared one by one; past this many, a hash set. */
    static final int PAIRWISE_UP_TO = 8;

    private final List<T> list;
    private final Function<T, ?> key;
    private final Object[] firsts = new Object[PAIRWISE_UP_TO];
    private int count;
    private Set<Object> seen;

    FirstOccurrences(List<T> list, Function<T, ?> key) {
        this.list = list;
        this.key = key;
    }

    /**
     * Whether element {@code i} is the first of its key. Asked for each position in turn, from 0.
     */
    boolean first(int i) {
        Object k = key.apply(list.get(i));
        if (seen != null) {
            return seen.add(k);
        }
        for (int j = 0; j < count; j++) {
            if (Objects.equals(firsts[j], k)) {
                return false;
            }
        }
        if (count == PAIRWISE_UP_TO) {
            seen = new HashSet<>(Arrays.asList(firsts));
            return seen.add(k);
        }
        firsts[count++] = k;
        return true;
    }

    /**
     * Keeps the first element of each key of {@code list}, in order. A list of at most {@link
     * #PAIRWISE_UP_TO} is compared pairwise in place, allocating nothing: the counter stores one
     * event reaches are a handful, and a {@link FirstOccurrences} per event was garbage.
     */
    static <T> void keepFirst(List<T> list, Function<T, ?> key) {
        int n = list.size();
        if (n <= PAIRWISE_UP_TO) {
            int kept = 0;
            next:
            for (int i = 0; i < n; i++) {
                T x = list.get(i);
                Object k = key.apply(x);
                for (int j = 0; j < kept; j++) {
                    if (Objects.equals(key.apply(list.get(j)), k)) {
                        continue next;
                    }
                }
                list.set(kept++, x);
            }
            while (list.size() > kept) {
                list.remove(list.size() - 1); // from the end: no view made, nothing shifted
            }
            return;
        }
        FirstOccurrences<T> f = new FirstOccurrences<>(list, key);
        int kept = 0;
        for (int i = 0; i < list.size(); i++) {
            if (f.first(i)) {
                list.set(kept++, list.get(i));
            }
        }
        list.subList(kept, list.size()).clear();
    }
}
