package io.cohortflow.core.contract;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.cohortflow.core.eval.Explanation;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The job's answer to an envelope with a request id: the user's cohorts after its events, the
 * activations when asked, or an error.
 *
 * @param replayed the answer of an earlier request with the same idempotency key: this request's
 *     events were not applied
 * @param known for a request about the user's state: whether the job held any state of the user (an
 *     erased or never-seen user is not known)
 * @param memberships for {@code memberships}: every membership the job holds for the user; for
 *     {@code explain}: the explained segment's, if the user has one; for {@code erase}: those the
 *     erasure ended
 * @param explanation for {@code explain}: the segment's predicates for the user, now
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ReplyRecord(
        @JsonProperty("request_id") String requestId,
        @JsonProperty("user_id") String userId,
        @JsonProperty("cohorts") @Nullable List<String> cohorts,
        @JsonProperty("activations") @Nullable Map<String, List<String>> activations,
        @JsonProperty("error") @Nullable Error error,
        @JsonProperty("replayed") boolean replayed,
        @JsonProperty("known") @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable Boolean known,
        @JsonProperty("memberships") @JsonInclude(JsonInclude.Include.NON_NULL)
                @Nullable List<UserMembership> memberships,
        @JsonProperty("explanation") @JsonInclude(JsonInclude.Include.NON_NULL)
                @Nullable Explanation explanation) {

    /** A segmentation reply. */
    public ReplyRecord(
            String requestId,
            String userId,
            @Nullable List<String> cohorts,
            @Nullable Map<String, List<String>> activations,
            @Nullable Error error,
            boolean replayed) {
        this(requestId, userId, cohorts, activations, error, replayed, null, null, null);
    }

    /** The segment to explain is not live in the user's workspace. */
    public static final String UNKNOWN_SEGMENT = "unknown_segment";

    /** The request was not valid (the service validates first: a safety net). */
    public static final String INVALID_REQUEST = "invalid_request";

    /** The events could not be evaluated; they went to the dead-letter topic. */
    public static final String PROCESSING_FAILED = "processing_failed";

    /** The job is still reading the definitions: a retry shortly will be answered. */
    public static final String DEFINITIONS_LOADING = "definitions_loading";

    /**
     * The answer would not fit in a record (see {@link RecordLimits}); asking again will not help.
     */
    public static final String TOO_LARGE = "reply_too_large";

    /**
     * What went wrong, as a machine-readable {@code code} (the constants above) and a message for
     * people. The job says what happened; the service chooses the HTTP status. ({@code status} was
     * the job's choice of HTTP status in records written before; it is not read.)
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Error(
            @JsonProperty("code") String code, @JsonProperty("message") String message) {
        /** A message may quote the client's input: cut, so that the reply stays a record. */
        public Error {
            message = RecordLimits.cut(message, RecordLimits.MAX_MESSAGE);
        }
    }
}
