package io.cohortflow.job;

import io.cohortflow.core.contract.EventEnvelope;
import io.cohortflow.core.eval.UserProfile;
import io.cohortflow.core.state.CorruptStateException;
import io.cohortflow.job.model.Inbound;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.streaming.api.TimerService;
import org.jspecify.annotations.Nullable;

/**
 * A backfill's records of one user at one instant, evaluated in the input's order
 * (docs/backfill.md, "Ties"). Batch mode sorts a user's records by their timestamps (event times)
 * with a sort that is not stable, and the input reaches it from several readers anyway, so records
 * at one instant come in any order; the streaming job evaluates them in arrival order, and a
 * sequence "A, then B" or a restriction counted in hits depends on it. So the backfill holds the
 * current instant's records (one user's, in keyed state) and evaluates them in {@link #INPUT_ORDER}
 * once a record of a later instant comes, or the user's records end (their first timer: batch mode
 * fires a user's timers after all of the user's records). The streaming job holds nothing: it has
 * no instance of this.
 *
 * <p>An erasure is not held: its timestamp is after every event's ({@code
 * Backfill.eventTimestamps}), so it ends the held instant and is evaluated at once, among the
 * records, not as the timers fire (where the watermark, which stamps its exits, is at the end of
 * time).
 */
final class BackfillTies {
    /**
     * The input's order: the source (a file's path, as text; a table's reader, {@code table#n}),
     * then the partition, then the position in it (a file's line, a reader's row). For files
     * exported from the events topic, one file per partition or several named in the order they
     * were written, that is the topic's order of a user's records.
     */
    static final Comparator<Inbound> INPUT_ORDER =
            Comparator.comparing((Inbound in) -> in.topic)
                    .thenComparingInt(in -> in.partition)
                    .thenComparingLong(in -> in.offset);

    /**
     * Evaluates one held record, with {@code timers} for its clocks and the timers it registers.
     */
    interface Evaluation {
        void evaluate(Inbound in, TimerService timers) throws Exception;
    }

    /** Fires the user's timer at {@code instant} (see {@link WakeUps#onTimer}). */
    interface WakeUp {
        void fire(long instant) throws Exception;
    }

    private final ListState<Inbound> held;
    private final UserStore user;

    /** The backfill's end, where each user's end-of-input timer is. */
    private final long asOf;

    BackfillTies(RuntimeContext ctx, UserStore user, long asOf) {
        held = ctx.getListState(Descriptors.BACKFILL_TIES);
        this.user = user;
        this.asOf = asOf;
    }

    /**
     * Takes the current user's next record (in time order, as batch mode gives them). Returns what
     * is to be evaluated now, in order: the held records of an earlier instant, which this one
     * ends, and an erasure itself; an empty list when the record is held.
     */
    List<Inbound> add(Inbound in) throws Exception {
        boolean erasure = EventEnvelope.ERASE.equals(in.op);
        List<Inbound> now = new ArrayList<>();
        Iterable<Inbound> current = held.get();
        Inbound first = current == null ? null : first(current);
        if (first != null && (erasure || first.eventTime != in.eventTime)) {
            now = release();
        }
        if (erasure) {
            now.add(in);
        } else {
            held.add(in);
        }
        return now;
    }

    /** The held records in input order, no longer held (none: an empty list). */
    private List<Inbound> release() throws Exception {
        List<Inbound> out = new ArrayList<>();
        Iterable<Inbound> current = held.get();
        if (current == null) {
            return out;
        }
        current.forEach(out::add);
        if (!out.isEmpty()) {
            held.clear();
            out.sort(INPUT_ORDER);
        }
        return out;
    }

    /**
     * A timer of the current user's, at {@code timestamp}. The first comes after all of their
     * records (batch mode): it evaluates the records of their last instant, held until now, and
     * then the timers those records would have registered, which batch mode ignores at this point:
     * when they brought the user's next lapse before this timer's instant (their one wake-up, which
     * supersedes the lapse timer firing, if this is one), that lapse is fired first, at its own
     * instant. Returns whether this timer was so superseded, and is done (false when nothing was
     * held: a later timer, or a user whose last record was an erasure).
     */
    boolean lastInstant(long timestamp, TimerService timers, Evaluation evaluate, WakeUp wakeUp)
            throws Exception {
        List<Inbound> last = release();
        if (last.isEmpty()) {
            return false;
        }
        TimerService asWhileReading = asWhileReading(timers);
        for (Inbound in : last) {
            evaluate.evaluate(in, asWhileReading);
        }
        long next;
        try {
            UserProfile p = user.peek();
            next = p == null ? Long.MAX_VALUE : p.scheduledWakeUp();
        } catch (CorruptStateException e) {
            next = Long.MAX_VALUE; // the caller's timer, which fires next, reports it
        }
        if (next >= timestamp) {
            return false;
        }
        wakeUp.fire(next);
        // The end-of-input timer stays; a lapse timer was deleted by the records' registration.
        return timestamp != asOf;
    }

    private static @Nullable Inbound first(Iterable<Inbound> records) {
        var it = records.iterator();
        return it.hasNext() ? it.next() : null;
    }

    /**
     * {@code timers} as they were while the user's records were read, for the records evaluated as
     * the user's timers fire: the watermark at the start of time, and timers neither registered nor
     * deleted (batch mode ignores those registered while a user's timers fire; the caller fires
     * what the records asked for itself: {@link #lastInstant}).
     */
    private static TimerService asWhileReading(TimerService timers) {
        return new TimerService() {
            @Override
            public long currentProcessingTime() {
                return timers.currentProcessingTime();
            }

            @Override
            public long currentWatermark() {
                return Long.MIN_VALUE;
            }

            @Override
            public void registerProcessingTimeTimer(long time) {}

            @Override
            public void registerEventTimeTimer(long time) {}

            @Override
            public void deleteProcessingTimeTimer(long time) {}

            @Override
            public void deleteEventTimeTimer(long time) {}
        };
    }
}
