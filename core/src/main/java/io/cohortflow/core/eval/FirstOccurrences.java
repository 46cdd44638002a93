package io.cohortflow.core.eval;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * Which elements of a list are the first of their key, asked in order of position: for the handful
 * an event brings (the counter stores it probes, the names of its visit) comparing pair by pair
 * costs less than a hash set built per event; a longer list gets the set.
 */
final class FirstOccurrences<T> {
    /** Lists longer than this get a hash set. */
    static final int PAIRWISE_UP_TO = 16;

    private final List<T> list;
    private final Function<T, ?> key;
    private final Set<Object> seen;

    FirstOccurrences(List<T> list, Function<T, ?> key) {
        this.list = list;
        this.key = key;
        this.seen = list.size() > PAIRWISE_UP_TO ? new HashSet<>() : null;
    }

    /**
     * Whether element {@code i} is the first of its key. Asked for each position in turn, from 0;
     * the elements before {@code i} may since have been replaced by earlier ones (a list being
     * deduplicated in place).
     */
    boolean first(int i) {
        Object k = key.apply(list.get(i));
        if (seen != null) {
            return seen.add(k);
        }
        for (int j = 0; j < i; j++) {
            if (Objects.equals(key.apply(list.get(j)), k)) {
                return false;
            }
        }
        return true;
    }

    /** Keeps the first element of each key of {@code list}, in order. */
    static <T> void keepFirst(List<T> list, Function<T, ?> key) {
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
