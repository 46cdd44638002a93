package io.cohortflow.core.eval;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * A distinct count keeps one entry per value, its newest: checked against a map of each value's
 * latest time, through adds in and out of order and evictions, for few values (found by a scan) and
 * many (found through a set of the keys, kept in step). The first entry a window still sees is the
 * one a scan from the oldest finds, whatever the windows, floors and store sizes.
 */
class CounterStateTest {
    /** A state of these columns, laid out as a profile read lays one out. */
    static CounterState of(long[] times, double[] values, String[] keys, int n) {
        long[] entries = CounterState.entries(n);
        for (int i = 0; i < n; i++) {
            CounterState.setDecoded(entries, i, times[i], values[i]);
        }
        return new CounterState(entries, java.util.Arrays.copyOf(keys, Math.max(n, 2)), n);
    }

    private static final long WINDOW = 1_000;

    @Test
    void a_distinct_count_holds_the_newest_entry_of_each_value_and_counts_the_values() {
        Random r = new Random(11);
        Lifetime window = (time, horizon) -> time + WINDOW;
        for (int run = 0; run < 300; run++) {
            int values = 1 + r.nextInt(run % 2 == 0 ? 10 : 80);
            CounterState s = new CounterState();
            Map<String, Long> latest = new TreeMap<>();
            long now = 0;
            for (int step = 0; step < 400; step++) {
                if (r.nextInt(10) == 0) {
                    now += r.nextInt((int) WINDOW);
                    s.evict(window, now, Long.MIN_VALUE, Long.MAX_VALUE);
                    long n = now;
                    latest.values().removeIf(t -> n >= t + WINDOW);
                    continue;
                }
                String key = "v" + r.nextInt(values);
                long time = now - r.nextInt(50); // some late
                if (now >= time + WINDOW) {
                    continue; // expired on arrival: the engine never adds it
                }
                boolean added = s.add(time, 0, key, Integer.MAX_VALUE);
                Long held = latest.get(key);
                assertThat(added).isEqualTo(held == null || held < time);
                if (added) {
                    latest.put(key, time);
                }
                assertThat(s.value(CounterSpec.Kind.DISTINCT)).isEqualTo(latest.size());
                assertThat(s.value(CounterSpec.Kind.VISITS)).isEqualTo(latest.size());
            }
            Map<String, Long> held = new TreeMap<>();
            for (int i = 0; i < s.size(); i++) {
                assertThat(held.put(s.key(i), s.time(i))).as("one entry per value").isNull();
                if (i > 0) {
                    assertThat(s.time(i)).isGreaterThanOrEqualTo(s.time(i - 1));
                }
            }
            assertThat(held).isEqualTo(latest);
        }
    }

    @Test
    void the_first_visible_entry_is_the_one_a_scan_finds() {
        Random r = new Random(12);
        for (int run = 0; run < 2_000; run++) {
            long[] times = new long[r.nextInt(70)];
            long t = 0;
            for (int i = 0; i < times.length; i++) {
                t += r.nextInt(4); // ties too
                times[i] = t;
            }
            CounterState s =
                    of(times, new double[times.length], new String[times.length], times.length);
            long window = 1 + r.nextInt(60);
            long horizon = 1 + r.nextInt(120);
            Lifetime lifetime = (time, h) -> Math.min(time + window, time + h);
            long now = r.nextInt((int) t + 80);
            long floor = r.nextInt(4) == 0 ? r.nextInt((int) t + 2) - 1 : Long.MIN_VALUE;
            int scanned = 0;
            while (scanned < times.length
                    && (times[scanned] <= floor
                            || now >= lifetime.expiry(times[scanned], horizon))) {
                scanned++;
            }
            assertThat(s.firstVisible(lifetime, now, floor, horizon))
                    .as("times %s, now %d, floor %d", java.util.Arrays.toString(times), now, floor)
                    .isEqualTo(scanned);
        }
    }
}
