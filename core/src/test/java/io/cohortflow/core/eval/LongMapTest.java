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

    /** The bits' edges: the first and last key of a word and of the range, then one past it. */
    @Test
    void keys_at_the_edges_of_words_and_of_the_range() {
        long limit = (long) LongMap.MAX_WORDS << 6;
        long[] edges = {0, 1, 62, 63, 64, 65, 127, 128, limit - 65, limit - 64, limit - 1};
        LongMap<Long> map = new LongMap<>();
        for (int i = edges.length - 1; i >= 0; i--) {
            map.put(edges[i], edges[i] * 10);
        }
        for (long k : edges) {
            assertThat(map.get(k)).isEqualTo(k * 10);
            assertThat(map.get(k == 0 ? -1 : k - 1))
                    .isEqualTo(contains(edges, k - 1) ? (k - 1) * 10 : null);
        }
        assertThat(map.get(limit)).isNull();
        map.remove(63);
        assertThat(map.get(63)).isNull();
        assertThat(map.get(64)).isEqualTo(640L);
        // A key past the range: every entry still found, by the search.
        map.put(limit, -1L);
        map.put(-5, -5L);
        for (long k : edges) {
            assertThat(map.get(k)).isEqualTo(k == 63 ? null : k * 10);
        }
        assertThat(map.get(limit)).isEqualTo(-1L);
        assertThat(map.get(-5)).isEqualTo(-5L);
        // Emptied, small keys are looked up by bit again.
        map.clear();
        map.put(64, 1L);
        assertThat(map.get(64)).isEqualTo(1L);
        assertThat(map.get(0)).isNull();
    }

    private static boolean contains(long[] keys, long key) {
        for (long k : keys) {
            if (k == key) {
                return true;
            }
        }
        return false;
    }

    /**
     * Counter stores are numbered from 0, and such keys are looked up by bit: through insertions,
     * removals (one, by test, all) and keys past the bits' range, which must fall back to the
     * search without losing an entry.
     */
    @Test
    void keys_looked_up_by_bit_agree_with_a_sorted_map() {
        Random r = new Random(11);
        long limit = (long) LongMap.MAX_WORDS << 6;
        for (int round = 0; round < 300; round++) {
            LongMap<Long> map = new LongMap<>();
            TreeMap<Long, Long> expected = new TreeMap<>();
            // Most rounds within the bits' range, dense or sparse; some reach past it.
            long range =
                    switch (round % 4) {
                        case 0 -> 1 + r.nextInt(130);
                        case 1 -> 1 + r.nextInt(3_000);
                        case 2 -> limit;
                        default -> limit + 1 + r.nextInt(100);
                    };
            for (int step = 0; step < 400; step++) {
                long key = (long) (r.nextDouble() * range);
                switch (r.nextInt(12)) {
                    case 0, 1, 2, 3 -> {
                        map.put(key, (long) step);
                        expected.put(key, (long) step);
                    }
                    case 4 -> {
                        map.remove(key);
                        expected.remove(key);
                    }
                    case 5 -> {
                        if (map.size() > 0) {
                            int i = r.nextInt(map.size());
                            expected.remove(map.key(i));
                            map.removeAt(i);
                        }
                    }
                    case 6 -> {
                        long mod = 2 + r.nextInt(5);
                        map.removeIf(k -> k % mod == 0);
                        expected.keySet().removeIf(k -> k % mod == 0);
                    }
                    case 7 -> {
                        if (r.nextInt(20) == 0) {
                            map.clear();
                            expected.clear();
                        }
                    }
                    default -> {
                        assertThat(map.get(key)).isEqualTo(expected.get(key));
                        assertThat(map.get(key + 1)).isEqualTo(expected.get(key + 1));
                    }
                }
                assertThat(map.size()).isEqualTo(expected.size());
            }
            for (Map.Entry<Long, Long> e : expected.entrySet()) {
                assertThat(map.get(e.getKey())).isEqualTo(e.getValue());
            }
            assertThat(map.get(-1)).isNull();
            assertThat(map.get(limit)).isEqualTo(expected.get(limit));
            assertThat(map.get(Long.MAX_VALUE)).isNull();
        }
    }
}
