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
        for (int trial = 0; trial < 2_000; trial++) {
            int n = r.nextInt(4 * FirstOccurrences.PAIRWISE_UP_TO);
            List<String> list = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                list.add("k" + r.nextInt(1 + r.nextInt(3 * FirstOccurrences.PAIRWISE_UP_TO)));
            }
            List<String> expected = new ArrayList<>(new LinkedHashSet<>(list));
            sizes[expected.size() > FirstOccurrences.PAIRWISE_UP_TO ? 1 : 0] = true;

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
    }
}
