package io.cohortflow.core.eval;

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

    /** The visit the names mark, its run, and the stored events per visit. */
    final Visits visits = new Visits(names);

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

    /** The memberships by segment ordinal, with the operations that change them. */
    final MembershipRows memberships = new MembershipRows();

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
    @Nullable EventChunk inlineHistory;

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

    /**
     * The memberships as of the user's now, by segment id: a member is {@code realized} at the
     * instant it entered and {@code existing} after, and last qualified now; an exited membership
     * last qualified at the instant it exited. {@code catalog} names the ordinals.
     */
    public Map<String, Membership> memberships(SegmentCatalog catalog) {
        Map<String, Membership> out = new java.util.TreeMap<>();
        OrdinalRows rows = memberships.rows();
        for (int row = 0; row < rows.size(); row++) {
            String id = catalog.ordinals().idOf(rows.ordinal(row));
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
        OrdinalRows rows = memberships.rows();
        long exitedAt = memberships.exitedAt(row);
        return asOfNow(
                new Membership(
                        memberships.member(row)
                                ? Membership.Status.EXISTING
                                : Membership.Status.EXITED,
                        rows.get(row, MembershipRows.VERSION),
                        rows.get(row, MembershipRows.ENTERED),
                        exitedAt,
                        exitedAt));
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
