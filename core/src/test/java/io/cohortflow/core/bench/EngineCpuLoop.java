package io.cohortflow.core.bench;

import io.cohortflow.core.eval.EngineConfig;
import io.cohortflow.core.eval.EngineStats;
import io.cohortflow.core.eval.ProfileCodec;
import io.cohortflow.core.eval.ProfileSizes;
import io.cohortflow.core.eval.SegmentCatalog;
import io.cohortflow.core.eval.SegmentEngine;
import io.cohortflow.core.eval.UserProfile;
import io.cohortflow.core.event.Event;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Random;

/**
 * The engine's CPU time per event over a fixed stream, for comparing two commits on a shared, noisy
 * machine: every pass replays the same users and events from empty profiles, and the figure is the
 * thread's CPU time ({@link ThreadMXBean}), which time stolen by other processes does not inflate.
 * Run twice per commit, alternating, it repeats within a few percent where {@link
 * EngineBenchmark}'s intervals (its users' histories grow during a trial, and it times the wall
 * clock) were as wide as its figures. Not a replacement for JMH's figures against the targets.
 *
 * <p>Settings as system properties: {@code definitions} (1000), {@code users} (5000), {@code
 * eventsPerUser} (40), {@code mix} ({@code mixed}, or {@code incremental} or {@code padded} as
 * {@link EngineBenchmark}'s), {@code history} ({@code objects}, or {@code chunks}: see {@link
 * BenchHistories}), {@code codec} (false: with it, each event also reads and writes the profile
 * through its codec, as the job does), {@code passes} (3, after two unmeasured ones), {@code
 * visitEvents} (0: each event in one of five visits an hour, at random, so that a user's visits
 * interleave event by event; n: a user's events in visits of n in a row, as one visitor's are),
 * {@code order} ({@code round-robin}; {@code user}: the same events, drawn round-robin first, then
 * applied user by user, each user's in their order, so that the user's state stays in the caches
 * from one event to the next: the difference between the two is what the round-robin pays for cache
 * misses on the users' state, the rest being the engine's instructions; the events are made before
 * the pass, so theirs are misses here that the round-robin does not have).
 */
public final class EngineCpuLoop {
    public static void main(String[] args) {
        int definitions = Integer.getInteger("definitions", 1000);
        int users = Integer.getInteger("users", 5000);
        int perUser = Integer.getInteger("eventsPerUser", 40);
        boolean codec = Boolean.getBoolean("codec");
        int visitEvents = Integer.getInteger("visitEvents", 0);
        int passes = Integer.getInteger("passes", 3);
        String mix = System.getProperty("mix", "mixed");
        String history = System.getProperty("history", "objects");
        SegmentCatalog catalog = Workload.catalog(mix, definitions);
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        var process =
                (com.sun.management.OperatingSystemMXBean)
                        ManagementFactory.getOperatingSystemMXBean();
        for (int pass = -2; pass < passes; pass++) {
            SegmentEngine engine = new SegmentEngine(EngineConfig.DEFAULT);
            long before = threads.getCurrentThreadCpuTime();
            long processBefore = process.getProcessCpuTime();
            long allocatedBefore = threads.getCurrentThreadAllocatedBytes();
            UserProfile[] profiles =
                    run(engine, catalog, users, perUser, codec, visitEvents, history);
            long cpu = threads.getCurrentThreadCpuTime() - before;
            long processCpu = process.getProcessCpuTime() - processBefore;
            long allocated = threads.getCurrentThreadAllocatedBytes() - allocatedBefore;
            if (pass < 0) {
                continue; // the JIT compilers' passes
            }
            long bytes = 0;
            for (UserProfile p : profiles) {
                bytes += ProfileCodec.toBytes(p).length;
            }
            double events = (double) users * perUser;
            EngineStats w = engine.stats();
            System.out.printf(
                    "FIGURE engine loop, %d %s definitions, %s histories, %d users x %d events%s%s: %.2f µs"
                            + " thread CPU/event, %.2f µs process CPU/event with the garbage"
                            + " collector's (pass %d); profile %d bytes/user; per event:"
                            + " %.0f bytes allocated,"
                            + " %.2f counters tested, %.2f updated, %.2f formulas, %.2f history evaluations,"
                            + " %.2f history skips, %.2f visit evaluations (%.2f visits from"
                            + " their run), %.2f history reads%n",
                    definitions,
                    mix,
                    history,
                    users,
                    perUser,
                    codec ? ", profile through its codec per event" : "",
                    "user".equals(System.getProperty("order")) ? ", user by user" : "",
                    cpu / 1e3 / events,
                    processCpu / 1e3 / events,
                    pass + 1,
                    bytes / users,
                    allocated / events,
                    w.countersTested() / events,
                    w.countersUpdated() / events,
                    w.formulasEvaluated() / events,
                    w.historyEvaluations() / events,
                    w.historySkips() / events,
                    w.visitEvaluations() / events,
                    w.visitsFromRun() / events,
                    w.historyReads() / events);
            if (pass == passes - 1) {
                System.out.printf(
                        "PROFILE %d %s definitions, %d events per user: %s per user%n",
                        definitions,
                        mix,
                        perUser,
                        ProfileSizes.average(java.util.Arrays.asList(profiles)));
            }
        }
    }

    /**
     * The workload's events, 100 ms apart, round-robin over the users; the same every pass (and
     * {@link CodecBenchmark}'s profiles).
     */
    static UserProfile[] run(
            SegmentEngine engine,
            SegmentCatalog catalog,
            int users,
            int perUser,
            boolean codec,
            int visitEvents,
            String history) {
        UserProfile[] profiles = new UserProfile[users];
        BenchHistories histories = new BenchHistories(history, users);
        for (int i = 0; i < users; i++) {
            profiles[i] = new UserProfile();
        }
        Random r = new Random(42);
        long time = 1_700_000_000_000L;
        if ("user".equals(System.getProperty("order"))) {
            return byUser(
                    engine, catalog, profiles, histories, perUser, codec, visitEvents, r, time);
        }
        for (int k = 0; k < users * perUser; k++) {
            time += 100;
            Event e = Workload.at(Workload.event(r, 0, visit(r, k, users, visitEvents)), time);
            apply(engine, catalog, profiles, histories, k % users, e, codec);
        }
        return profiles;
    }

    /** Event {@code k}'s visit (see {@code visitEvents}), drawn either way: the same events. */
    private static int visit(Random r, int k, int users, int visitEvents) {
        int drawn = r.nextInt(5);
        return visitEvents > 0 ? k / users / visitEvents : drawn;
    }

    /** Applies {@code e} to user {@code u}, their profile through its codec first with it. */
    private static void apply(
            SegmentEngine engine,
            SegmentCatalog catalog,
            UserProfile[] profiles,
            BenchHistories histories,
            int u,
            Event e,
            boolean codec) {
        if (codec) {
            profiles[u] = ProfileCodec.fromBytes(ProfileCodec.toBytes(profiles[u]));
        }
        engine.onEvents(profiles[u], histories.of(u, profiles[u]), catalog, List.of(e));
    }

    /** {@link #run}'s events, drawn in its order, applied user after user (see {@code order}). */
    private static UserProfile[] byUser(
            SegmentEngine engine,
            SegmentCatalog catalog,
            UserProfile[] profiles,
            BenchHistories histories,
            int perUser,
            boolean codec,
            int visitEvents,
            Random r,
            long time) {
        int users = profiles.length;
        Event[] drawn = new Event[users * perUser];
        long[] times = new long[drawn.length];
        for (int k = 0; k < drawn.length; k++) {
            time += 100;
            drawn[k] = Workload.event(r, 0, visit(r, k, users, visitEvents));
            times[k] = time;
        }
        for (int u = 0; u < users; u++) {
            for (int k = u; k < drawn.length; k += users) {
                apply(
                        engine,
                        catalog,
                        profiles,
                        histories,
                        u,
                        Workload.at(drawn[k], times[k]),
                        codec);
            }
        }
        return profiles;
    }

    private EngineCpuLoop() {}
}
