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

    /**
     * The record as JSON, the same as {@link Json#bytes} writes once read (characters outside the
     * BMP go out as UTF-8, not as escaped surrogate pairs): the job writes one per membership
     * change, often hundreds for one event, and the general writer's cost showed in its profile.
     */
    public byte[] toJson() {
        StringBuilder b = new StringBuilder(128);
        b.append("{\"workspace\":\"");
        quote(b, workspace).append("\",\"user_id\":\"");
        quote(b, userId).append("\",\"segment_id\":\"");
        quote(b, segmentId).append("\",\"change\":\"");
        quote(b, change).append("\",\"time\":\"");
        quote(b, time).append("\",\"version\":").append(version).append('}');
        return b.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    private static StringBuilder quote(StringBuilder b, String s) {
        // Ids and times rarely hold a character JSON escapes: those are copied as they are.
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == '"' || c == '\\') {
                com.fasterxml.jackson.core.io.JsonStringEncoder.getInstance().quoteAsString(s, b);
                return b;
            }
        }
        return b.append(s);
    }
}
