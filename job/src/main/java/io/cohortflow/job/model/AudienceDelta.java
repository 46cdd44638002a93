package io.cohortflow.job.model;

import io.cohortflow.core.contract.Keys;

/**
 * The memberships of one segment entered and exited in one minute of event time, as counted by one
 * subtask since its last checkpoint: what the audience count of the segment moves by. A Flink POJO.
 */
public class AudienceDelta {
    public String workspace = "";
    public String segmentId = "";

    /** The start of the minute, epoch milliseconds. */
    public long minute;

    public long entered;
    public long exited;

    /** The event time of the newest change counted. */
    public long newest = Long.MIN_VALUE;

    public AudienceDelta() {}

    public AudienceDelta(String workspace, String segmentId, long minute) {
        this.workspace = workspace;
        this.segmentId = segmentId;
        this.minute = minute;
    }

    /** The segment's key: the audience is counted per workspace and segment. */
    public String key() {
        return Keys.of(workspace, segmentId);
    }

    @Override
    public String toString() {
        return key() + "@" + minute + " +" + entered + " -" + exited;
    }
}
