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

    /**
     * The visit ({@link Metrics#visitKey}) whose names {@link #names} marks, so that the visit
     * containers' gates learn what an event's visit holds without reading the history while the
     * user's events stay in one visit: the visit of the latest event the gates were asked about.
     * Null while none is marked (a new profile, one stored before marks).
     */
    @Nullable String visit;

    /** Whether {@code e} belongs to the visit whose names are marked. */
    boolean inMarkedVisit(Event e) {
        return Metrics.visitKey(e).equals(visit);
    }

    /**
     * How many of the newest visible events are the marked visit's, which are then all of its
     * visible events; -1 when not known. Kept while the visit's events are appended one after the
     * other (another visit's event or a late one ends it), so that the visit containers read the
     * visit from the newest events a store holds in memory rather than from the whole history.
     * Events leave the history oldest first: with fewer visible than this, the visit lost some, and
     * its events are read from the history again.
     */
    int visitRun = -1;

    /**
     * Marks the names of {@code events}, those of visit {@code key}, as the current visit's; {@code
     * run}: whether they are the newest visible events (see {@link #visitRun}).
     */
    void markVisit(String key, List<Event> events, boolean run) {
        names.clearMarks();
        for (Event x : events) {
            names.mark(x.name());
        }
        visit = key;
        visitRun = run ? events.size() : -1;
    }

    /**
     * Counts a stored event: its name, marked when it is of the marked visit, its visit's events,
     * and the marked visit's run, which an {@code appended} event of the visit extends and any
     * other event ends.
     */
    void counted(Event e, boolean appended) {
        String key = Metrics.visitKey(e);
        boolean inVisit = key.equals(visit);
        names.add(e.name(), inVisit, e.time());
        visitCounts.add(key);
        visitRun = inVisit && appended && visitRun >= 0 ? visitRun + 1 : -1;
    }

    /** The stored events per visit, while the history holds few visits. */
    final VisitCounts visitCounts = new VisitCounts();

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
     * dropped), 2 for those written before counters of different windows shared one store, 3 for
     * those that keyed stores by hash rather than number. A profile from an older compiler is
     * rebuilt from its history on its next use (see {@code SegmentEngine}), so a savepoint taken
     * before an upgrade restores right.
     */
    int countersVersion = COUNTERS;

    /** The counter layout of this engine. */
    static final int COUNTERS = 4;

    /** Counters keyed by their store's hash (profile encoding 10 and earlier). */
    static final int HASHED_COUNTERS = 3;

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
    final OrdinalRows memberships = new OrdinalRows(MEMBERSHIP_COLUMNS);

    static final int VERSION = 0;
    static final int ENTERED = 1;
    static final int EXITED = 2;
    static final int MEMBERSHIP_COLUMNS = 3;

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
    @Nullable OpenChunk inlineHistory;

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
     * Derived from the rows (never stored); {@link #putMembership}, {@link #loadMemberships},
     * {@link #enter} and {@link #removeMemberships} keep the two in step.
     */
    private long[] memberBits = new long[0];

    /**
     * One bit per segment ordinal whose row is a former member's (exited, kept for the horizon):
     * entering a segment then needs no search for a row to reuse (most users have none).
     */
    private long[] formerBits = new long[0];

    /**
     * Segment {@code ordinal}'s row now says member or former member: the one place the bits
     * change, with {@link #clearBits}.
     */
    private void rowBits(int ordinal, boolean member) {
        int word = ordinal >>> 6;
        int needed = word + 1;
        if (member && memberBits.length < needed) {
            memberBits = java.util.Arrays.copyOf(memberBits, needed);
        }
        if (!member && formerBits.length < needed) {
            formerBits = java.util.Arrays.copyOf(formerBits, needed);
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
     * segment they have no row of gets one at the next {@link #flushEntries}, from {@code held}
     * (see {@link OrdinalRows#merge}); the member bit is set at once.
     */
    void enter(int ordinal, long version, long at, OrdinalRows.Held held) {
        if (isFormer(ordinal) || isMember(ordinal)) {
            putMembership(ordinal, version, at, Long.MIN_VALUE); // back again
        } else {
            held.add(ordinal, version, at, Long.MIN_VALUE);
            rowBits(ordinal, true);
        }
    }

    /** The user, a member of segment {@code ordinal}, leaves it at {@code at}. */
    void exit(int ordinal, long version, long at) {
        int row = memberships.find(ordinal);
        putMembership(ordinal, version, memberships.get(row, ENTERED), at);
    }

    /** A member's segment is now at {@code version} (its definition changed, its answer not). */
    void refreshVersion(int ordinal, long version) {
        memberships.set(memberships.find(ordinal), VERSION, version);
    }

    /** The rows of former members that exited {@code horizon} or more before {@code now} go. */
    void dropExited(long now, long horizon) {
        removeMemberships(row -> !member(row) && memberships.get(row, EXITED) + horizon <= now);
    }

    /** The latest instant a former member whose row is held exited; MIN_VALUE if none. */
    long latestExit() {
        long latest = Long.MIN_VALUE;
        for (int row = 0; row < memberships.size(); row++) {
            latest = Math.max(latest, memberships.get(row, EXITED));
        }
        return latest;
    }

    /**
     * Removes the rows of the ordinals {@code gone} picks (segments no longer live), telling {@code
     * removed} of each (ordinal, version, whether a member).
     */
    void removeRows(java.util.function.IntPredicate gone, RemovedRow removed) {
        removeMemberships(
                row -> {
                    int ordinal = memberships.ordinal(row);
                    if (!gone.test(ordinal)) {
                        return false;
                    }
                    removed.removed(ordinal, memberships.get(row, VERSION), member(row));
                    return true;
                });
    }

    interface RemovedRow {
        void removed(int ordinal, long version, boolean member);
    }

    /** Stores segment {@code ordinal}'s membership ({@code exitedAt} MIN_VALUE: a member). */
    int putMembership(int ordinal, long version, long enteredAt, long exitedAt) {
        int row = memberships.upsert(ordinal);
        memberships.set(row, VERSION, version);
        memberships.set(row, ENTERED, enteredAt);
        memberships.set(row, EXITED, exitedAt);
        rowBits(ordinal, exitedAt == Long.MIN_VALUE);
        return row;
    }

    /**
     * Sets the membership rows of a profile being read, which has none yet: the first {@code n}
     * ordinals ascending, as the codec writes them (checked), one row each, without a search per
     * row; the arrays' room past them is for rows added later.
     */
    void loadMemberships(int[] ordinals, long[] rows, int n) throws java.io.IOException {
        for (int i = 1; i < n; i++) {
            if (ordinals[i] <= ordinals[i - 1]) {
                throw new java.io.IOException("membership ordinals out of order at row " + i);
            }
        }
        if (n > 0 && ordinals[0] < 0) {
            throw new java.io.IOException("membership ordinal " + ordinals[0]);
        }
        memberships.load(ordinals, rows, n);
        int words = n == 0 ? 0 : (ordinals[n - 1] >>> 6) + 1;
        memberBits = new long[words];
        formerBits = new long[words];
        for (int i = 0; i < n; i++) {
            long[] bits =
                    rows[i * MEMBERSHIP_COLUMNS + EXITED] == Long.MIN_VALUE
                            ? memberBits
                            : formerBits;
            bits[ordinals[i] >>> 6] |= 1L << ordinals[i];
        }
    }

    /** Writes the rows {@link #enter} held back in {@code held}. */
    void flushEntries(OrdinalRows.Held held) {
        memberships.merge(held);
    }

    /** Removes the membership rows {@code test} picks. */
    void removeMemberships(OrdinalRows.RowTest test) {
        memberships.removeIf(
                row -> {
                    if (!test.test(row)) {
                        return false;
                    }
                    clearBits(memberships.ordinal(row));
                    return true;
                });
    }

    /**
     * The memberships as of the user's now, by segment id: a member is {@code realized} at the
     * instant it entered and {@code existing} after, and last qualified now; an exited membership
     * last qualified at the instant it exited. {@code catalog} names the ordinals.
     */
    public Map<String, Membership> memberships(SegmentCatalog catalog) {
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
                && memberships.isEmpty()
                && rechecks.isEmpty()
                && names.isEmpty()
                && legacyMemberships == null;
    }

    /** Number of counters held, for state-size reporting. */
    public int counterCount() {
        return counters.size();
    }
}
