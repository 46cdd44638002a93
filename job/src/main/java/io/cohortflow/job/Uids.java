package io.cohortflow.job;

/**
 * The streaming job's operator uids, declared once: savepoints map state to operators by them, so
 * the job, the backfill that writes a bootstrap savepoint for it, and the docs must agree.
 */
public final class Uids {
    private Uids() {}

    public static final String EVENTS_SOURCE = "events-source";
    public static final String DEFINITIONS_SOURCE = "definitions-source";

    /** The stateful operator: users' state, timers, the definitions' broadcast state. */
    public static final String SEGMENTATION = "segmentation";

    /** Per segment: its audience size and entered/exited series. */
    public static final String AUDIENCES = "audiences";

    public static final String MEMBERSHIPS_SINK = "memberships-sink";
    public static final String SIDE_SINK = "side-sink";
    public static final String AUDIENCES_SINK = "audiences-sink";
    public static final String DIRECT_REPLIES = "direct-replies";
}
