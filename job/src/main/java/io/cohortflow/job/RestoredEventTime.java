package io.cohortflow.job;

import java.util.List;

/**
 * Event time after a restore, on a stream that stays idle. Flink keeps no watermark across a
 * restore, and the sources' generators ({@link IdleAwareWatermarks}) start with nothing seen: a
 * partition that gets no event declares itself idle and moves nothing, so with no traffic event
 * time would never move again, and no window would lapse, until the next event.
 *
 * <p>So the operator checkpoints whether its event time was live ({@link IdleTime#live}: at most
 * the live lag behind the clock), and a restored subtask that was live and hears no watermark from
 * the sources for the idleness period follows the clock less the delay itself, exactly as a live
 * idle partition would have. The first watermark from the sources ends this for good; watermarks of
 * theirs that are not past what it emitted are dropped, so event time never goes back. A stream
 * that was replaying older events when checkpointed was not live and keeps waiting for its events.
 * A subtask restored live looks at the clock every {@link #CHECK_MILLIS}, from a processing-time
 * callback, until the sources speak.
 */
final class RestoredEventTime {
    /** How often a restored subtask looks whether the clock must move event time. */
    static final long CHECK_MILLIS = 1_000;

    /** The operator's event time, which the clock's watermarks move. */
    interface EventTime {
        /** Moves event time to {@code watermark} (not dropped as {@link #accepts} would). */
        void advance(long watermark) throws Exception;
    }

    private final IdleTime rule;
    private boolean restoredLive;
    private boolean sourcesSpoke;
    private long openedAt;
    private long emitted = Long.MIN_VALUE;

    RestoredEventTime(IdleTime rule) {
        this.rule = rule;
    }

    /** From the union of every subtask's checkpointed entries ({@link #snapshot}). */
    void restore(Iterable<Long> saved) {
        restoredLive = saved.iterator().hasNext();
    }

    /**
     * What to checkpoint for the current watermark at {@code now}: itself if live, else nothing;
     * and while restored live but still waiting for the sources (or the idleness period, before the
     * clock moves anything), the clock's watermark: that subtask is live, and a restore from a
     * checkpoint taken in its first seconds must know it (read as "not live", the restored job
     * waited for events an idle stream never sends, and no window lapsed).
     */
    List<Long> snapshot(long watermark, long now) {
        boolean live = watermark != Long.MIN_VALUE && rule.live(now - watermark);
        if (live) {
            return List.of(watermark);
        }
        return waiting() ? List.of(rule.clockWatermark(now)) : List.of();
    }

    /**
     * After the operator opened: while the sources are silent, the clock moves {@code eventTime}
     * once they have been silent for the idleness period.
     */
    void start(TaskClock clock, EventTime eventTime) {
        openedAt = clock.now();
        if (waiting()) {
            checkAfter(openedAt, clock, eventTime);
        }
    }

    private void checkAfter(long now, TaskClock clock, EventTime eventTime) {
        clock.at(
                now + CHECK_MILLIS,
                t -> {
                    long at = clock.now();
                    long due = due(at);
                    if (due != Long.MIN_VALUE) {
                        eventTime.advance(due);
                    }
                    if (waiting()) {
                        checkAfter(at, clock, eventTime);
                    }
                });
    }

    /** Whether the clock may still have to move event time: restored live, sources silent. */
    private boolean waiting() {
        return restoredLive && !sourcesSpoke;
    }

    /** A watermark came from the sources. */
    void sourcesSpoke() {
        sourcesSpoke = true;
    }

    /**
     * The watermark to advance to at {@code now} on the clock's account, or {@code Long.MIN_VALUE}
     * for none.
     */
    private long due(long now) {
        if (!waiting() || !rule.idle(openedAt, now)) {
            return Long.MIN_VALUE;
        }
        long next = rule.clockWatermark(now);
        if (next <= emitted) {
            return Long.MIN_VALUE;
        }
        emitted = next;
        return next;
    }

    /** Whether a watermark from the sources moves event time (it is past what the clock gave). */
    boolean accepts(long watermark) {
        return watermark > emitted;
    }
}
