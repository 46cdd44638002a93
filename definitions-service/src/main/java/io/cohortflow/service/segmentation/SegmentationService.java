package io.cohortflow.service.segmentation;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.contract.DeadLetterRecord;
import io.cohortflow.core.contract.EstimatePart;
import io.cohortflow.core.contract.EventEnvelope;
import io.cohortflow.core.contract.Keys;
import io.cohortflow.core.contract.ReplyRecord;
import io.cohortflow.core.contract.UserIds;
import io.cohortflow.core.event.EventJson;
import io.cohortflow.service.Failures;
import io.cohortflow.service.ServiceException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The segmentation API without HTTP: checks a request, resolves the user, sends the events through
 * the job and turns its reply into the response. Every failure is a {@link ServiceException}
 * (possibly inside the returned future).
 */
public final class SegmentationService {
    private static final Logger LOG = LoggerFactory.getLogger(SegmentationService.class);
    private static final Set<String> FIELDS = Set.of("user_id", "alias", "aliases", "events");

    /**
     * The options of one request.
     *
     * @param idempotencyKey the client's key for the request ({@code Idempotency-Key}), or null
     */
    public record Options(
            boolean activations, boolean synchronousValidation, @Nullable String idempotencyKey) {

        public Options {
            if (idempotencyKey != null && !EventEnvelope.validIdempotencyKey(idempotencyKey)) {
                throw ServiceException.badRequest(
                        "invalid_request",
                        "the Idempotency-Key header must be 1 to "
                                + EventEnvelope.MAX_IDEMPOTENCY_KEY
                                + " visible ASCII characters",
                        "Idempotency-Key: " + idempotencyKey.length() + " characters");
            }
        }
    }

    private final SegmentationConfig config;
    private final JobClient job;
    private final AliasBindings aliases;
    private final EventSchemas schemas;
    private final Executor background;
    private final Clock clock;

    public SegmentationService(
            SegmentationConfig config,
            JobClient job,
            AliasBindings aliases,
            EventSchemas schemas,
            Executor background,
            Clock clock) {
        this.config = config;
        this.job = job;
        this.aliases = aliases;
        this.schemas = schemas;
        this.background = background;
        this.clock = clock;
    }

    /**
     * An answer: the response body ({@code user_id}, {@code cohorts}, and {@code activations} when
     * asked), and whether it is an earlier request's (same idempotency key: nothing was applied).
     */
    public record Answer(Map<String, Object> body, boolean replayed) {}

    /** Segments one user. */
    public CompletableFuture<Answer> segment(
            String workspace, JsonNode body, Options options, String requestId) {
        Identity identity = identity(body);
        List<JsonNode> events = events(body);
        if (options.synchronousValidation()) {
            for (int i = 0; i < events.size(); i++) {
                List<String> v = schemas.violations(workspace, events.get(i));
                if (!v.isEmpty()) {
                    throw ServiceException.badRequest(
                            "schema_violation",
                            "events["
                                    + i
                                    + "] ("
                                    + events.get(i).path("name").asText()
                                    + ") does not match its event schema",
                            "events[" + i + "]" + String.join("; events[" + i + "]", v));
                }
            }
        }
        CompletableFuture<String> user =
                identity.userId != null
                        ? CompletableFuture.completedFuture(identity.userId)
                        : aliases.resolve(workspace, identity.aliases)
                                .exceptionallyCompose(
                                        e ->
                                                CompletableFuture.failedFuture(
                                                        unavailable(
                                                                "the alias bindings could not be"
                                                                        + " written",
                                                                e)));
        return user.thenCompose(
                        id ->
                                job.request(
                                        new EventEnvelope(
                                                workspace,
                                                id,
                                                events,
                                                requestId,
                                                options.activations(),
                                                options.synchronousValidation(),
                                                options.idempotencyKey())))
                .handle(
                        (reply, error) -> {
                            if (error != null) {
                                throw new CompletionException(translate(error));
                            }
                            Map<String, Object> out = answer(reply, options);
                            // A replay applied nothing: its events are not checked either.
                            if (!options.synchronousValidation()
                                    && !events.isEmpty()
                                    && !reply.replayed()) {
                                background.execute(
                                        () ->
                                                validateLater(
                                                        workspace,
                                                        reply.userId(),
                                                        events,
                                                        requestId));
                            }
                            return new Answer(out, reply.replayed());
                        });
    }

    private static Map<String, Object> answer(ReplyRecord reply, Options options) {
        if (reply.error() != null) {
            throw failure(reply.error());
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("user_id", reply.userId());
        out.put("cohorts", reply.cohorts() == null ? List.of() : reply.cohorts());
        if (options.activations()) {
            out.put("activations", reply.activations() == null ? Map.of() : reply.activations());
        }
        return out;
    }

    /** The job's error reply as the API answers it. */
    static ServiceException failure(ReplyRecord.Error e) {
        int status = httpStatus(e.code());
        return ServiceException.withDetail(
                status,
                e.code(),
                status == 503 ? "segmentation is not available yet: " + e.message() : e.message(),
                e.message());
    }

    /** The HTTP status of the job's answer: the job says what happened, the API what it means. */
    static int httpStatus(String code) {
        return switch (code == null ? "" : code) {
            case ReplyRecord.INVALID_REQUEST -> 400;
            case ReplyRecord.DEFINITIONS_LOADING -> 503;
            case ReplyRecord.UNKNOWN_SEGMENT -> 404;
            case EstimatePart.BUSY -> 429;
            default -> 500;
        };
    }

    /** A failure to reach the job, as the API answers it. */
    static RuntimeException translate(Throwable error) {
        Throwable c = Failures.cause(error);
        if (c instanceof ServiceException s) {
            return s;
        }
        if (c instanceof JobClient.NoReply n) {
            // NoReply's message is ours; its cause (a Kafka or timeout exception) is only logged.
            if (n.getCause() != null) {
                LOG.debug("no reply from the segmentation job", n.getCause());
            }
            return n.jobSilent()
                    ? ServiceException.withDetail(
                            503, "segmentation_unavailable", n.getMessage(), "no reply")
                    : ServiceException.withDetail(
                            504, "segmentation_timeout", n.getMessage(), "no reply in time");
        }
        return unavailable("segmentation failed", c);
    }

    static ServiceException unavailable(String what, Throwable e) {
        Throwable c = Failures.cause(e);
        if (c instanceof ServiceException s) {
            return s;
        }
        // What failed is logged; the client is told only what it can act on (retry). The job was
        // never asked, so this is not the job's timeout (504): the system cannot serve, 503.
        LOG.warn("{}", what, c);
        return ServiceException.withDetail(
                503,
                "segmentation_unavailable",
                what + "; retry shortly",
                c instanceof TimeoutException
                        ? "the broker did not answer in time"
                        : "the broker could not be reached");
    }

    /** After the answer: events that break their schema go to the dead-letter topic. */
    private void validateLater(
            String workspace, String userId, List<JsonNode> events, String requestId) {
        try {
            for (int i = 0; i < events.size(); i++) {
                List<String> v = schemas.violations(workspace, events.get(i));
                if (!v.isEmpty()) {
                    job.deadLetter(
                            Keys.of(workspace, userId),
                            new DeadLetterRecord(
                                    "schema_violation",
                                    "request "
                                            + requestId
                                            + " events["
                                            + i
                                            + "] ("
                                            + events.get(i).path("name").asText()
                                            + "): "
                                            + String.join("; ", v),
                                    config.topics().events(),
                                    -1,
                                    -1,
                                    Keys.of(workspace, userId),
                                    events.get(i).toString()));
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("asynchronous validation of request {} failed", requestId, e);
        }
    }

    // ---- request checks -------------------------------------------------------------------

    private record Identity(String userId, List<AliasBindings.Alias> aliases) {}

    private Identity identity(JsonNode body) {
        if (body == null || !body.isObject()) {
            throw ServiceException.badRequest(
                    "invalid_request", "the body must be a JSON object", "body: not an object");
        }
        Iterator<String> names = body.fieldNames();
        while (names.hasNext()) {
            String f = names.next();
            if (!FIELDS.contains(f)) {
                throw ServiceException.badRequest(
                        "invalid_request",
                        "unknown field '"
                                + shorten(f)
                                + "'; a request has user_id, alias, aliases, events",
                        shorten(f) + ": unknown field");
            }
        }
        JsonNode userId = present(body, "user_id");
        JsonNode alias = present(body, "alias");
        JsonNode list = present(body, "aliases");
        int given = (userId != null ? 1 : 0) + (alias != null ? 1 : 0) + (list != null ? 1 : 0);
        if (given != 1) {
            throw ServiceException.badRequest(
                    "invalid_user_identifier",
                    "give exactly one of user_id, alias and aliases",
                    given == 0 ? "none was given" : given + " were given");
        }
        if (userId != null) {
            String uuid = userId.isTextual() ? UserIds.uuid(userId.textValue()) : null;
            if (uuid == null) {
                throw ServiceException.badRequest(
                        "invalid_user_identifier", "user_id must be a UUID", "user_id: not a UUID");
            }
            return new Identity(uuid, null);
        }
        if (alias != null) {
            return new Identity(null, List.of(alias(alias, "alias", false)));
        }
        if (!list.isArray() || list.isEmpty()) {
            throw ServiceException.badRequest(
                    "invalid_user_identifier",
                    "aliases must be a non-empty array of {priority, tag, id}",
                    "aliases: " + (list.isArray() ? "empty" : "not an array"));
        }
        if (list.size() > config.maxAliases()) {
            throw ServiceException.badRequest(
                    "too_many_aliases",
                    "a request names at most " + config.maxAliases() + " aliases",
                    "aliases: " + list.size() + " given");
        }
        List<AliasBindings.Alias> out = new ArrayList<>();
        Set<Integer> priorities = new HashSet<>();
        for (int i = 0; i < list.size(); i++) {
            AliasBindings.Alias a = alias(list.get(i), "aliases[" + i + "]", true);
            if (!priorities.add(a.priority())) {
                throw ServiceException.badRequest(
                        "invalid_user_identifier",
                        "two aliases have the same priority " + a.priority(),
                        "aliases[" + i + "].priority: duplicate");
            }
            out.add(a);
        }
        return new Identity(null, out);
    }

    private AliasBindings.Alias alias(JsonNode n, String where, boolean prioritised) {
        if (!n.isObject()) {
            throw ServiceException.badRequest(
                    "invalid_user_identifier",
                    where + " must be an object with tag and id",
                    where + ": not an object");
        }
        String tag = nonEmpty(n, "tag", where);
        String id = nonEmpty(n, "id", where);
        int priority = 0;
        if (prioritised) {
            JsonNode p = n.get("priority");
            if (p == null || !p.canConvertToInt() || !p.isIntegralNumber() || p.intValue() < 0) {
                throw ServiceException.badRequest(
                        "invalid_user_identifier",
                        where + ".priority is required, an integer from 0 (the strongest)",
                        where + ".priority: " + (p == null ? "missing" : p.toString()));
            }
            priority = p.intValue();
        }
        return new AliasBindings.Alias(tag, id, priority);
    }

    private String nonEmpty(JsonNode n, String field, String where) {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual() || v.textValue().isEmpty()) {
            throw ServiceException.badRequest(
                    "invalid_user_identifier",
                    where + "." + field + " is required, a non-empty string",
                    where + "." + field + ": " + (v == null ? "missing" : "not a string"));
        }
        if (v.textValue().length() > config.maxAliasLength()) {
            throw ServiceException.badRequest(
                    "invalid_user_identifier",
                    where
                            + "."
                            + field
                            + " is longer than "
                            + config.maxAliasLength()
                            + " characters",
                    where + "." + field + ": " + v.textValue().length() + " characters");
        }
        return v.textValue();
    }

    private List<JsonNode> events(JsonNode body) {
        JsonNode events = present(body, "events");
        if (events == null) {
            return List.of(); // a pure lookup
        }
        if (!events.isArray()) {
            throw ServiceException.badRequest(
                    "invalid_event", "events must be an array", "events: not an array");
        }
        if (events.size() > config.maxEvents()) {
            throw ServiceException.badRequest(
                    "too_many_events",
                    "a request carries at most " + config.maxEvents() + " events",
                    "events: " + events.size() + " given");
        }
        List<JsonNode> out = new ArrayList<>(events.size());
        long now = clock.millis();
        for (int i = 0; i < events.size(); i++) {
            EventJson.Parsed p = EventJson.parse(events.get(i), config.eventLimits());
            if (!p.ok()) {
                String prefix = "events[" + i + "].";
                throw ServiceException.badRequest(
                        "invalid_event",
                        "events[" + i + "] is not a valid event: " + p.errors().get(0),
                        prefix + String.join("; " + prefix, p.errors()));
            }
            String late = timeProblem(p.event().time(), now);
            if (late != null) {
                throw ServiceException.badRequest(
                        "invalid_event",
                        "events[" + i + "] is " + late,
                        "events["
                                + i
                                + "].time: "
                                + Instant.ofEpochMilli(p.event().time())
                                + " (now "
                                + Instant.ofEpochMilli(now)
                                + ")");
            }
            out.add(events.get(i));
        }
        return out;
    }

    /**
     * The accepted window of event times at the edge: from {@code now - horizon} (an older event
     * could change no state) to {@code now + maxFutureSkew} (client clocks are not trusted). Both
     * are the running job's, from its heartbeats (the configured ones until the first): an event
     * the service accepts is one the job counts. The job holds the same skew against its clock, and
     * the horizon against each user's latest event.
     */
    @Nullable
    private String timeProblem(long time, long now) {
        JobClient.EventTimeLimits limits = job.eventTimeLimits();
        if (time > now + limits.maxFutureSkew().toMillis()) {
            return "more than " + limits.maxFutureSkew() + " in the future";
        }
        if (time < now - limits.horizon().toMillis()) {
            return "older than the history horizon of "
                    + limits.horizon().toDays()
                    + " days: it could change no state";
        }
        return null;
    }

    /** A client's text quoted in an error, cut so an error body stays small. */
    private static String shorten(String s) {
        return s.length() <= 64 ? s : s.substring(0, 64) + "...";
    }

    /** A field that says something: absent, null and (for aliases) an empty list do not. */
    private static JsonNode present(JsonNode body, String field) {
        JsonNode v = body.get(field);
        return v == null || v.isNull() || (v.isArray() && v.isEmpty()) ? null : v;
    }
}
