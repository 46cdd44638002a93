package io.cohortflow.job;

import java.util.List;

/**
 * Where one subtask's definitions sweep is ({@link SegmentationOperator}): the definitions offset
 * the running sweep brings users up to, the last key group it has fully visited, the users it could
 * not bring up to it so far, the offset through which sweeps were reported applied to all users,
 * and whether another sweep is wanted. Plain logic, so its rules (what a restore resumes, what a
 * visit skips) are tested without Flink.
 *
 * <p>Checkpointed as {@link #SIZE} longs with the parallelism and subtask it belongs to, in union
 * list state ({@link Descriptors#SWEEP}): every subtask is handed every subtask's cursor on
 * restore. A key-group position means something only among the key groups of its subtask, so a
 * subtask resumes its own cursor, and under another parallelism starts a new sweep that reports
 * from what all the old subtasks had reported.
 */
final class SweepCursor {
    /** No sweep, or none reported yet. */
    static final long NONE = -2;

    /** The longs of one saved cursor (see {@link #state}). */
    static final int SIZE = 7;

    private long target = NONE;
    private long reported = NONE;
    private int doneGroup = -1;
    private boolean again;

    /** Users the running sweep could not bring up to its target, before a restore too. */
    private int failures;

    /** The key group being visited (-1: none yet); not checkpointed, see {@link #visits}. */
    private int group = -1;

    /**
     * This subtask's cursor among those saved by {@link #state} (every subtask's, one after the
     * other), or a new sweep over every user held here when it is not there: saved under another
     * parallelism, or by a job from before sweeps (an empty list; their profiles carry no
     * definitions epoch). What was reported applied everywhere stays so: the smallest offset any
     * saved cursor reported.
     */
    static SweepCursor restore(List<Long> saved, int parallelism, int subtask) {
        SweepCursor c = new SweepCursor();
        for (int i = 0; i + SIZE <= saved.size(); i += SIZE) {
            if (saved.get(i + 4) == parallelism && saved.get(i + 5) == subtask) {
                c.target = saved.get(i);
                c.reported = saved.get(i + 1);
                c.doneGroup = saved.get(i + 2).intValue();
                c.again = saved.get(i + 3) != 0;
                c.failures = saved.get(i + 6).intValue();
                return c;
            }
        }
        // NONE, a subtask that had reported nothing, is the least of all.
        long least = Long.MAX_VALUE;
        for (int i = 1; i < saved.size(); i += SIZE) {
            least = Math.min(least, saved.get(i));
        }
        c.reported = least == Long.MAX_VALUE ? NONE : least;
        c.again = true;
        return c;
    }

    /**
     * A cursor saved before failures were counted: six longs in split list state ({@link
     * Descriptors#SWEEP_BEFORE_FAILURES}), each subtask handed its own back at the same
     * parallelism. Its report stands, but its running sweep starts over, since whom it failed on is
     * not known. Under another parallelism the list holds pieces of several cursors: a new sweep,
     * and everything reported again (a report repeated is harmless, one missing is not).
     */
    static SweepCursor restoreBeforeFailures(List<Long> saved, int parallelism, int subtask) {
        SweepCursor c = new SweepCursor();
        c.again = true;
        if (saved.size() == 6 && saved.get(4) == parallelism && saved.get(5) == subtask) {
            c.reported = saved.get(1);
            c.again = saved.get(0) != NONE || saved.get(3) != 0;
        }
        return c;
    }

    /** What {@link #restore} reads back. */
    List<Long> state(int parallelism, int subtask) {
        return List.of(
                target,
                reported,
                (long) doneGroup,
                again ? 1L : 0L,
                (long) parallelism,
                (long) subtask,
                (long) failures);
    }

    /** Whether a sweep is running or wanted. */
    boolean sweeping() {
        return target != NONE || again;
    }

    boolean running() {
        return target != NONE;
    }

    /** A definition record asks for a sweep: after the running one, if any. */
    void want() {
        again = true;
    }

    /** Starts the wanted sweep, bringing users up to {@code offset}; none may be running. */
    void start(long offset) {
        again = false;
        target = offset;
        doneGroup = -1;
        failures = 0;
    }

    /** The keys are read again from the first: no key group is being visited. */
    void rewind() {
        group = -1;
    }

    /**
     * Whether a user of key group {@code g} (keys come in key-group order) still needs a visit: not
     * when the group was fully visited before a restore. Moving on to a new group marks the
     * previous one done.
     */
    boolean visits(int g) {
        if (g <= doneGroup) {
            return false;
        }
        if (group != -1 && g != group) {
            doneGroup = group;
        }
        group = g;
        return true;
    }

    /** The offset the running sweep brings users up to. */
    long target() {
        return target;
    }

    /** The offset through which sweeps were reported applied to all users ({@link #NONE}: none). */
    long reported() {
        return reported;
    }

    /** Users the running sweep could not bring up to its target so far. */
    int failures() {
        return failures;
    }

    /** The running sweep has failed on {@code n} users so far. */
    void failures(int n) {
        failures = n;
    }

    /**
     * The running sweep visited every key: its target is reported applied if every user was brought
     * up to it (a sweep with failures is not).
     */
    void finish() {
        if (failures == 0) {
            reported = Math.max(reported, target);
        }
        target = NONE;
        doneGroup = -1;
        failures = 0;
    }

    /**
     * How far the running sweep is through key groups {@code first..last} (this subtask's), by
     * groups fully visited: 0 to 1, and 1 with no sweep running or wanted.
     */
    double progress(int first, int last) {
        if (target == NONE) {
            return again ? 0 : 1;
        }
        int total = last - first + 1;
        int done = doneGroup < first ? 0 : doneGroup - first + 1;
        return Math.min(1.0, (double) done / total);
    }
}
