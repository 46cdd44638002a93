package io.cohortflow.core.contract;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.ArrayList;
import java.util.List;

/**
 * A segment's audience as the job counts it, on the compacted {@code cohortflow.audiences} topic
 * (docs/architecture.md, "Topics"). Under the key {@code workspace/segment} the record holds the
 * size now and no points; under {@code workspace/segment/minute}, {@code .../hour} and {@code
 * .../day} it holds the size now and the entered/exited counts per period with any change (the last
 * {@link #MINUTES} minutes, {@link #HOURS} hours, {@link #DAYS} days), oldest first.
 *
 * <p>The size is exact: the number of users whose state holds the membership, counted from the
 * job's own membership changes in the same checkpoints as the memberships topic (exactly once), so
 * it holds through failures and rescaling.
 *
 * @param asOf the event time (ISO 8601) of the newest change counted
 * @param granularity {@code now}, {@code minute}, {@code hour} or {@code day}
 * @param points per period with a change: its start and the entered and exited counts
 */
public record AudienceRecord(
        @JsonProperty("workspace") String workspace,
        @JsonProperty("segment_id") String segmentId,
        @JsonProperty("size") long size,
        @JsonProperty("as_of") String asOf,
        @JsonProperty("granularity") String granularity,
        @JsonProperty("points") List<Point> points) {

    public static final String NOW = "now";
    public static final int MINUTES = 24 * 60;
    public static final int HOURS = 30 * 24;
    public static final int DAYS = 30;

    /** One period: its start (ISO 8601) and the memberships entered and exited in it. */
    public record Point(
            @JsonProperty("start") String start,
            @JsonProperty("entered") long entered,
            @JsonProperty("exited") long exited) {}

    /** The granularities with series, and their period in milliseconds. */
    public enum Granularity {
        MINUTE(60_000L, MINUTES),
        HOUR(3_600_000L, HOURS),
        DAY(86_400_000L, DAYS);

        public final long millis;
        public final int kept;

        Granularity(long millis, int kept) {
            this.millis = millis;
            this.kept = kept;
        }

        public String json() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** The topic key of this record: the segment's own for {@link #NOW}, else suffixed. */
    public String key() {
        return key(workspace, segmentId, granularity);
    }

    /** The topic key of a segment's record of {@code granularity}. */
    public static String key(String workspace, String segmentId, String granularity) {
        String segment = Keys.of(workspace, segmentId);
        return granularity.equals(NOW) ? segment : segment + "/" + granularity;
    }

    /**
     * Every key a segment's audience is written under ({@link #NOW} and each granularity): what a
     * deleted segment's tombstones name, so that readers of the topic forget it.
     */
    public static List<String> keys(String workspace, String segmentId) {
        List<String> keys = new ArrayList<>();
        keys.add(key(workspace, segmentId, NOW));
        for (Granularity g : Granularity.values()) {
            keys.add(key(workspace, segmentId, g.json()));
        }
        return keys;
    }
}
