package io.cohortflow.job;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sweep that brings quiet users up to changed definitions without stopping the stream, for
 * {@link SegmentationOperator}: slices of at most the slice's time run from processing-time
 * callbacks, which the task runs between records, and while records keep arriving each slice is
 * followed by a pause four times as long ({@link #BUSY_PAUSE_MILLIS}), so the stream keeps four
 * fifths of the task's time. With no records the sweep runs back to back. When it has visited every
 * key it reports the changes it covered as applied to all users ({@code cohortflow.applied}, status
 * {@code applied}); a change that arrives meanwhile is covered by another sweep right after.
 *
 * <p>Keys are visited in key-group order: the last key group fully visited is checkpointed, with
 * the users the sweep could not evaluate so far (a sweep that failed on one before a restore does
 * not report applied after it), and a restored sweep skips the groups before it. Restored under
 * another parallelism, it starts over ({@link SweepCursor}).
 */
final class DefinitionsSweep {
    private static final Logger LOG = LoggerFactory.getLogger(DefinitionsSweep.class);

    /** The pause after a slice while records arrive: the stream keeps 4/5 of the time. */
    static final long BUSY_PAUSE_MILLIS = 20;

    /** What the sweep needs of the operator it runs in, besides its clock. */
    interface Host extends TaskClock {
        /** This subtask's users, in key-group order. */
        Stream<String> users();

        int keyGroup(String key);

        /** Whether the definitions are read to their end (no user can be evaluated before). */
        boolean ready() throws Exception;

        /** The definitions offset read so far: what a sweep starting now reaches. */
        long offsetRead() throws Exception;

        /**
         * Brings {@code key} up to the definitions (see {@link WakeUps#visit}); counts a user it
         * cannot evaluate in {@code tally[0]}, one whose stored state does not decode in {@code
         * tally[1]}.
         */
        void visit(String key, int[] tally) throws Exception;

        /** After each slice (the audience counts flushed if full). */
        void sliced();

        /** The {@code applied} reports from {@code reported} (exclusive) to {@code target}. */
        void applied(long reported, long target);
    }

    private final Host host;
    private final long sliceNanos;
    private final SweepCursor cursor;

    private boolean scheduled;
    private long recordsSinceSlice;
    @Nullable private Stream<String> keyStream;
    @Nullable private Iterator<String> keys;
    private long visited;

    /**
     * Users of the running sweep whose stored state does not decode: they do not hold back its
     * report (see {@link WakeUps#visit}), the first is dead-lettered, the count logged at its end.
     * Not checkpointed: a sweep resumed after a restore dead-letters its first again.
     */
    private int unreadable;

    DefinitionsSweep(Host host, long sliceNanos, SweepCursor cursor) {
        this.host = host;
        this.sliceNanos = sliceNanos;
        this.cursor = cursor;
    }

    /** Where the sweep is, for the checkpoint. */
    List<Long> state(int parallelism, int subtask) {
        return cursor.state(parallelism, subtask);
    }

    /** After the operator opened: a restored sweep goes on. */
    void open() {
        if (cursor.sweeping()) {
            schedule(0);
        }
    }

    /** A record arrived: the stream is busy, and the next slice is followed by its pause. */
    void recordArrived() {
        recordsSinceSlice++;
    }

    /** Definitions changed that every user of this subtask must see. */
    void want() {
        cursor.want();
        schedule(0);
    }

    /** Whether a sweep is running or wanted. */
    boolean sweeping() {
        return cursor.sweeping();
    }

    /** Users visited by sweeps since the operator was opened. */
    long visited() {
        return visited;
    }

    /** How far the sweep is through the key groups {@code first..last}: 0 to 1, 1 when idle. */
    double progress(int first, int last) {
        return cursor.progress(first, last);
    }

    void close() {
        if (keyStream != null) {
            keyStream.close();
        }
        keyStream = null;
        keys = null;
    }

    private void schedule(long delayMillis) {
        if (scheduled) {
            return;
        }
        scheduled = true;
        host.at(host.now() + delayMillis, t -> slice());
    }

    /** One slice: users visited until the slice's time is up or the keys end. */
    private void slice() throws Exception {
        scheduled = false;
        // Records arrived since the last slice: the stream is busy, and gets its pause.
        boolean busy = recordsSinceSlice > 0;
        recordsSinceSlice = 0;
        if (!cursor.sweeping()) {
            return;
        }
        if (!host.ready()) {
            // Restored before the definitions were read to their end: no user can be evaluated
            // yet, and a sweep that visited them now would report what it did not do.
            schedule(100);
            return;
        }
        if (!cursor.running()) {
            cursor.start(host.offsetRead());
            unreadable = 0;
        }
        if (keys == null) {
            keyStream = host.users();
            keys = keyStream.iterator();
            cursor.rewind();
        }
        // Counted in the cursor, so that a sweep that failed on a user before a restore is not
        // reported applied after it.
        int[] tally = {cursor.failures(), unreadable};
        long deadline = System.nanoTime() + sliceNanos;
        boolean first = true;
        while (keys.hasNext() && (first || System.nanoTime() < deadline)) {
            String key = keys.next();
            if (!cursor.visits(host.keyGroup(key))) {
                continue; // visited before the restore
            }
            first = false;
            visited++;
            host.visit(key, tally);
        }
        cursor.failures(tally[0]);
        unreadable = tally[1];
        host.sliced();
        if (keys.hasNext()) {
            schedule(busy ? BUSY_PAUSE_MILLIS : 0);
            return;
        }
        close();
        if (unreadable > 0) {
            LOG.warn(
                    "sweep to offset {}: the stored state of {} users could not be read (the first"
                            + " dead-lettered); reported to the others",
                    cursor.target(),
                    unreadable);
            unreadable = 0;
        }
        if (cursor.failures() == 0) {
            host.applied(cursor.reported(), cursor.target());
        } else {
            // Not applied to all: those users keep their state until their next event, which
            // dead-letters the record that cannot be evaluated. The definitions stay in effect.
            LOG.warn(
                    "sweep to offset {}: {} users could not be evaluated; not reported applied",
                    cursor.target(),
                    cursor.failures());
        }
        cursor.finish();
        if (cursor.sweeping()) {
            schedule(0);
        }
    }

    /** The cursor restored from every subtask's entries (and a job's from before the union). */
    static SweepCursor restore(
            List<Long> saved, @Nullable List<Long> beforeFailures, int parallelism, int subtask) {
        if (beforeFailures != null && !beforeFailures.isEmpty()) {
            return SweepCursor.restoreBeforeFailures(
                    new ArrayList<>(beforeFailures), parallelism, subtask);
        }
        return SweepCursor.restore(saved, parallelism, subtask);
    }
}
