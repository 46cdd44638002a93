package io.cohortflow.core.contract;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import org.jspecify.annotations.Nullable;

/**
 * A record on the replies topic, keyed {@code heartbeat#<subtask>}, that each subtask of a running
 * job writes every second: a service waiting for a reply that does not come can tell a job that is
 * not running (no record at all on the topic) from one that is too slow for this request. It also
 * carries the job's limits on event times, so that the service checks requests against the limits
 * the job will apply (one setting, the job's), not a copy of them that may disagree.
 *
 * @param at when it was written (ISO 8601)
 * @param maxFutureSkewMillis how far ahead of the job's clock an event may be (null from a job
 *     written before heartbeats carried it)
 * @param horizonMillis the job's history horizon (null likewise)
 * @param historyCap the most events the job keeps per user (null likewise): with the two above, the
 *     engine settings a preview evaluates drafts with, as the job would
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Heartbeat(
        @JsonProperty("heartbeat") int subtask,
        @JsonProperty("at") String at,
        @JsonProperty("max_future_skew_ms") @Nullable Long maxFutureSkewMillis,
        @JsonProperty("horizon_ms") @Nullable Long horizonMillis,
        @JsonProperty("history_cap") @Nullable Integer historyCap) {

    public Heartbeat(
            int subtask,
            String at,
            @Nullable Long maxFutureSkewMillis,
            @Nullable Long horizonMillis) {
        this(subtask, at, maxFutureSkewMillis, horizonMillis, null);
    }

    /** The record key of {@code subtask}'s heartbeats. */
    public static String key(int subtask) {
        return "heartbeat#" + subtask;
    }

    /** Whether a replies-topic record key is a heartbeat's. */
    public static boolean isKey(String key) {
        return key.startsWith("heartbeat#");
    }
}
