package io.cohortflow.core.eval;

import java.io.IOException;
import java.util.Arrays;
import java.util.function.IntPredicate;
import org.jspecify.annotations.Nullable;

/**
 * A user's memberships by segment ordinal ({@link UserProfile#memberships}): version, entered at,
 * and exited at ({@link Long#MIN_VALUE} while a member), the last apart, for former members only.
 * Status and last qualification time follow from these and the user's now. Exited rows stay for the
 * horizon, so a lookup can say when the user left. The engine changes the rows through the
 * operations here only, which keep the member and former-member bits in step with them.
 */
final class MembershipRows {
    static final int VERSION = 0;
    static final int ENTERED = 1;
    static final int COLUMNS = 2;

    /** The rows, but for the {@link #entered} ones; see {@link #rows()}. */
    private final OrdinalRows rows = new OrdinalRows(COLUMNS);

    /**
     * Rows of segments entered lately, not yet merged into {@link #rows} (null while none): held
     * back until {@link #ENTERED_HELD} of them make a merge worth its copy of the rows, or the rows
     * are read. A user in hundreds of segments enters a dozen per event, and merging each event's
     * entries copied most of their rows per event, a tenth of the engine's time.
     */
    private OrdinalRows.@Nullable Held entered;

    /** How many entered rows are held back at most. */
    static final int ENTERED_HELD = 64;

    /**
     * When the former members' rows exited, by ordinal: a column of their own, since most rows are
     * a member's (a user in hundreds of segments left few of them within the horizon), and a column
     * of the rows held {@link Long#MIN_VALUE} for each, read, written and allocated with every
     * profile. Changed only through this class, in step with the rows and bits.
     */
    final OrdinalRows exits = new OrdinalRows(1);

    /**
     * One bit per segment ordinal, set while the user is a member: the engine asks "is the user a
     * member" for most segments an event touches, and a bit answers without searching the rows.
     * Derived from the rows (never stored); {@link #put}, {@link #load}, {@link #enter} and {@link
     * #removeIf} keep the two in step.
     */
    private long[] memberBits = new long[0];

    /**
     * One bit per segment ordinal whose row is a former member's (exited, kept for the horizon):
     * entering a segment then needs no search for a row to reuse (most users have none).
     */
    private long[] formerBits = new long[0];

    boolean isEmpty() {
        return rows.isEmpty() && (entered == null || entered.isEmpty());
    }

    /**
     * The rows, every one merged in, for the codec and the readers; changed only through this
     * class. Synchronized: writing a profile merges the rows held back, and Flink's heap state
     * backends write one object from two threads at once (an asynchronous snapshot, and the copy
     * that the task's next access to it makes), each taking the write for a read.
     */
    synchronized OrdinalRows rows() {
        if (entered != null && !entered.isEmpty()) {
            rows.merge(entered);
        }
        return rows;
    }

    boolean member(int row) {
        return isMember(rows.ordinal(row));
    }

    /** When row {@code row}'s former member exited; {@link Long#MIN_VALUE} for a member. */
    long exitedAt(int row) {
        int ordinal = rows.ordinal(row);
        return isFormer(ordinal) ? exits.get(exits.find(ordinal), 0) : Long.MIN_VALUE;
    }

    /**
     * Segment {@code ordinal}'s row now says member or former member: the one place the bits
     * change, with {@link #clearBits}.
     */
    private void rowBits(int ordinal, boolean member) {
        int word = ordinal >>> 6;
        int needed = word + 1;
        if (member && memberBits.length < needed) {
            memberBits = Arrays.copyOf(memberBits, needed);
        }
        if (!member && formerBits.length < needed) {
            formerBits = Arrays.copyOf(formerBits, needed);
        }
        if (member) {
            memberBits[word] |= 1L << ordinal;
            if (word < formerBits.length) {
                formerBits[word] &= ~(1L << ordinal);
            }
        } else {
            formerBits[word] |= 1L << ordinal;
            if (word < memberBits.length) {
                memberBits[word] &= ~(1L << ordinal);
            }
        }
    }

    /** Segment {@code ordinal} has no row any more. */
    private void clearBits(int ordinal) {
        int word = ordinal >>> 6;
        if (word < memberBits.length) {
            memberBits[word] &= ~(1L << ordinal);
        }
        if (word < formerBits.length) {
            formerBits[word] &= ~(1L << ordinal);
        }
    }

    private boolean isFormer(int ordinal) {
        int word = ordinal >>> 6;
        return word < formerBits.length && (formerBits[word] & (1L << ordinal)) != 0;
    }

    boolean isMember(int ordinal) {
        int word = ordinal >>> 6;
        return word < memberBits.length && (memberBits[word] & (1L << ordinal)) != 0;
    }

    /** The ordinals of the segments the user is a member of, ascending (from the member bits). */
    int[] memberOrdinals() {
        int n = 0;
        for (long w : memberBits) {
            n += Long.bitCount(w);
        }
        int[] out = new int[n];
        int k = 0;
        for (int word = 0; word < memberBits.length; word++) {
            for (long w = memberBits[word]; w != 0; w &= w - 1) {
                out[k++] = word << 6 | Long.numberOfTrailingZeros(w);
            }
        }
        return out;
    }

    // ---- membership changes: the engine changes the rows through these only ------------------

    /**
     * The user enters segment {@code ordinal} (of which they are not a member) at {@code at}. A
     * segment they have no row of gets one held back ({@link #entered}); the member bit is set at
     * once.
     */
    void enter(int ordinal, long version, long at) {
        if (isFormer(ordinal) || isMember(ordinal)) {
            put(ordinal, version, at, Long.MIN_VALUE); // back again
        } else {
            if (entered == null) {
                entered = new OrdinalRows.Held();
            }
            entered.add(ordinal, version, at);
            rowBits(ordinal, true);
        }
    }

    /** Merges the rows held back once they are many (see {@link #entered}). */
    void mergeIfMany() {
        if (entered != null && entered.size() >= ENTERED_HELD) {
            rows.merge(entered);
        }
    }

    /** The user, a member of segment {@code ordinal}, leaves it at {@code at}. */
    void exit(int ordinal, long version, long at) {
        int row = rows.find(ordinal);
        OrdinalRows.Held held = row >= 0 ? null : heldBack();
        long enteredAt =
                held == null ? rows.get(row, ENTERED) : held.get(held.find(ordinal), ENTERED);
        put(ordinal, version, enteredAt, at);
    }

    /** A member's segment is now at {@code version} (its definition changed, its answer not). */
    void refreshVersion(int ordinal, long version) {
        int row = rows.find(ordinal);
        if (row >= 0) {
            rows.set(row, VERSION, version);
        } else {
            OrdinalRows.Held held = heldBack();
            held.set(held.find(ordinal), VERSION, version);
        }
    }

    /** The rows held back, where a segment with a row not in {@link #rows} has it. */
    private OrdinalRows.Held heldBack() {
        return java.util.Objects.requireNonNull(entered, "a row neither held nor held back");
    }

    /** The rows of former members that exited {@code horizon} or more before {@code now} go. */
    void dropExited(long now, long horizon) {
        if (!exits.isEmpty()) {
            removeIf(row -> !member(row) && exitedAt(row) + horizon <= now);
        }
    }

    /** The latest instant a former member exited, of the exits held; MIN_VALUE if none. */
    long latestExit() {
        long latest = Long.MIN_VALUE;
        for (int i = 0; i < exits.size(); i++) {
            latest = Math.max(latest, exits.get(i, 0));
        }
        return latest;
    }

    /**
     * Removes the rows of the ordinals {@code gone} picks (segments no longer live), telling {@code
     * removed} of each (ordinal, version, whether a member).
     */
    void removeRows(IntPredicate gone, RemovedRow removed) {
        removeIf(
                row -> {
                    int ordinal = rows.ordinal(row);
                    if (!gone.test(ordinal)) {
                        return false;
                    }
                    removed.removed(ordinal, rows.get(row, VERSION), member(row));
                    return true;
                });
    }

    interface RemovedRow {
        void removed(int ordinal, long version, boolean member);
    }

    /** Stores segment {@code ordinal}'s membership ({@code exitedAt} MIN_VALUE: a member). */
    void put(int ordinal, long version, long enteredAt, long exitedAt) {
        // Most rows are merged: the few held back are scanned only for a row not among them.
        int row = rows.find(ordinal);
        int held = row >= 0 || entered == null ? -1 : entered.find(ordinal);
        if (held >= 0) {
            entered.set(held, VERSION, version);
            entered.set(held, ENTERED, enteredAt);
        } else {
            row = row >= 0 ? row : rows.upsert(ordinal);
            rows.set(row, VERSION, version);
            rows.set(row, ENTERED, enteredAt);
        }
        if (exitedAt != Long.MIN_VALUE) {
            exits.set(exits.upsert(ordinal), 0, exitedAt);
        } else if (isFormer(ordinal)) {
            exits.remove(ordinal);
        }
        rowBits(ordinal, exitedAt == Long.MIN_VALUE);
    }

    /**
     * Sets the membership rows of a profile being read, which has none yet: the first {@code n}
     * ordinals ascending, as the codec writes them (checked), one row each, without a search per
     * row; the arrays' room past them is for rows added later. The first {@code exited} of {@code
     * exitOrdinals}, ascending and each one of the rows', exited at {@code exitedAt}.
     */
    void load(int[] ordinals, long[] values, int n, int[] exitOrdinals, long[] exitedAt, int exited)
            throws IOException {
        for (int i = 1; i < n; i++) {
            if (ordinals[i] <= ordinals[i - 1]) {
                throw new IOException("membership ordinals out of order at row " + i);
            }
        }
        if (n > 0 && ordinals[0] < 0) {
            throw new IOException("membership ordinal " + ordinals[0]);
        }
        rows.load(ordinals, values, n);
        exits.load(exitOrdinals, exitedAt, exited);
        int words = n == 0 ? 0 : (ordinals[n - 1] >>> 6) + 1;
        memberBits = new long[words];
        formerBits = new long[words];
        for (int i = 0; i < n; i++) {
            memberBits[ordinals[i] >>> 6] |= 1L << ordinals[i];
        }
        for (int i = 0; i < exited; i++) {
            int ordinal = exitOrdinals[i];
            if (!isMember(ordinal) || (i > 0 && ordinal <= exitOrdinals[i - 1])) {
                throw new IOException("an exit of membership ordinal " + ordinal);
            }
            rowBits(ordinal, false);
        }
    }

    /** Removes the membership rows {@code test} picks (rows of {@link #rows()}). */
    void removeIf(OrdinalRows.RowTest test) {
        rows().removeIf(
                        row -> {
                            if (!test.test(row)) {
                                return false;
                            }
                            int ordinal = rows.ordinal(row);
                            if (isFormer(ordinal)) {
                                exits.remove(ordinal);
                            }
                            clearBits(ordinal);
                            return true;
                        });
    }
}
