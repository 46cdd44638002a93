package io.cohortflow.job.model;

import io.cohortflow.core.contract.Keys;

/**
 * The memberships of one segment entered and exited as one subtask counted them since it last
 * handed its sums on: what the audience count of the segment moves by. Every change is in its hour
 * of event time; recent ones also in their minute (see {@code AudienceDeltas}). A Flink POJO: the
 * sums in parallel arrays, each sorted by start.
 */
public class AudienceDelta {
    public String workspace = "";
    public String segmentId = "";

    /** The starts of the hours with a change, epoch milliseconds, and their sums. */
    public long[] hours = new long[0];

    public long[] hourEntered = new long[0];
    public long[] hourExited = new long[0];

    /** The starts of the minutes with a recent change, and their sums. */
    public long[] minutes = new long[0];

    public long[] minuteEntered = new long[0];
    public long[] minuteExited = new long[0];

    /** The event time of the newest change counted. */
    public long newest = Long.MIN_VALUE;

    /**
     * Whether the segment was deleted when the subtask handed these sums on: its audience is
     * forgotten, and these sums count in its unpublished size only (see {@code AudienceFunction}).
     * A deleted segment's record with no sums says so at least once per subtask.
     */
    public boolean deleted;

    public AudienceDelta() {}

    public AudienceDelta(String workspace, String segmentId) {
        this.workspace = workspace;
        this.segmentId = segmentId;
    }

    /** The segment's key: the audience is counted per workspace and segment. */
    public String key() {
        return Keys.of(workspace, segmentId);
    }

    /** Whether it counts any change (every change is in one hour). */
    public boolean counts() {
        return hours.length > 0;
    }

    /** Members gained: every change is in one hour. */
    public long net() {
        long n = 0;
        for (int i = 0; i < hours.length; i++) {
            n += hourEntered[i] - hourExited[i];
        }
        return n;
    }

    /** One membership held, entered at {@code time}: a backfill's bootstrap counts these. */
    public static AudienceDelta entered(String workspace, String segmentId, long time) {
        AudienceDelta d = new AudienceDelta(workspace, segmentId);
        d.hours = new long[] {Math.floorDiv(time, 3_600_000L) * 3_600_000L};
        d.hourEntered = new long[] {1};
        d.hourExited = new long[] {0};
        d.minutes = new long[] {Math.floorDiv(time, 60_000L) * 60_000L};
        d.minuteEntered = new long[] {1};
        d.minuteExited = new long[] {0};
        d.newest = time;
        return d;
    }

    @Override
    public String toString() {
        return key()
                + " "
                + hours.length
                + " hours, "
                + minutes.length
                + " minutes, net "
                + net()
                + (deleted ? ", deleted" : "");
    }
}
