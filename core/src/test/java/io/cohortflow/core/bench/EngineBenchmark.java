package io.cohortflow.core.bench;

import io.cohortflow.core.eval.EngineConfig;
import io.cohortflow.core.eval.EngineStats;
import io.cohortflow.core.eval.ProfileCodec;
import io.cohortflow.core.eval.ProfileSizes;
import io.cohortflow.core.eval.SegmentCatalog;
import io.cohortflow.core.eval.SegmentEngine;
import io.cohortflow.core.eval.UserProfile;
import io.cohortflow.core.event.Event;
import io.cohortflow.core.state.EventCodec;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
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
 * Per-event cost of the engine (decode-free: events are built in advance) with 10, 100 and 1000
 * live definitions of the mixed workload, over 20 000 users with in-memory histories. Prints the
 * average state bytes per user (profile + history) at the end of each trial.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class EngineBenchmark {
    private static final int USERS = 20_000;
    private static final int EVENTS = 1 << 16;

    @Param({"10", "100", "1000"})
    public int definitions;

    /**
     * {@code mixed}: the workload's mix; {@code incremental}: without sequences and visits; {@code
     * padded}: the mix's first 10 and unrelated ones up to {@code definitions} (see {@link
     * Workload#paddedCatalog}), for the cost of segments that exist but that no event can change.
     */
    @Param({"mixed", "incremental"})
    public String mix;

    /**
     * How the users' histories are held: {@code objects}, as earlier figures were taken, or {@code
     * chunks}, as the job holds them (see {@link BenchHistories}).
     */
    @Param({"objects"})
    public String history;

    private SegmentEngine engine;
    private SegmentCatalog catalog;
    private UserProfile[] profiles;
    private BenchHistories histories;
    private Event[] events;
    private long time;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        engine = new SegmentEngine(EngineConfig.DEFAULT);
        catalog = Workload.catalog(mix, definitions);
        profiles = new UserProfile[USERS];
        histories = new BenchHistories(history, USERS);
        for (int i = 0; i < USERS; i++) {
            profiles[i] = new UserProfile();
        }
        Random r = new Random(42);
        events = new Event[EVENTS];
        for (int i = 0; i < EVENTS; i++) {
            events[i] = Workload.event(r, 0, r.nextInt(5));
        }
        time = 1_700_000_000_000L;
        // Give every user a few days of history first, as a live system has.
        for (int k = 0; k < 30 * USERS; k++) {
            step();
        }
    }

    /** One event of the next user, 100 ms of event time after the previous event. */
    private int step() {
        int u = next++ % USERS;
        Event proto = events[next & (EVENTS - 1)];
        time += 100;
        Event e = Workload.at(proto, time);
        return engine.onEvents(profiles[u], histories.of(u, profiles[u]), catalog, List.of(e))
                .changes()
                .size();
    }

    @Benchmark
    public int oneEvent() {
        return step();
    }

    @TearDown(Level.Trial)
    public void reportStateSize() throws IOException {
        long profileBytes = 0;
        long historyBytes = 0;
        long historyEvents = 0;
        for (int i = 0; i < USERS; i++) {
            profileBytes += ProfileCodec.toBytes(profiles[i]).length;
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(b);
            List<Event> events = histories.events(i, profiles[i]);
            for (Event e : events) {
                EventCodec.write(e, out);
            }
            historyBytes += b.size();
            historyEvents += events.size();
        }
        double n = next;
        EngineStats w = engine.stats();
        System.out.printf(
                "%nWORK mix=%s history=%s definitions=%d per_event: counters_tested=%.1f counters_updated=%.1f formulas=%.1f history_evaluations=%.2f visit_evaluations=%.2f history_reads=%.2f sweeps=%.3f%n",
                mix,
                history,
                definitions,
                w.countersTested() / n,
                w.countersUpdated() / n,
                w.formulasEvaluated() / n,
                w.historyEvaluations() / n,
                w.visitEvaluations() / n,
                w.historyReads() / n,
                w.sweeps() / n);
        System.out.printf(
                "%nSTATE mix=%s history=%s definitions=%d users=%d avg_profile_bytes=%d avg_history_events=%d avg_history_bytes=%d avg_event_bytes=%d%n",
                mix,
                history,
                definitions,
                USERS,
                profileBytes / USERS,
                historyEvents / USERS,
                historyBytes / USERS,
                historyEvents == 0 ? 0 : historyBytes / historyEvents);
        System.out.printf(
                "%nPROFILE mix=%s definitions=%d %s per user%n",
                mix, definitions, ProfileSizes.average(java.util.Arrays.asList(profiles)));
    }
}
