package io.cohortflow.core.contract;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A user entered or exited a segment: {@code change} is {@code entered} or {@code exited}, {@code
 * time} the event time (ISO 8601) at which it happened, {@code version} the definition version.
 */
public record MembershipRecord(
        @JsonProperty("workspace") String workspace,
        @JsonProperty("user_id") String userId,
        @JsonProperty("segment_id") String segmentId,
        @JsonProperty("change") String change,
        @JsonProperty("time") String time,
        @JsonProperty("version") long version) {

    public String key() {
        return Keys.of(workspace, userId);
    }
}
