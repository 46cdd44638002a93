package io.cohortflow.core.eval;

import io.cohortflow.core.event.Event;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A user's state besides the event history: the user's clock, the history floor, the counters the
 * live definitions need, the memberships, and when history-evaluated memberships must be checked
 * again. Only non-empty counters are stored; an absent counter is empty.
 */
public final class UserProfile {
    /** The latest event time seen (or watermark applied); {@link Long#MIN_VALUE} before any. */
    long now = Long.MIN_VALUE;

    /** Events at or before this time were dropped by the history cap and count nowhere. */
    long floor = Long.MIN_VALUE;

    /**
     * How many events of each name the history holds, and the latest event time inserted: enough to
     * build many counters of a new definition without reading the history (see {@code
     * SegmentEngine#catchUp}).
     */
    final NameCounts names = new NameCounts();

    long lastEventTime = Long.MIN_VALUE;

    /** Events in the history, the oldest one's time, and inserts so far (for store keys). */
    int historySize;

    long historyOldest = Long.MAX_VALUE;
    long insertions;

    /**
     * The caller's record of the wake-up (timer) it has registered for this user, so that it
     * registers each instant once; {@link Long#MAX_VALUE} for none. The engine never reads it.
     */
    long scheduledWakeUp = Long.MAX_VALUE;

    /**
     * How this profile's counters were compiled: {@link #COUNTERS}; 1 for profiles written before
     * engine v2 (a count per threshold where there is now one maximum, presence counters since
     * dropped), 2 for those written before counters of different windows shared one store. A
     * profile from an older compiler is rebuilt from its history on its next use (see {@code
     * SegmentEngine}), so a savepoint taken before an upgrade restores right.
     */
    int countersVersion = COUNTERS;

    /** The counter layout of this engine. */
    static final int COUNTERS = 3;

    /**
     * The catalog epoch this profile was last brought up to ({@link SegmentCatalog#epoch}): the
     * definitions changed since are applied to it on its next operation. 0 for a new profile and
     * for one stored before epochs (evaluated again for every segment, once).
     */
    long definitionsEpoch;

    final LongMap<CounterState> counters = new LongMap<>();

    /**
     * Memberships by segment ordinal: version, entered at, and exited at ({@link Long#MIN_VALUE}
     * while a member). Status and last qualification time follow from these and the user's now.
     * Exited rows stay for the horizon, so a lookup can say when the user left.
     */
    final OrdinalRows memberships = new OrdinalRows(3);

    static final int VERSION = 0;
    static final int ENTERED = 1;
    static final int EXITED = 2;

    /**
     * The latest instant a membership exited since the rows of former members last all went ({@link
     * Long#MIN_VALUE} for none): the user is woken once it is past the horizon, to clear them. Kept
     * rather than searched for, so that it is known without the rows.
     */
    long latestExit = Long.MIN_VALUE;

    /**
     * Where the membership rows are kept when not in this profile (see {@link #keepMembershipsIn});
     * null while they are. Not stored: the caller attaches it to every profile it reads.
     */
    @Nullable MembershipLog log;

    /**
     * Whether the rows are kept in {@link #log} rather than in this profile: this profile then
     * stores the member bits, the ordinals that have a row, and the log's bookkeeping.
     */
    boolean rowsInLog;

    /** With {@link #rowsInLog}: whether {@link #memberships} holds the rows (read from the log). */
    boolean rowsLoaded = true;

    /** With {@link #rowsInLog}: the changes made since the profile was read, not yet logged. */
    MembershipOps pending = new MembershipOps();

    /**
     * With {@link #rowsInLog}: one bit per ordinal that may have a row (a member or a former
     * member), so that most operations know without the rows that they need none of them.
     */
    long[] rowBits = new long[0];

    /** With {@link #rowsInLog}: entries in the log, ids 0 to this one less. */
    int logEntries;

    /** Entries after which the log is compacted into one when next written. */
    static final int COMPACT_AFTER = 16;

    /**
     * History-evaluated segment ordinal to the instant its answer may change without a new event
     * (column 0).
     */
    final OrdinalRows rechecks = new OrdinalRows(1);

    /**
     * Memberships and rechecks of a profile stored before segments had ordinals, keyed by segment
     * id; the engine moves them under ordinals on the profile's next use with a catalog. Null
     * otherwise.
     */
    @Nullable Map<String, Membership> legacyMemberships;

    @Nullable Map<String, Long> legacyRechecks;

    /**
     * The user's newest events, by arrival, in time order (ties in arrival order): the open chunk
     * of their history ({@link ProfileHistory}), sealed into {@link #chunkIds} once full. Null for
     * a history kept one entry per event by the caller (profiles stored before chunks, or by a
     * caller that does not use {@link ProfileHistory}).
     */
    @Nullable List<Event> inlineHistory;

    /**
     * The sealed chunks of the history, in the order they were sealed: each one's id in the
     * caller's {@link HistoryChunks}, and the time of its oldest event not removed.
     */
    long[] chunkIds = new long[0];

    long[] chunkOldest = new long[0];
    int chunks;

    /**
     * Events at or before this time were removed from the history (horizon, cap): a sealed chunk
     * keeps them until all of its events are, and readers skip them.
     */
    long historyRemovedUpTo = Long.MIN_VALUE;

    /**
     * A lower bound of the next instant anything expires (a counter entry or a recheck), so that
     * timers fire in time; a sweep at a too-early instant just recomputes it.
     */
    long nextExpiry = Long.MAX_VALUE;

    /**
     * Makes the profile evaluated against every segment again on its next operation (or sweep): for
     * a profile brought from another reader of the definitions (a backfill fed a file of
     * definitions), whose epochs need not be this reader's.
     */
    public void forgetDefinitionsEpoch() {
        definitionsEpoch = 0;
    }

    public long now() {
        return now;
    }

    /** The latest event time the user's history received; {@link Long#MIN_VALUE} before any. */
    public long lastEventTime() {
        return lastEventTime;
    }

    public int historySize() {
        return historySize;
    }

    /**
     * Whether the user's history is kept in chunks, the newest in this profile (see {@link
     * ProfileHistory}), rather than one entry per event by the caller.
     */
    public boolean historyChunked() {
        return inlineHistory != null;
    }

    /** Events in the open chunk, held in this profile (0 for a history not chunked). */
    public int historyInProfile() {
        return inlineHistory == null ? 0 : inlineHistory.size();
    }

    /** The number of sealed chunks of the history, kept by the caller. */
    public int historyChunks() {
        return chunks;
    }

    public long scheduledWakeUp() {
        return scheduledWakeUp;
    }

    public void scheduledWakeUp(long instant) {
        scheduledWakeUp = instant;
    }

    @Nullable CounterState counter(long id) {
        return counters.get(id);
    }

    boolean member(int row) {
        return memberships.get(row, EXITED) == Long.MIN_VALUE;
    }

    /**
     * One bit per segment ordinal, set while the user is a member: the engine asks "is the user a
     * member" for most segments an event touches, and a bit answers without searching the rows.
     * Derived from the rows (never stored); {@link #putMembership} and {@link #removeMemberships}
     * keep the two in step.
     */
    long[] memberBits = new long[0];

    /** Sets or clears segment {@code ordinal}'s member bit: the one place the bits change. */
    private void memberBit(int ordinal, boolean member) {
        memberBits = bit(memberBits, ordinal, member);
    }

    private static long[] bit(long[] bits, int ordinal, boolean set) {
        int word = ordinal >>> 6;
        if (word >= bits.length) {
            if (!set) {
                return bits;
            }
            bits = java.util.Arrays.copyOf(bits, word + 1);
        }
        if (set) {
            bits[word] |= 1L << ordinal;
        } else {
            bits[word] &= ~(1L << ordinal);
        }
        return bits;
    }

    private static boolean bit(long[] bits, int ordinal) {
        int word = ordinal >>> 6;
        return word < bits.length && (bits[word] & (1L << ordinal)) != 0;
    }

    boolean isMember(int ordinal) {
        return bit(memberBits, ordinal);
    }

    /**
     * Whether the user holds a membership row: a member, or a former member within the horizon (see
     * {@link #latestExit}).
     */
    boolean hasRows() {
        if (latestExit != Long.MIN_VALUE) {
            return true;
        }
        for (long w : memberBits) {
            if (w != 0) {
                return true;
            }
        }
        return false;
    }

    /** The ordinals of the segments the user is a member of, ascending. */
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

    // ---- membership changes: the engine's only way to change the rows ------------------------

    /** The user enters segment {@code ordinal} (of which they are not a member) at {@code at}. */
    void enter(int ordinal, long version, long at) {
        if (rowsLoaded) {
            if (memberships.find(ordinal) >= 0) {
                putMembership(ordinal, version, at, Long.MIN_VALUE); // back again
            } else {
                enterLater(ordinal, version, at); // rows written at flushEntries
            }
        } else {
            memberBit(ordinal, true);
        }
        if (rowsInLog) {
            pending.add(MembershipOps.ENTER, ordinal, version, at);
            rowBits = bit(rowBits, ordinal, true);
        }
    }

    /** The user, a member of segment {@code ordinal}, leaves it at {@code at}. */
    void exit(int ordinal, long version, long at) {
        if (rowsLoaded) {
            int row = memberships.find(ordinal);
            putMembership(ordinal, version, memberships.get(row, ENTERED), at);
        } else {
            memberBit(ordinal, false);
        }
        if (rowsInLog) {
            pending.add(MembershipOps.EXIT, ordinal, version, at);
        }
        latestExit = Math.max(latestExit, at);
    }

    /** A member's segment is now at {@code version} (its definition changed, its answer not). */
    void refreshVersion(int ordinal, long version) {
        if (rowsLoaded) {
            memberships.set(memberships.find(ordinal), VERSION, version);
        }
        if (rowsInLog) {
            pending.add(MembershipOps.VERSION, ordinal, version, 0);
        }
    }

    /** The rows of former members that exited {@code horizon} or more before {@code now} go. */
    void dropExited(long now, long horizon) {
        if (latestExit == Long.MIN_VALUE) {
            return; // no former member's row is held
        }
        if (rowsLoaded) {
            memberships.removeIf(row -> exitedBy(memberships, row, now, horizon));
        }
        if (rowsInLog) {
            pending.add(MembershipOps.DROP_EXITED, 0, horizon, now);
        }
        if (latestExit + horizon <= now) { // every former member's row went
            latestExit = Long.MIN_VALUE;
            rowBits = memberBits.clone();
        }
    }

    /**
     * Whether row {@code row} is a former member's that exited {@code horizon} before {@code now}.
     */
    static boolean exitedBy(OrdinalRows rows, int row, long now, long horizon) {
        long exited = rows.get(row, EXITED);
        return exited != Long.MIN_VALUE && exited + horizon <= now;
    }

    /**
     * Removes the rows of the ordinals {@code gone} picks (segments no longer live), telling {@code
     * removed} of each (ordinal, version, whether a member). Reads the rows only when one of those
     * ordinals may have one.
     */
    void removeRows(java.util.function.IntPredicate gone, RemovedRow removed) {
        if (!rowsLoaded) {
            boolean any = false;
            for (int word = 0; word < rowBits.length && !any; word++) {
                for (long w = rowBits[word]; w != 0 && !any; w &= w - 1) {
                    any = gone.test(word << 6 | Long.numberOfTrailingZeros(w));
                }
            }
            if (!any) {
                return;
            }
            loadRows();
        }
        boolean[] changed = {false};
        removeMemberships(
                row -> {
                    int ordinal = memberships.ordinal(row);
                    if (!gone.test(ordinal)) {
                        return false;
                    }
                    removed.removed(ordinal, memberships.get(row, VERSION), member(row));
                    if (rowsInLog) {
                        pending.add(MembershipOps.REMOVE, ordinal, 0, 0);
                    }
                    changed[0] = true;
                    return true;
                });
        if (changed[0]) {
            rowsChangedWholesale();
        }
    }

    interface RemovedRow {
        void removed(int ordinal, long version, boolean member);
    }

    /** Recomputes what is kept beside the rows from them, after rows went other than one by one. */
    void rowsChangedWholesale() {
        long latest = Long.MIN_VALUE;
        long[] rows = new long[0];
        for (int row = 0; row < memberships.size(); row++) {
            latest = Math.max(latest, memberships.get(row, EXITED));
            rows = bit(rows, memberships.ordinal(row), true);
        }
        latestExit = latest;
        rowBits = rows;
    }

    // ---- where the rows are kept --------------------------------------------------------------

    /**
     * Keeps this user's membership rows in {@code log} rather than in the profile: from the next
     * {@link #storeMemberships} on (a profile that held them moves them there then). The caller
     * attaches its log to every profile it reads, and calls {@link #storeMemberships} before it
     * stores the profile.
     */
    public void keepMembershipsIn(MembershipLog log) {
        this.log = log;
    }

    /**
     * Writes this operation's membership changes to the log (one appended entry, or the log
     * compacted into one after {@link #COMPACT_AFTER}); a profile that held its rows moves them
     * there. Nothing without a log.
     */
    public void storeMemberships() {
        if (log == null) {
            return;
        }
        if (!rowsInLog) { // the rows move out of the profile; it never had a log
            flushEntries();
            rowsInLog = true;
            rowsChangedWholesale();
            rewriteLog();
            return;
        }
        if (pending.isEmpty()) {
            return;
        }
        if (!hasRows() || logEntries >= COMPACT_AFTER) {
            loadRows();
            rewriteLog();
            return;
        }
        log.write(logEntries++, pending);
        pending = new MembershipOps();
    }

    /**
     * Replaces the log by one entry that holds the rows (none when there are none): entry 0 is
     * overwritten and the others deleted, by id, so that no write needs to list the log.
     */
    private void rewriteLog() {
        flushEntries();
        boolean rows = !memberships.isEmpty();
        if (rows) {
            log.write(0, MembershipOps.of(memberships));
        }
        for (int id = rows ? 1 : 0; id < logEntries; id++) {
            log.delete(id);
        }
        logEntries = rows ? 1 : 0;
        pending = new MembershipOps();
    }

    /** Reads the rows from the log, where they are kept there and not read yet. */
    void loadRows() {
        if (rowsLoaded) {
            return;
        }
        if (log == null) {
            throw new IllegalStateException(
                    "this profile's membership rows are kept in a log none was attached for");
        }
        OrdinalRows rows = new OrdinalRows(3);
        for (int id = 0; id < logEntries; id++) {
            log.read(id).applyTo(rows);
        }
        pending.applyTo(rows);
        memberships.replaceWith(rows);
        rowsLoaded = true;
    }

    /**
     * A copy of this profile holding its membership rows itself, with no log: what a snapshot of
     * the user (a backfill's output, an export) carries.
     */
    public UserProfile withMembershipsInProfile() {
        loadRows();
        UserProfile copy = ProfileCodec.fromBytes(ProfileCodec.toBytes(this, true));
        return copy;
    }

    /** The entries of the membership log (see {@link #keepMembershipsIn}); 0 for none. */
    public int membershipLogEntries() {
        return rowsInLog ? logEntries : 0;
    }

    /** Whether the rows are kept in a log (see {@link #keepMembershipsIn}). */
    public boolean membershipsInLog() {
        return rowsInLog;
    }

    /** Stores segment {@code ordinal}'s membership ({@code exitedAt} MIN_VALUE: a member). */
    int putMembership(int ordinal, long version, long enteredAt, long exitedAt) {
        int row = memberships.upsert(ordinal);
        memberships.set(row, VERSION, version);
        memberships.set(row, ENTERED, enteredAt);
        memberships.set(row, EXITED, exitedAt);
        memberBit(ordinal, exitedAt == Long.MIN_VALUE);
        return row;
    }

    /**
     * Sets the membership rows of a profile being read, which has none yet: ordinals ascending, as
     * the codec writes them (checked), one row each, without a search per row.
     */
    void loadMemberships(int[] ordinals, long[] versions, long[] entered, long[] exited)
            throws java.io.IOException {
        int n = ordinals.length;
        for (int i = 1; i < n; i++) {
            if (ordinals[i] <= ordinals[i - 1]) {
                throw new java.io.IOException("membership ordinals out of order at row " + i);
            }
        }
        memberships.load(ordinals, versions, entered, exited);
        for (int i = n - 1; i >= 0; i--) { // the highest first: the bits grow once
            memberBit(ordinals[i], exited[i] == Long.MIN_VALUE);
        }
    }

    /**
     * Enters segment {@code ordinal}, of which the user has no row, at {@code at}; the row is
     * written at the next {@link #flushEntries} (see {@link OrdinalRows#addLater}), the member bit
     * at once.
     */
    void enterLater(int ordinal, long version, long at) {
        memberships.addLater(ordinal, version, at, Long.MIN_VALUE);
        memberBit(ordinal, true);
    }

    /** Writes the rows of {@link #enterLater}. */
    void flushEntries() {
        memberships.flush();
    }

    /** Removes the membership rows {@code test} picks. */
    void removeMemberships(OrdinalRows.RowTest test) {
        memberships.removeIf(
                row -> {
                    if (!test.test(row)) {
                        return false;
                    }
                    memberBit(memberships.ordinal(row), false);
                    return true;
                });
    }

    /**
     * The memberships as of the user's now, by segment id: a member is {@code realized} at the
     * instant it entered and {@code existing} after, and last qualified now; an exited membership
     * last qualified at the instant it exited. {@code catalog} names the ordinals.
     */
    public Map<String, Membership> memberships(SegmentCatalog catalog) {
        loadRows();
        Map<String, Membership> out = new java.util.TreeMap<>();
        for (int row = 0; row < memberships.size(); row++) {
            String id = catalog.ordinals().idOf(memberships.ordinal(row));
            if (id != null) {
                out.put(id, membership(row));
            }
        }
        if (legacyMemberships != null) {
            legacyMemberships.forEach((id, m) -> out.put(id, asOfNow(m)));
        }
        return java.util.Collections.unmodifiableMap(out);
    }

    Membership membership(int row) {
        return asOfNow(
                new Membership(
                        member(row) ? Membership.Status.EXISTING : Membership.Status.EXITED,
                        memberships.get(row, VERSION),
                        memberships.get(row, ENTERED),
                        memberships.get(row, EXITED),
                        memberships.get(row, EXITED)));
    }

    private Membership asOfNow(Membership m) {
        if (!m.member()) {
            return m;
        }
        Membership.Status status =
                m.enteredAt() == now ? Membership.Status.REALIZED : Membership.Status.EXISTING;
        return new Membership(status, m.version(), m.enteredAt(), now, m.exitedAt());
    }

    /** The next instant at which a membership may lapse without a new event; MAX_VALUE if none. */
    public long nextExpiry() {
        return nextExpiry;
    }

    public boolean isEmpty() {
        return counters.isEmpty()
                && !hasRows()
                && rechecks.isEmpty()
                && names.isEmpty()
                && legacyMemberships == null;
    }

    /** Number of counters held, for state-size reporting. */
    public int counterCount() {
        return counters.size();
    }
}
