package io.cohortflow.core.eval;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FirstOccurrencesTest {

    @Test
    void keeps_the_first_of_each_key_in_order_pairwise_and_with_a_set() {
        Random r = new Random(7);
        boolean[] sizes = new boolean[2];
        boolean[] lengths = new boolean[2]; // keepFirst's two paths: pairwise in place, or not
        for (int trial = 0; trial < 2_000; trial++) {
            int n = r.nextInt(4 * FirstOccurrences.PAIRWISE_UP_TO);
            List<String> list = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                list.add("k" + r.nextInt(1 + r.nextInt(3 * FirstOccurrences.PAIRWISE_UP_TO)));
            }
            List<String> expected = new ArrayList<>(new LinkedHashSet<>(list));
            sizes[expected.size() > FirstOccurrences.PAIRWISE_UP_TO ? 1 : 0] = true;
            lengths[n > FirstOccurrences.PAIRWISE_UP_TO ? 1 : 0] = true;

            FirstOccurrences<String> f = new FirstOccurrences<>(list, s -> s);
            List<String> firsts = new ArrayList<>();
            for (int i = 0; i < list.size(); i++) {
                if (f.first(i)) {
                    firsts.add(list.get(i));
                }
            }
            assertThat(firsts).as("trial %d", trial).isEqualTo(expected);

            List<String> inPlace = new ArrayList<>(list);
            FirstOccurrences.keepFirst(inPlace, s -> s);
            assertThat(inPlace).as("trial %d, in place", trial).isEqualTo(expected);
        }
        assertThat(sizes).containsOnly(true); // both the pairwise and the hashed path ran
        assertThat(lengths).containsOnly(true);
    }

    /**
     * The stores an event reaches ({@code AnchorIndex#probe}), each kept once, first occurrence
     * first, by id (as {@link CounterStore#equals}): compared in place for a few, through a set of
     * keys past {@link FirstOccurrences#PAIRWISE_UP_TO}.
     */
    @Test
    void keeps_the_first_of_each_store_in_order() {
        Random r = new Random(5);
        boolean[] paths = new boolean[2];
        for (int trial = 0; trial < 2_000; trial++) {
            int n = r.nextInt(3 * FirstOccurrences.PAIRWISE_UP_TO);
            int ids = 1 + r.nextInt(2 * FirstOccurrences.PAIRWISE_UP_TO);
            List<CounterStore> reached = new ArrayList<>();
            List<Long> expected = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                // A new record each time: equal by id, not the same object.
                reached.add(store(r.nextInt(ids)));
            }
            for (CounterStore s : reached) {
                expected.add(s.id());
            }
            expected = new ArrayList<>(new LinkedHashSet<>(expected));
            paths[n > FirstOccurrences.PAIRWISE_UP_TO ? 1 : 0] = true;

            List<CounterStore> first = new ArrayList<>(reached);
            FirstOccurrences.keepFirst(first, c -> c);
            assertThat(first.stream().map(CounterStore::id).toList())
                    .as("trial %d", trial)
                    .isEqualTo(expected);
            for (int i = 0; i < first.size(); i++) {
                // The first occurrence itself is kept, not a later one of its id.
                assertThat(first.get(i)).isSameAs(firstOf(reached, first.get(i).id()));
            }
        }
        assertThat(paths).containsOnly(true);
    }

    private static CounterStore firstOf(List<CounterStore> stores, long id) {
        for (CounterStore s : stores) {
            if (s.id() == id) {
                return s;
            }
        }
        throw new AssertionError("no store " + id);
    }

    private static CounterStore store(long id) {
        return new CounterStore(
                id, CounterSpec.Kind.COUNT, null, e -> true, List.of(), 1, null, List.of());
    }
}
