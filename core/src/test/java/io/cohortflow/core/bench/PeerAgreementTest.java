package io.cohortflow.core.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.core.eval.EngineConfig;
import io.cohortflow.core.eval.ListHistory;
import io.cohortflow.core.eval.MembershipChange;
import io.cohortflow.core.eval.SegmentCatalog;
import io.cohortflow.core.eval.SegmentEngine;
import io.cohortflow.core.eval.UserProfile;
import io.cohortflow.core.event.Event;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Esper's statements ({@link EsperPeer}) give Cohortflow's memberships for the cohorts of {@link
 * PeerBenchmark}, so the benchmark compares equal work: every user's cohorts agree at checkpoints
 * and at the end, with windows that expire, entries and exits of every kind.
 */
class PeerAgreementTest {
    private static final long T0 = 1_700_000_000_000L;
    private static final long HOUR = 3_600_000L;
    private static final long DAY = 24 * HOUR;

    /** Both engines on the same cohorts and users; Cohortflow as the benchmark calls it. */
    private static final class Pair implements AutoCloseable {
        final int users;
        final SegmentEngine engine = new SegmentEngine(EngineConfig.DEFAULT);
        final SegmentCatalog catalog;
        final UserProfile[] profiles;
        final ListHistory[] histories;
        final EsperPeer esper;
        final List<EsperPeer.Change> changes = new ArrayList<>();
        final Set<String> everHeld = new TreeSet<>();

        Pair(int[] cohorts, int users) {
            this.users = users;
            catalog = Workload.catalog(cohorts, true);
            profiles = new UserProfile[users];
            histories = new ListHistory[users];
            for (int u = 0; u < users; u++) {
                profiles[u] = new UserProfile();
                histories[u] = new ListHistory();
            }
            esper = new EsperPeer(cohorts, users, T0);
            esper.recordChanges();
        }

        void send(int u, Event e) {
            record(u, engine.onEvents(profiles[u], histories[u], catalog, List.of(e)).changes());
            esper.onEvent(u, e);
        }

        private void record(int u, List<MembershipChange> out) {
            for (MembershipChange c : out) {
                changes.add(
                        new EsperPeer.Change(
                                u,
                                c.segmentId(),
                                c.kind() == MembershipChange.Kind.ENTERED,
                                c.time()));
            }
        }

        /**
         * Both at {@code time}, every lapse at its own instant (Cohortflow: as the job's timers
         * fire), then every user's cohorts and all changes so far must be equal.
         */
        void assertAgreeAt(long time) {
            esper.advanceTo(time);
            for (int u = 0; u < users; u++) {
                UserProfile p = profiles[u];
                while (p.nextExpiry() <= time) {
                    record(u, engine.advanceTo(p, histories[u], catalog, p.nextExpiry()));
                }
                record(u, engine.advanceTo(p, histories[u], catalog, time));
                assertThat(esper.cohorts(u))
                        .as("user %d at %d h", u, (time - T0) / HOUR)
                        .isEqualTo(engine.cohorts(p, catalog));
                everHeld.addAll(esper.cohorts(u));
            }
            assertThat(sorted(esper.changes())).isEqualTo(sorted(changes));
        }

        private static List<EsperPeer.Change> sorted(List<EsperPeer.Change> changes) {
            List<EsperPeer.Change> out = new ArrayList<>(changes);
            out.sort(
                    Comparator.comparingLong(EsperPeer.Change::time)
                            .thenComparingInt(EsperPeer.Change::user)
                            .thenComparing(EsperPeer.Change::cohort)
                            .thenComparing(EsperPeer.Change::entered));
            return out;
        }

        List<String> cohortflow(int u) {
            return engine.cohorts(profiles[u], catalog);
        }

        @Override
        public void close() {
            esper.close();
        }
    }

    @Test
    void esper_and_cohortflow_agree_on_every_user_at_checkpoints_and_at_the_end() {
        int[] cohorts = PeerBenchmark.cohorts(60);
        int users = 50;
        // Events that reach the cohorts' thresholds: half of them carry the name and category of
        // a windowed count, a third carry revenue; time moves in whole hours, often not at all,
        // over about 45 days, so 1- to 30-day windows expire, some exactly at an event's instant.
        List<Workload.Params> counts = new ArrayList<>();
        for (int i : cohorts) {
            if (Workload.params(i, true).kind() < Workload.FIRST_FILTER) {
                counts.add(Workload.params(i, true));
            }
        }
        Random r = new Random(7);
        long time = T0;
        try (Pair pair = new Pair(cohorts, users)) {
            for (int n = 1; n <= 2_000; n++) {
                time += r.nextInt(2) * HOUR;
                Workload.Params c = counts.get(r.nextInt(counts.size()));
                boolean aimed = r.nextBoolean();
                Map<String, Object> props = new LinkedHashMap<>();
                props.put("category", aimed ? c.category() : "c" + r.nextInt(Workload.CATEGORIES));
                props.put("depth", (double) r.nextInt(100));
                if (r.nextInt(3) == 0) {
                    props.put("revenue", (double) (5 + r.nextInt(200)));
                }
                String name = aimed ? c.name() : Workload.name(r.nextInt(Workload.NAMES));
                pair.send(r.nextInt(users), new Event(name, time, props, null, "s"));
                if (n % 250 == 0) {
                    pair.assertAgreeAt(time);
                }
            }
            pair.assertAgreeAt(time + 31 * DAY);

            // Not vacuous: each kind had members, and users left windowed cohorts.
            Set<Integer> kinds = new TreeSet<>();
            for (String id : pair.everHeld) {
                int kind = Workload.params(Integer.parseInt(id.substring(1)), true).kind();
                kinds.add(kind < Workload.FIRST_FILTER ? 0 : kind < Workload.FIRST_SUM ? 1 : 2);
            }
            assertThat(kinds).containsExactly(0, 1, 2);
            assertThat(pair.esper.exited()).isGreaterThan(100);
        }
    }

    @Test
    void a_window_ends_exactly_D_days_after_the_event_in_both() {
        // A windowed count and a sum of the benchmark's cohorts, each satisfied at T0 by events
        // of one instant: members until T0 + D - 1 ms, not at T0 + D.
        int[] cohorts = PeerBenchmark.cohorts(20);
        for (int i : cohorts) {
            Workload.Params d = Workload.params(i, true);
            if (d.kind() >= Workload.FIRST_FILTER && d.kind() < Workload.FIRST_SUM) {
                continue;
            }
            try (Pair pair = new Pair(new int[] {i}, 1)) {
                int n = d.kind() < Workload.FIRST_FILTER ? d.number() : 1;
                for (int k = 0; k < n; k++) {
                    Map<String, Object> props = new LinkedHashMap<>();
                    props.put("category", d.category());
                    props.put("depth", 1.0);
                    if (d.kind() >= Workload.FIRST_SUM) {
                        props.put("revenue", d.number() + 1.0);
                    }
                    pair.send(0, new Event(d.name(), T0, props, null, "s"));
                }
                List<String> member = List.of("s" + i);
                pair.assertAgreeAt(T0 + d.days() * DAY - 1);
                assertThat(pair.cohortflow(0)).as("s%d before its end", i).isEqualTo(member);
                pair.assertAgreeAt(T0 + d.days() * DAY);
                assertThat(pair.cohortflow(0)).as("s%d at its end", i).isEmpty();
            }
        }
    }

    @Test
    void a_property_filter_holds_when_different_events_satisfy_its_parts() {
        // At visitor level each comparison holds when some event satisfies it (the docs:
        // "Inside a unit, a dimension comparison holds when one of the unit's hits satisfies
        // it"), so "category = c and depth > N" needs no single event with both.
        int i = PeerBenchmark.cohorts(20)[Workload.FIRST_FILTER];
        Workload.Params d = Workload.params(i, true);
        assertThat(d.kind()).isEqualTo(Workload.FIRST_FILTER);
        try (Pair pair = new Pair(new int[] {i}, 1)) {
            pair.send(0, event(T0, d.category(), 0.0));
            pair.assertAgreeAt(T0);
            assertThat(pair.cohortflow(0)).isEmpty();
            pair.send(0, event(T0 + HOUR, "other", d.number() + 1.0));
            pair.assertAgreeAt(T0 + HOUR);
            assertThat(pair.cohortflow(0)).containsExactly("s" + i);
        }
    }

    private static Event event(long time, String category, double depth) {
        return new Event("Pageview", time, Map.of("category", category, "depth", depth), null, "s");
    }
}
