package io.cohortflow.core.bench;

import io.cohortflow.core.eval.EngineConfig;
import io.cohortflow.core.eval.ListHistory;
import io.cohortflow.core.eval.MembershipChange;
import io.cohortflow.core.eval.SegmentCatalog;
import io.cohortflow.core.eval.SegmentEngine;
import io.cohortflow.core.eval.UserProfile;
import io.cohortflow.core.event.Event;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Cohortflow against a peer, Esper 8.9 (GPL-2.0, test scope only), in the same JVM on the same
 * events: per-event cost with 10, 100 and 1000 cohorts of the incremental subset both can express.
 *
 * <p>The cohorts are the first {@code definitions} definitions {@code i} of {@link
 * Workload#definition(int, boolean)} (incremental) whose kind is below {@link
 * Workload#FIRST_DISTINCT}: windowed counts ("N+ events named X with category c in the last D
 * days"), property filters ("category = c and depth > N", ever, at visitor level) and windowed
 * revenue sums ("more than N of revenue in the last D days"). Distinct counts and event presence
 * (kinds 15 and 16) are left out for both engines, so {@code definitions} is the number of cohorts
 * each engine evaluates ({@link #cohorts}); {@link EsperPeer} says how each kind maps to EPL, and
 * {@code PeerAgreementTest} checks that both give the same memberships.
 *
 * <p>Both engines see the events of {@link EngineBenchmark}: one event of the next of {@link
 * #USERS} users ({@link #USERS_AT_1000} at 1000 cohorts, for both), 100 ms of event time after the
 * previous one, after 30 events per user of warm-up. Cohortflow runs {@code SegmentEngine.onEvents}
 * with in-memory histories and {@code EngineConfig.DEFAULT}, as EngineBenchmark does; Esper
 * advances its clock to the event's time and receives the event. The measured operation is one
 * event, including building it. Cohortflow applies a lapse at the user's next event (the job: at
 * its timer); Esper when its clock passes the lapse.
 *
 * <p>A {@code PEER} line after the warm-up and at the end of each trial gives the entries, exits
 * and memberships so far, with every user brought to the last event's instant (Cohortflow: lapse by
 * lapse, as the job's timers would): after the warm-up both engines have seen the same events and
 * the figures must be equal; at the end each has seen as many events as its speed allowed.
 * Cohortflow keeps at most 1000 events per user ({@code historyCap}); {@code events_per_user},
 * printed, stays a few hundred in these trials, so no window is cut short.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class PeerBenchmark {
    /**
     * Users of the 10- and 100-cohort trials, as in EngineBenchmark. Esper keeps an instance of
     * each statement per user (its context partition, about 1.2 KB each): for 1000 cohorts that
     * would be some 24 GB of heap, so those trials have {@link #USERS_AT_1000}, for both engines.
     */
    static final int USERS = 20_000;

    static final int USERS_AT_1000 = 2_000;
    private static final int EVENTS = 1 << 16;

    @Param({"10", "100", "1000"})
    public int definitions;

    @Param({"cohortflow", "esper"})
    public String engine;

    private int users;
    private SegmentEngine cohortflow;
    private SegmentCatalog catalog;
    private UserProfile[] profiles;
    private ListHistory[] histories;
    private long entered;
    private long exited;
    private EsperPeer esper;
    private Event[] events;
    private long time;
    private int next;

    /** The first {@code n} definitions of the incremental mix that both engines evaluate. */
    static int[] cohorts(int n) {
        return IntStream.iterate(0, i -> i + 1)
                .filter(i -> Workload.params(i, true).kind() < Workload.FIRST_DISTINCT)
                .limit(n)
                .toArray();
    }

    @Setup(Level.Trial)
    public void setUp() {
        time = 1_700_000_000_000L;
        int[] cohorts = cohorts(definitions);
        users = definitions >= 1000 ? USERS_AT_1000 : USERS;
        if (engine.equals("esper")) {
            esper = new EsperPeer(cohorts, users, time);
        } else if (engine.equals("cohortflow")) {
            cohortflow = new SegmentEngine(EngineConfig.DEFAULT);
            catalog = Workload.catalog(cohorts, true);
            profiles = new UserProfile[users];
            histories = new ListHistory[users];
            for (int i = 0; i < users; i++) {
                profiles[i] = new UserProfile();
                histories[i] = new ListHistory();
            }
        } else {
            throw new IllegalArgumentException("engine: " + engine);
        }
        Random r = new Random(42);
        events = new Event[EVENTS];
        for (int i = 0; i < EVENTS; i++) {
            events[i] = Workload.event(r, 0, r.nextInt(5));
        }
        // Give every user a few days of history first, as a live system has.
        for (int k = 0; k < 30 * users; k++) {
            step();
        }
        report("after_warmup");
    }

    /** One event of the next user, 100 ms of event time after the previous event. */
    private int step() {
        int u = next++ % users;
        Event proto = events[next & (EVENTS - 1)];
        time += 100;
        Event e = Workload.at(proto, time);
        if (esper != null) {
            esper.onEvent(u, e);
            return (int) esper.entered();
        }
        List<MembershipChange> changes =
                cohortflow.onEvents(profiles[u], histories[u], catalog, List.of(e)).changes();
        count(changes);
        return changes.size();
    }

    private void count(List<MembershipChange> changes) {
        for (int i = 0; i < changes.size(); i++) {
            if (changes.get(i).kind() == MembershipChange.Kind.ENTERED) {
                entered++;
            } else {
                exited++;
            }
        }
    }

    @Benchmark
    public int oneEvent() {
        return step();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        report("end");
        if (esper != null) {
            esper.close();
        }
    }

    /**
     * Brings every user to the last event's instant (Cohortflow: as the job's timers would) and
     * prints the entries and exits so far and the memberships now. After the warm-up both engines
     * have seen the same events, so the figures must be equal; at the end each has seen as many
     * events as its speed allowed, so compare the figures per 1000 events.
     */
    private void report(String when) {
        long members = 0;
        if (esper != null) {
            esper.advanceTo(time);
            entered = esper.entered();
            exited = esper.exited();
            for (int u = 0; u < users; u++) {
                members += esper.cohorts(u).size();
            }
        } else {
            for (int u = 0; u < users; u++) {
                UserProfile p = profiles[u];
                while (p.nextExpiry() <= time) {
                    count(cohortflow.advanceTo(p, histories[u], catalog, p.nextExpiry()));
                }
                count(cohortflow.advanceTo(profiles[u], histories[u], catalog, time));
                members += cohortflow.cohorts(profiles[u], catalog).size();
            }
        }
        System.out.printf(
                "%nPEER %s engine=%s definitions=%d users=%d events=%d events_per_user=%d entered=%d exited=%d members=%d per_1000_events: entered=%.2f exited=%.2f%n",
                when,
                engine,
                definitions,
                users,
                next,
                next / users,
                entered,
                exited,
                members,
                1000.0 * entered / next,
                1000.0 * exited / next);
    }
}
