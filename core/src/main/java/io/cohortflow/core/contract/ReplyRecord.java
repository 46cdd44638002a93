package io.cohortflow.core.contract;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;
import javax.annotation.Nullable;

/**
 * The job's answer to an envelope with a request id: the user's cohorts after its events, the
 * activations when asked, or an error.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ReplyRecord(
        @JsonProperty("request_id") String requestId,
        @JsonProperty("user_id") String userId,
        @JsonProperty("cohorts") @Nullable List<String> cohorts,
        @JsonProperty("activations") @Nullable Map<String, List<String>> activations,
        @JsonProperty("error") @Nullable Error error) {

    /**
     * {@code code} is machine-readable ({@code invalid_event}, ...); {@code status} the HTTP one.
     */
    public record Error(
            @JsonProperty("code") String code,
            @JsonProperty("message") String message,
            @JsonProperty("status") int status) {}
}
