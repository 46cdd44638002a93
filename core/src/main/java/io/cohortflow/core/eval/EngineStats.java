package io.cohortflow.core.eval;

/**
 * How much work the engine did, counted rather than timed, so a test can assert that the cost of an
 * event does not grow with unrelated segments and a benchmark can say where the time goes.
 * Cumulative since the engine was made or {@link #reset}; as single-threaded as the engine's
 * callers (one per operator instance).
 */
public final class EngineStats {
    long countersTested;
    long countersUpdated;
    long formulasEvaluated;
    long historyEvaluations;
    long historySkips;
    long sweeps;
    long visitEvaluations;
    long historyReads;
    long visitsMarked;
    long visitsFromRun;
    long visitsStarted;
    long pairAnswers;
    long catchUpsByCandidates;

    /** Counters whose hit predicate was tested against an event. */
    public long countersTested() {
        return countersTested;
    }

    /** Counters an event changed. */
    public long countersUpdated() {
        return countersUpdated;
    }

    /** Incremental segments whose formula was evaluated. */
    public long formulasEvaluated() {
        return formulasEvaluated;
    }

    /** History-evaluated segments evaluated over the stored events. */
    public long historyEvaluations() {
        return historyEvaluations;
    }

    /**
     * History-evaluated segments an event could not change, proven without reading the history (its
     * visit lacks the names they need; see also {@code AppendRules}).
     */
    public long historySkips() {
        return historySkips;
    }

    /** Visit containers evaluated over the event's visit alone instead of the history. */
    public long visitEvaluations() {
        return visitEvaluations;
    }

    /**
     * Operations that read the user's stored events (in the job, a RocksDB iteration), whatever
     * they then evaluated over them.
     */
    public long historyReads() {
        return historyReads;
    }

    /**
     * Events whose visit is another than the one the profile marks (see {@code NameCounts}): the
     * visit's names were read from the stored events, for the visit containers' gates. An event of
     * the visit marked asks nothing of the history for them.
     */
    public long visitsMarked() {
        return visitsMarked;
    }

    /**
     * Events that started a visit of which the history holds no other event (see {@code
     * VisitCounts}): marked as the current visit without reading the history.
     */
    public long visitsStarted() {
        return visitsStarted;
    }

    /**
     * Visits the visit containers read from the newest events the history holds in memory, known to
     * be the whole visit (see {@code Visits#run}), rather than from the history.
     */
    public long visitsFromRun() {
        return visitsFromRun;
    }

    /**
     * Sequences of two named steps answered for an appended event from the user's newest event
     * times, without reading the history (see {@code PairSequence}).
     */
    public long pairAnswers() {
        return pairAnswers;
    }

    /** Full passes over a user's counters and rechecks (on lapses and history drops). */
    public long sweeps() {
        return sweeps;
    }

    /**
     * Catch-ups over so many changed segments that they were looked for from the user's side (see
     * {@code CatchUpCandidates}).
     */
    public long catchUpsByCandidates() {
        return catchUpsByCandidates;
    }

    public void reset() {
        countersTested = 0;
        countersUpdated = 0;
        formulasEvaluated = 0;
        historyEvaluations = 0;
        historySkips = 0;
        sweeps = 0;
        visitEvaluations = 0;
        historyReads = 0;
        visitsMarked = 0;
        visitsFromRun = 0;
        visitsStarted = 0;
        pairAnswers = 0;
        catchUpsByCandidates = 0;
    }

    @Override
    public String toString() {
        return "tested="
                + countersTested
                + " updated="
                + countersUpdated
                + " formulas="
                + formulasEvaluated
                + " history="
                + historyEvaluations
                + " skipped="
                + historySkips
                + " sweeps="
                + sweeps
                + " reads="
                + historyReads
                + " catch-ups by candidates="
                + catchUpsByCandidates;
    }
}
