package io.cohortflow.core.eval;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.core.bench.Workload;
import io.cohortflow.core.event.Event;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A user is woken (a timer in the job) where a membership can change, not at every instant an entry
 * of one of its counters expires, as the engine before v2 did: over the benchmark's incremental
 * workload, users seen once to four times are woken at most once per membership that lapses plus
 * once per counter test whose threshold a lapse crosses without changing the segment's answer, and
 * at the end to clear what expired; far fewer times than there are expiry instants.
 */
class WakeUpsTest {
    @Test
    void users_are_woken_where_memberships_can_change_not_at_every_expiry() {
        SegmentCatalog catalog = Workload.catalog(200, true);
        SegmentEngine engine = new SegmentEngine(EngineConfig.DEFAULT);
        Random r = new Random(3);
        long totalWakes = 0;
        long totalInstants = 0;
        long totalChanged = 0;
        long totalEvents = 0;
        for (int user = 0; user < 50; user++) {
            UserProfile p = new UserProfile();
            ListHistory h = new ListHistory();
            long t = 1_700_000_000_000L;
            int events = 1 + user % 4;
            for (int i = 0; i < events; i++) {
                t += r.nextInt(6 * 3_600_000);
                Event proto = Workload.event(r, t, 0);
                engine.onEvents(
                        p,
                        h,
                        catalog,
                        List.of(new Event(proto.name(), t, proto.properties(), null, "s")));
            }
            totalEvents += events;
            java.util.Set<Long> instants = new java.util.HashSet<>();
            for (int k = 0; k < p.counters.size(); k++) {
                // Every instant an entry leaves some reader's window.
                CounterState c = p.counters.value(k);
                for (CounterSpec spec : catalog.counterStore(p.counters.key(k)).views()) {
                    for (int i = 0; i < c.size(); i++) {
                        instants.add(c.expiryOf(i, spec, EngineConfig.DEFAULT.horizonMillis()));
                    }
                }
            }
            totalInstants += instants.size();
            int wakes = 0;
            int changed = 0;
            while (p.nextExpiry() != Long.MAX_VALUE && wakes < 1_000) {
                wakes++;
                if (!engine.advanceTo(p, h, catalog, p.nextExpiry()).isEmpty()) {
                    changed++;
                }
            }
            totalChanged += changed;
            assertThat(p.counterCount()).as("everything expired is cleared").isZero();
            totalWakes += wakes;
        }
        System.out.printf(
                "WAKES users=50 events=%d expiry_instants=%d wake_ups=%d changing=%d%n",
                totalEvents, totalInstants, totalWakes, totalChanged);
        assertThat(totalChanged).as("lapses happen").isPositive();
        // The engine before v2 woke at every expiry instant. Measured here: 348 instants, 223
        // wake-ups, 145 of which end a membership and 50 the final clean-ups.
        assertThat(totalWakes).isLessThan(totalInstants * 7 / 10);
        assertThat(totalWakes - totalChanged - 50)
                .as("wake-ups that change nothing")
                .isLessThan(totalChanged / 4);
    }
}
