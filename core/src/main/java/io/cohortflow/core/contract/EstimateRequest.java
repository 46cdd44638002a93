package io.cohortflow.core.contract;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * A request to estimate a draft's audience, on the estimates topic keyed by its request id: every
 * subtask of the job samples its own users of the workspace, evaluates the draft over their state
 * without changing it, and answers with an {@link EstimatePart} on the replies topic under the same
 * key.
 *
 * @param definition the draft, validated by the service (the job compiles it against the
 *     workspace's catalog, so {@code segment-ref}s resolve to the live segments)
 * @param sample how many users to evaluate across all subtasks (each takes its share)
 * @param seed the sampling's seed: the same request over the same state samples the same users
 * @param deadline epoch milliseconds after which no one waits for the answer: a subtask that reads
 *     the request later (after a restart, say) skips it
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record EstimateRequest(
        @JsonProperty("request_id") String requestId,
        @JsonProperty("workspace") String workspace,
        @JsonProperty("definition") JsonNode definition,
        @JsonProperty("sample") int sample,
        @JsonProperty("seed") long seed,
        @JsonProperty("deadline") long deadline) {

    /** The most users one request may evaluate. */
    public static final int MAX_SAMPLE = 100_000;
}
