package io.cohortflow.core.contract;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A record on the events topic: one user's events, in order. Events are the segmentation API's JSON
 * ({@code name}, {@code time}, {@code properties}, {@code view_id}, {@code session_id}). With a
 * {@code request_id}, the job answers on the replies topic with the user's full cohort list after
 * these events (an empty list is a pure lookup).
 *
 * @param validate whether the service checked the events against their schemas before the request
 *     (its {@code synchronous-validation}); when false the service checks them after answering and
 *     dead-letters the ones that break their schema. The job does not validate: the flag says how
 *     the events were checked
 * @param idempotencyKey with a {@code request_id}: the client's key for the request; a later
 *     request of the same user with the same key, within the job's idempotency window, is answered
 *     with this one's cohorts and its events are not applied again
 * @param op what the request asks of the user's state besides segmenting their events (null:
 *     segmentation): {@link #MEMBERSHIPS}, {@link #EXPLAIN} or {@link #ERASE}, each with a request
 *     id and no events
 * @param segment for {@link #EXPLAIN}: the segment to explain
 * @param replyTo with a {@code request_id}: {@code host:port} of the waiting service replica's
 *     reply listener; the job sends the reply there, and to the replies topic when it cannot (or
 *     when this is null). See {@link #validReplyTo}.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record EventEnvelope(
        @JsonProperty("workspace") String workspace,
        @JsonProperty("user_id") String userId,
        @JsonProperty("events") List<JsonNode> events,
        @JsonProperty("request_id") @Nullable String requestId,
        @JsonProperty("activations") boolean activations,
        @JsonProperty("validate") boolean validate,
        @JsonProperty("idempotency_key") @Nullable String idempotencyKey,
        @JsonProperty("op") @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable String op,
        @JsonProperty("segment") @JsonInclude(JsonInclude.Include.NON_NULL)
                @Nullable String segment,
        @JsonProperty("reply_to") @JsonInclude(JsonInclude.Include.NON_NULL)
                @Nullable String replyTo) {

    /** Answer with every membership of the user, with status and times (no events applied). */
    public static final String MEMBERSHIPS = "memberships";

    /** Answer with the explanation of one segment for the user (no events applied). */
    public static final String EXPLAIN = "explain";

    /** Remove the user's state, ending every membership, and answer once done. */
    public static final String ERASE = "erase";

    /** A segmentation request (or, without a request id, events only). */
    public EventEnvelope(
            String workspace,
            String userId,
            List<JsonNode> events,
            @Nullable String requestId,
            boolean activations,
            boolean validate,
            @Nullable String idempotencyKey) {
        this(
                workspace,
                userId,
                events,
                requestId,
                activations,
                validate,
                idempotencyKey,
                null,
                null,
                null);
    }

    /**
     * A request about the user's state ({@link #MEMBERSHIPS}, {@link #EXPLAIN}, {@link #ERASE}).
     */
    public static EventEnvelope about(
            String workspace,
            String userId,
            String requestId,
            String op,
            @Nullable String segment) {
        return new EventEnvelope(
                workspace, userId, List.of(), requestId, false, false, null, op, segment, null);
    }

    /** The longest idempotency key accepted (the service refuses longer, the job ignores them). */
    public static final int MAX_IDEMPOTENCY_KEY = 128;

    /**
     * The most events one envelope carries: the job refuses more, so no reader's limit (the
     * segmentation API's {@code max-events}) may be set above it.
     */
    public static final int MAX_EVENTS = 1_000;

    /**
     * The longest workspace, user id and request id an envelope may carry (characters): each goes
     * into the key or body of what the job writes for it (memberships, the reply), and a record
     * over the producers' size limit would fail the job on every replay, where a long id is the
     * client's mistake and its envelope a dead letter. The service's own ids are far shorter
     * (UUIDs, configured alias lengths).
     */
    public static final int MAX_ID = 512;

    /**
     * The one rule for an idempotency key, applied by the service to the header and by the job to
     * the envelope: 1 to {@link #MAX_IDEMPOTENCY_KEY} visible ASCII characters.
     */
    public static boolean validIdempotencyKey(String key) {
        if (key.isEmpty() || key.length() > MAX_IDEMPOTENCY_KEY) {
            return false;
        }
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                return false;
            }
        }
        return true;
    }

    /** This envelope with its reply sent straight to {@code address} ({@code host:port}). */
    public EventEnvelope withReplyTo(String address) {
        return new EventEnvelope(
                workspace,
                userId,
                events,
                requestId,
                activations,
                validate,
                idempotencyKey,
                op,
                segment,
                address);
    }

    /**
     * The one rule for a reply address, applied by the service to its own and by the job to what it
     * reads: {@code host:port}, a host of at most 253 characters (a name, IPv4 or bracketed IPv6)
     * and a port from 1 to 65535. Anything else is ignored by the job (the reply takes the topic).
     */
    public static boolean validReplyTo(String address) {
        int colon = address.lastIndexOf(':');
        if (colon <= 0 || colon > 253 || address.length() - colon - 1 > 5) {
            return false;
        }
        for (int i = 0; i < colon; i++) {
            char c = address.charAt(i);
            boolean ok =
                    (c >= 'a' && c <= 'z')
                            || (c >= 'A' && c <= 'Z')
                            || (c >= '0' && c <= '9')
                            || c == '.'
                            || c == '-'
                            || c == ':'
                            || c == '['
                            || c == ']';
            if (!ok) {
                return false;
            }
        }
        int port = 0;
        for (int i = colon + 1; i < address.length(); i++) {
            char c = address.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
            port = port * 10 + (c - '0');
        }
        return colon + 1 < address.length() && port >= 1 && port <= 65_535;
    }

    public String key() {
        return Keys.of(workspace, userId);
    }
}
