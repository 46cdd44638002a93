package io.cohortflow.job;

import java.util.List;

/**
 * Where one subtask's definitions sweep is ({@link SegmentationOperator}): the definitions offset
 * the running sweep brings users up to, the last key group it has fully visited, the offset through
 * which sweeps were reported applied to all users, and whether another sweep is wanted. Plain
 * logic, so its rules (what a restore resumes, what a visit skips) are tested without Flink.
 *
 * <p>Checkpointed as six longs with the parallelism and subtask it belongs to: a key-group position
 * means something only among the key groups of that subtask, so a cursor restored elsewhere starts
 * a new sweep instead.
 */
final class SweepCursor {
    /** No sweep, or none reported yet. */
    static final long NONE = -2;

    private long target = NONE;
    private long reported = NONE;
    private int doneGroup = -1;
    private boolean again;

    /** The key group being visited (-1: none yet); not checkpointed, see {@link #visits}. */
    private int group = -1;

    /**
     * The cursor saved by {@link #state}, or a new sweep over every user held here when it was
     * saved by another parallelism or subtask, or by a job from before sweeps (an empty or foreign
     * list; their profiles carry no definitions epoch). What was reported applied everywhere stays
     * so: the smallest offset any saved cursor reported.
     */
    static SweepCursor restore(List<Long> saved, int parallelism, int subtask) {
        SweepCursor c = new SweepCursor();
        if (saved.size() == 6 && saved.get(4) == parallelism && saved.get(5) == subtask) {
            c.target = saved.get(0);
            c.reported = saved.get(1);
            c.doneGroup = saved.get(2).intValue();
            c.again = saved.get(3) != 0;
            return c;
        }
        for (int i = 1; i < saved.size(); i += 6) {
            c.reported = c.reported == NONE ? saved.get(i) : Math.min(c.reported, saved.get(i));
        }
        c.again = true;
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
                (long) subtask);
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

    /**
     * The running sweep visited every key; {@code applied}: every user was brought up to its
     * target, which is then reported (a sweep with failures is not).
     */
    void finish(boolean applied) {
        if (applied) {
            reported = Math.max(reported, target);
        }
        target = NONE;
        doneGroup = -1;
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
