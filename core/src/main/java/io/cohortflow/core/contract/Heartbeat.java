package io.cohortflow.core.contract;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A record on the replies topic, keyed {@code heartbeat#<subtask>}, that each subtask of a running
 * job writes every second: a service waiting for a reply that does not come can tell a job that is
 * not running (no record at all on the topic) from one that is too slow for this request.
 *
 * @param at when it was written (ISO 8601)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Heartbeat(@JsonProperty("heartbeat") int subtask, @JsonProperty("at") String at) {

    /** The record key of {@code subtask}'s heartbeats. */
    public static String key(int subtask) {
        return "heartbeat#" + subtask;
    }
}
