package io.cohortflow.core.eval;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The names a history holds, counted and marked as of the current visit: the same answers as a
 * sorted map and a set, whether searched by scan (a few names) or through the index (many), across
 * insertions, removals and decoding.
 */
class NameCountsTest {

    @Test
    void counts_marks_and_order_as_a_sorted_map_through_growth_and_shrinking() {
        Random r = new Random(7);
        NameCounts names = new NameCounts();
        TreeMap<String, Integer> expected = new TreeMap<>();
        Set<String> marked = new HashSet<>();
        Map<String, Long> newest = new HashMap<>();
        for (int step = 0; step < 20_000; step++) {
            // Phases of growth and of shrinking, so the count crosses the scanned size often.
            boolean growing = (step / 500) % 2 == 0;
            String name = "Event" + r.nextInt(60);
            int what = r.nextInt(100);
            if (what < 2) {
                names.clearMarks(); // another visit
                marked.clear();
            } else if (what < 6) {
                names.mark(name); // one of the visit's events read
                if (expected.containsKey(name)) {
                    marked.add(name);
                }
            } else if (growing || r.nextInt(4) == 0) {
                boolean mark = r.nextBoolean();
                long time = r.nextInt(1000); // as late events, not in order
                names.add(new String(name), mark, time); // another instance than the one held
                expected.merge(name, 1, Integer::sum);
                newest.merge(name, time, Math::max);
                if (mark) {
                    marked.add(name);
                }
            } else {
                names.remove(name);
                expected.computeIfPresent(name, (k, n) -> n == 1 ? null : n - 1);
                marked.retainAll(expected.keySet()); // a mark goes with the name's last event
                newest.keySet().retainAll(expected.keySet()); // and the newest time
            }
            assertSame(names, expected, "step " + step);
            for (int i = 0; i < names.size(); i++) {
                assertThat(names.marked(i))
                        .as("step %d, %s", step, names.name(i))
                        .isEqualTo(marked.contains(names.name(i)));
                assertThat(names.newest(i)).isEqualTo(newest.get(names.name(i)));
            }
            String probe = "Event" + r.nextInt(70); // some never held
            assertThat(names.contains(probe))
                    .as("step %d, %s", step, probe)
                    .isEqualTo(expected.containsKey(probe));
        }
    }

    @Test
    void equal_hashes_are_told_apart() {
        NameCounts names = new NameCounts();
        for (int i = 0; i < 20; i++) {
            names.add("n" + i, false, i);
        }
        names.add("Aa", false, 0);
        assertThat(names.contains("Aa")).isTrue();
        assertThat(names.contains("BB")).isFalse(); // "BB" hashes as "Aa" does
        names.add("BB", false, 0);
        names.remove("Aa");
        assertThat(names.contains("Aa")).isFalse();
        assertThat(names.contains("BB")).isTrue();
    }

    @Test
    void a_decoded_set_is_searched_like_a_built_one() {
        NameCounts names = new NameCounts();
        for (int i = 0; i < 30; i++) {
            names.put(String.format("Event%02d", i), i + 1, false);
        }
        for (int i = 0; i < 30; i++) {
            assertThat(names.contains(String.format("Event%02d", i))).isTrue();
        }
        names.add("Event15", false, 5);
        names.add("Event99", false, 5);
        names.add("Aardvark", false, 5);
        TreeMap<String, Integer> expected = new TreeMap<>();
        for (int i = 0; i < 30; i++) {
            expected.put(String.format("Event%02d", i), i + 1);
        }
        expected.merge("Event15", 1, Integer::sum);
        expected.put("Event99", 1);
        expected.put("Aardvark", 1);
        assertSame(names, expected, "decoded, then added to");
    }

    @Test
    void newest_times_not_known_are_learnt_from_the_visible_events() {
        NameCounts names = new NameCounts();
        names.put("A", 2, false);
        names.put("B", 1, false);
        names.put("C", 1, false);
        names.newest(2, 40); // C's is known
        assertThat(names.newest("A")).isEqualTo(NameCounts.UNKNOWN);
        names.add("A", false, 30); // an event does not make it known: older ones may be newer
        assertThat(names.newest("A")).isEqualTo(NameCounts.UNKNOWN);
        names.learnNewest(
                java.util.List.of(
                        new io.cohortflow.core.event.Event("A", 10, Map.of(), null, null),
                        new io.cohortflow.core.event.Event("C", 20, Map.of(), null, null),
                        new io.cohortflow.core.event.Event("A", 30, Map.of(), null, null)));
        assertThat(names.newest("A")).isEqualTo(30);
        assertThat(names.newest("B")).as("none visible").isEqualTo(Long.MIN_VALUE);
        assertThat(names.newest("C")).as("known already").isEqualTo(40);
        assertThat(names.newest("D")).as("not held").isEqualTo(Long.MIN_VALUE);
    }

    private static void assertSame(NameCounts names, TreeMap<String, Integer> expected, String at) {
        assertThat(names.size()).as(at).isEqualTo(expected.size());
        int i = 0;
        for (Map.Entry<String, Integer> e : expected.entrySet()) {
            assertThat(names.name(i)).as(at).isEqualTo(e.getKey());
            assertThat(names.count(i)).as(at).isEqualTo(e.getValue());
            assertThat(names.contains(e.getKey())).as(at).isTrue();
            i++;
        }
    }

    @Test
    void a_profile_holds_the_shared_instance_of_each_name_its_events_had() {
        NameCounts a = new NameCounts();
        NameCounts b = new NameCounts();
        String name = "NameCountsTest-" + System.nanoTime();
        a.add(new String(name), false, 1);
        b.add(new String(name), false, 2);
        b.put(new String(name + "-decoded"), 1, false);
        a.put(new String(name + "-decoded"), 1, false);
        assertThat(b.name(0)).isSameAs(a.name(0));
        assertThat(b.name(1)).isSameAs(a.name(1));
    }
}
