package io.cohortflow.core.bench;

import com.espertech.esper.common.client.EPCompiled;
import com.espertech.esper.common.client.EventBean;
import com.espertech.esper.common.client.EventSender;
import com.espertech.esper.common.client.configuration.Configuration;
import com.espertech.esper.compiler.client.CompilerArguments;
import com.espertech.esper.compiler.client.EPCompileException;
import com.espertech.esper.compiler.client.EPCompilerProvider;
import com.espertech.esper.runtime.client.EPDeployException;
import com.espertech.esper.runtime.client.EPDeployment;
import com.espertech.esper.runtime.client.EPEventService;
import com.espertech.esper.runtime.client.EPRuntime;
import com.espertech.esper.runtime.client.EPRuntimeProvider;
import com.espertech.esper.runtime.client.EPStatement;
import io.cohortflow.core.event.Event;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * The peer cohorts of {@link PeerBenchmark} as Esper EPL (Esper is GPL-2.0: test scope only, never
 * shipped), one statement per cohort in a context partitioned by user, on event time: the internal
 * timer is off and the runtime's clock is advanced to each event's time before the event is sent.
 * Memberships are kept here, one bit per user and cohort, from the statements' output.
 *
 * <p>Each statement is {@code @name('s<i>') context PerUser select context.key1 as user, ...},
 * after {@code create context PerUser partition by user from Ev}. How each kind of {@link
 * Workload#definition(int, boolean)} maps (Cohortflow's semantics: docs/definition-language.md):
 *
 * <ul>
 *   <li>windowed count, a {@code hits} container of {@code name = X and category = c} with {@code
 *       at_least N} and a {@code D}-day window: {@code count(*) >= N as m from Ev(name='X',
 *       category='c')#time(D days)}. Esper's time window drops an event that arrived at {@code t}
 *       when the clock reaches {@code t + D}, so the event is visible while {@code now < t + D},
 *       which is Cohortflow's window exactly (its last millisecond included, the instant {@code t +
 *       D} not: {@code PeerAgreementTest} checks both sides). An ungrouped aggregation outputs a
 *       row whenever its window changes, expiry included, so {@code m} is read at every change.
 *   <li>property filter, {@code category = c and depth > N} in the visitors container, no window:
 *       at visitor level each dimension comparison holds when <em>some</em> event of the user
 *       satisfies it, not necessarily the same event (the docs: "Inside a unit, a dimension
 *       comparison holds when one of the unit's hits satisfies it"), so {@code from pattern
 *       [Ev(category='c') and Ev(depth > N)]}: without {@code every} the pattern fires once and
 *       stops listening; a member never exits. Cohortflow's "ever" ends at its 90-day horizon,
 *       which neither the benchmark (a few days of event time) nor the agreement test reaches.
 *   <li>windowed sum, {@code metrics/revenue > N} in a visitors container with a {@code D}-day
 *       window: {@code coalesce(sum(revenue), 0) > N as m from Ev(revenue is not null)#time(D
 *       days)}. Events without revenue add nothing in Cohortflow either (none is named {@code
 *       revenue}, which would count 1).
 * </ul>
 *
 * <p>One difference is in the changes, not the memberships: where a window expires at the instant
 * an event comes in, Esper exits the user and enters it again, while Cohortflow answers as of the
 * end of the instant, with no change. Such pairs are not counted here (see {@link #changes()}). A
 * context partition holds an instance of every statement (about 1.2 KB each), so Esper's state is
 * users x cohorts; a form without a context ({@code group by user}, one instance per statement) was
 * 1.6 to 2.7 times slower per event at 100 and 1000 cohorts, so the context stays.
 */
final class EsperPeer implements AutoCloseable {
    private static final AtomicInteger RUNTIMES = new AtomicInteger();
    private static final String EVENT_TYPE = "Ev";

    private final EPRuntime runtime;
    private final EPEventService events;
    private final EventSender sender;
    private final String[] ids;
    private final int words;
    private final long[][] members;
    private final Map<Long, Long> exitsNow = new HashMap<>();
    @Nullable private List<Change> changes;
    private long entered;
    private long exited;

    /** A membership change of {@code user} in {@code cohort} at event time {@code time}. */
    record Change(int user, String cohort, boolean entered, long time) {}

    /**
     * @param indices the definitions of {@link Workload#definition(int, boolean)} (incremental) to
     *     evaluate; each must be of a kind below {@link Workload#FIRST_DISTINCT}
     * @param users users are numbered from 0 to {@code users - 1}
     * @param start the clock before the first event
     */
    EsperPeer(int[] indices, int users, long start) {
        Configuration config = new Configuration();
        config.getCommon()
                .addEventType(
                        EVENT_TYPE,
                        new String[] {"user", "name", "category", "depth", "revenue"},
                        new Object[] {
                            Integer.class, String.class, String.class, Double.class, Double.class
                        });
        config.getRuntime().getThreading().setInternalTimerEnabled(false);
        // One thread sends every event, as one Cohortflow engine instance is called.
        config.getRuntime().getExecution().setDisableLocking(true);
        StringBuilder module =
                new StringBuilder("create context PerUser partition by user from Ev;\n");
        ids = new String[indices.length];
        Map<String, Integer> positions = new HashMap<>();
        for (int k = 0; k < indices.length; k++) {
            ids[k] = "s" + indices[k];
            positions.put(ids[k], k);
            module.append("@name('")
                    .append(ids[k])
                    .append("') ")
                    .append(epl(Workload.params(indices[k], true)))
                    .append(";\n");
        }
        words = (indices.length + 63) / 64;
        members = new long[users][];
        EPCompiled compiled;
        try {
            compiled =
                    EPCompilerProvider.getCompiler()
                            .compile(module.toString(), new CompilerArguments(config));
        } catch (EPCompileException e) {
            throw new IllegalStateException(e);
        }
        runtime = EPRuntimeProvider.getRuntime("peer-" + RUNTIMES.incrementAndGet(), config);
        events = runtime.getEventService();
        events.advanceTime(start);
        EPDeployment deployment;
        try {
            deployment = runtime.getDeploymentService().deploy(compiled);
        } catch (EPDeployException e) {
            throw new IllegalStateException(e);
        }
        for (EPStatement s : deployment.getStatements()) {
            Integer position = positions.get(s.getName());
            if (position == null) {
                continue; // the context
            }
            int k = position;
            int kind = Workload.params(indices[k], true).kind();
            if (kind < Workload.FIRST_FILTER || kind >= Workload.FIRST_SUM) {
                s.addListener(
                        (newEvents, oldEvents, statement, rt) -> {
                            for (EventBean row : newEvents) {
                                set((Integer) row.get("user"), k, (Boolean) row.get("m"));
                            }
                        });
            } else { // the pattern fires once: the user entered for good
                s.addListener(
                        (newEvents, oldEvents, statement, rt) -> {
                            for (EventBean row : newEvents) {
                                set((Integer) row.get("user"), k, true);
                            }
                        });
            }
        }
        sender = events.getEventSender(EVENT_TYPE);
    }

    /** The EPL of one cohort. */
    static String epl(Workload.Params d) {
        String head = "context PerUser select context.key1 as user";
        if (d.kind() < Workload.FIRST_FILTER) {
            return head
                    + ", count(*) >= "
                    + d.number()
                    + " as m from Ev(name='"
                    + d.name()
                    + "', category='"
                    + d.category()
                    + "')#time("
                    + d.days()
                    + " days)";
        } else if (d.kind() < Workload.FIRST_SUM) {
            return head
                    + " from pattern [Ev(category='"
                    + d.category()
                    + "') and Ev(depth > "
                    + d.number()
                    + ")]";
        } else if (d.kind() < Workload.FIRST_DISTINCT) {
            return head
                    + ", coalesce(sum(revenue), 0) > "
                    + d.number()
                    + " as m from Ev(revenue is not null)#time("
                    + d.days()
                    + " days)";
        }
        throw new IllegalArgumentException("no peer statement for kind " + d.kind());
    }

    private void set(int user, int k, boolean member) {
        long[] bits = members[user];
        if (bits == null) {
            bits = members[user] = new long[words];
        }
        long bit = 1L << (k & 63);
        boolean was = (bits[k >>> 6] & bit) != 0;
        if (was == member) {
            return;
        }
        bits[k >>> 6] ^= bit;
        long now = events.getCurrentTime();
        long key = (long) user << 32 | k;
        if (member) {
            Long exit = exitsNow.remove(key);
            if (exit != null && exit == now) {
                // An exit and an entry at one instant: a window expired as an event came in.
                // Cohortflow answers as of the end of an instant, so neither is a change.
                exited--;
                if (changes != null) {
                    changes.remove(changes.lastIndexOf(new Change(user, ids[k], false, now)));
                }
                return;
            }
            entered++;
        } else {
            exitsNow.put(key, now);
            exited++;
        }
        if (changes != null) {
            changes.add(new Change(user, ids[k], member, now));
        }
    }

    /** Moves the clock to {@code e}'s time and sends it as an event of {@code user}. */
    void onEvent(int user, Event e) {
        if (e.time() != events.getCurrentTime()) {
            exitsNow.clear();
            events.advanceTime(e.time());
        }
        Map<String, Object> p = e.properties();
        sender.sendEvent(
                new Object[] {user, e.name(), p.get("category"), p.get("depth"), p.get("revenue")});
    }

    /** Moves the clock to {@code time}, through each instant where a window expires. */
    void advanceTo(long time) {
        exitsNow.clear();
        events.advanceTimeSpan(time);
    }

    /** From now on, keep every change (see {@link #changes()}). */
    void recordChanges() {
        changes = new ArrayList<>();
    }

    /**
     * The changes since {@link #recordChanges()}, in order: an exit at the instant the window
     * ended; an exit and an entry at one instant are no change.
     */
    @Nullable List<Change> changes() {
        return changes;
    }

    /** The ids of the cohorts {@code user} is a member of, sorted. */
    List<String> cohorts(int user) {
        TreeSet<String> out = new TreeSet<>();
        long[] bits = members[user];
        if (bits != null) {
            for (int k = 0; k < ids.length; k++) {
                if ((bits[k >>> 6] & (1L << (k & 63))) != 0) {
                    out.add(ids[k]);
                }
            }
        }
        return new ArrayList<>(out);
    }

    long entered() {
        return entered;
    }

    long exited() {
        return exited;
    }

    @Override
    public void close() {
        runtime.destroy();
    }
}
