package io.cohortflow.core.eval;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** A user's counters by id: every look-up, insertion and removal agrees with a sorted map. */
class LongMapTest {
    @Test
    void agrees_with_a_sorted_map_through_random_changes() {
        Random r = new Random(7);
        for (int round = 0; round < 200; round++) {
            LongMap<Long> map = new LongMap<>();
            TreeMap<Long, Long> expected = new TreeMap<>();
            // Keys from a small range, so that look-ups hit and miss, and at the ends of the
            // longs, so that the search's comparisons cannot overflow into a wrong answer.
            int range = 1 + r.nextInt(80);
            for (int step = 0; step < 300; step++) {
                long key =
                        switch (r.nextInt(20)) {
                            case 0 -> Long.MIN_VALUE + r.nextInt(3);
                            case 1 -> Long.MAX_VALUE - r.nextInt(3);
                            default -> r.nextInt(range) - range / 2;
                        };
                switch (r.nextInt(4)) {
                    case 0, 1 -> {
                        map.put(key, (long) step);
                        expected.put(key, (long) step);
                    }
                    case 2 -> {
                        map.remove(key);
                        expected.remove(key);
                    }
                    default -> assertThat(map.get(key)).isEqualTo(expected.get(key));
                }
                assertThat(map.size()).isEqualTo(expected.size());
            }
            int i = 0;
            for (Map.Entry<Long, Long> e : expected.entrySet()) {
                assertThat(map.key(i)).isEqualTo(e.getKey());
                assertThat(map.get(e.getKey())).isEqualTo(e.getValue());
                i++;
            }
            assertThat(map.get(range + 1L)).isNull();
        }
    }
}
