package io.cohortflow.core.contract;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import org.jspecify.annotations.Nullable;

/**
 * One subtask's answer to an {@link EstimateRequest}, on the replies topic keyed by the request id:
 * how many users of the workspace it holds, how many of them it sampled uniformly, and how many of
 * those the draft matched. The requester waits for {@code subtasks} parts (one per subtask) and
 * combines them ({@link io.cohortflow.core.estimate.AudienceEstimate}).
 *
 * @param error why this subtask could not estimate (the codes of {@link ReplyRecord}), or null
 * @param evaluatedAt the instant (ISO 8601) users were evaluated at: the job's watermark, or the
 *     user's own latest event time when later
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record EstimatePart(
        @JsonProperty("request_id") String requestId,
        @JsonProperty("subtask") int subtask,
        @JsonProperty("subtasks") int subtasks,
        @JsonProperty("population") long population,
        @JsonProperty("sampled") long sampled,
        @JsonProperty("matched") long matched,
        @JsonProperty("evaluated_at") @Nullable String evaluatedAt,
        @JsonProperty("error") ReplyRecord.@Nullable Error error) {

    /** Every subtask has as many estimates waiting as it takes; retry later. */
    public static final String BUSY = "busy";

    /** Key prefix on the replies topic, so that a reader tells parts from replies by the key. */
    public static final String KEY_PREFIX = "estimate/";

    public static String key(String requestId) {
        return KEY_PREFIX + requestId;
    }
}
