package io.cohortflow.core.eval;

import io.cohortflow.core.event.Event;
import java.util.Set;

/**
 * What the user's clock moving takes away, for {@link SegmentEngine}: events leave the history past
 * the horizon, counter entries and old exits expire, and the next instant the user must be woken
 * follows. Holds no user state; serves one thread at a time, as its engine does.
 */
final class Expiry {
    private final long horizon;
    private final EngineStats stats;
    private final Counters counters;

    Expiry(long horizon, EngineStats stats, Counters counters) {
        this.horizon = horizon;
        this.stats = stats;
        this.counters = counters;
    }

    /** Removes the events the user's now has put outside the horizon. */
    void evictHistory(UserProfile p, EventHistory h) {
        long cutoff = p.now - horizon; // events at or before it are outside the horizon
        if (p.historySize > 0 && p.historyOldest <= cutoff) {
            forget(p, h.removeUpTo(cutoff));
        }
    }

    /** Keeps the per-name counts in step with the history. */
    static void forget(UserProfile p, EventHistory.Removal removal) {
        p.historySize -= removal.removed().size();
        p.historyOldest = removal.oldestLeft();
        VisitCounts visitCounts = p.visits.counts;
        for (Event e : removal.removed()) {
            p.names.remove(e.name());
            visitCounts.remove(Metrics.visitKey(e));
        }
    }

    /**
     * Evicts every counter and collects the segments affected, fires due rechecks, forgets exits
     * older than the horizon, and computes the next wake-up. Formulas last read the state as of
     * {@code previousNow} and {@code previousFloor}.
     */
    void sweep(
            UserProfile p,
            SegmentCatalog catalog,
            Set<CompiledSegment> due,
            long previousNow,
            long previousFloor) {
        stats.sweeps++;
        counters.sweep(p, catalog, due, previousNow, previousFloor);
        HistoryRechecks.collectDue(p, catalog, due);
        p.memberships.dropExited(p.now, horizon);
        recomputeNextExpiry(p, catalog);
    }

    /**
     * The next instant the user must be woken: where a membership may flip (a counter's value
     * crosses a threshold some segment tests, a history-evaluated answer may change), else once
     * everything held has expired, to clear it. Entries that expire without flipping anything are
     * left in place and read as expired (see {@link Formula#holds}): a user seen once is woken for
     * the memberships that end, not for every entry of every counter.
     */
    void recomputeNextExpiry(UserProfile p, SegmentCatalog catalog) {
        Counters.Instants c = counters.nextInstants(p, catalog);
        long next = Math.min(c.wake(), HistoryRechecks.earliest(p));
        long cleanup = c.cleanup();
        long latestExit = p.memberships.latestExit();
        if (latestExit != Long.MIN_VALUE) {
            cleanup = Math.max(cleanup, latestExit + horizon);
        }
        p.nextExpiry = Math.min(next, cleanup == Long.MIN_VALUE ? Long.MAX_VALUE : cleanup);
    }
}
