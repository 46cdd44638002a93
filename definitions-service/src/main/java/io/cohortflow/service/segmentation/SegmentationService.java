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
     * asked), whether it is an earlier request's (same idempotency key: nothing was applied), and
     * the indices of the request's events that were too old to apply (dead-lettered).
     */
    public record Answer(Map<String, Object> body, boolean replayed, Set<Integer> tooOld) {}

    /** Segments one user. */
    public CompletableFuture<Answer> segment(
            String workspace, JsonNode body, Options options, String requestId) {
        Identity identity = identity(body);
        Events in = events(body);
        List<JsonNode> events = in.applied();
        if (options.synchronousValidation()) {
            ValidationBudget budget = new ValidationBudget(); // one for the whole request
            for (int i = 0; i < in.all().size(); i++) {
                List<String> v = schemas.violations(workspace, in.all().get(i), budget);
                if (!v.isEmpty()) {
                    throw ServiceException.badRequest(
                            "schema_violation",
                            "events["
                                    + i
                                    + "] ("
                                    + in.all().get(i).path("name").asText()
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
                            // A replay applied nothing: its events are not checked either, and
                            // the first answer set its too old events aside already.
                            if (!reply.replayed()
                                    && (!in.tooOld().isEmpty()
                                            || (!options.synchronousValidation()
                                                    && !events.isEmpty()))) {
                                // Off the thread that hands out replies: a send to Kafka may
                                // block (no metadata, a full buffer), and must not hold the
                                // answers of other requests, nor turn this applied one into an
                                // error.
                                background.execute(
                                        () -> {
                                            tooOld(workspace, reply.userId(), in, requestId);
                                            if (!options.synchronousValidation()) {
                                                validateLater(
                                                        workspace, reply.userId(), in, requestId);
                                            }
                                        });
                            }
                            return new Answer(out, reply.replayed(), in.tooOld());
                        });
    }

    /**
     * Events older than the history horizon could change no state (the job keeps that much
     * history): the others are applied, and these go to the dead-letter topic with their reason, so
     * nothing the client sent is lost. Refusing the request for them refused its other events too,
     * and the spec's own examples, whose times are years back.
     */
    private void tooOld(String workspace, String userId, Events in, String requestId) {
        try {
            deadLetterTooOld(workspace, userId, in, requestId);
        } catch (RuntimeException e) {
            LOG.warn("the too old events of request {} could not be dead-lettered", requestId, e);
        }
    }

    private void deadLetterTooOld(String workspace, String userId, Events in, String requestId) {
        for (int i : in.tooOld()) {
            job.deadLetter(
                    Keys.of(workspace, userId),
                    new DeadLetterRecord(
                            "older_than_horizon",
                            "request "
                                    + requestId
                                    + " events["
                                    + i
                                    + "] is older than the history horizon of "
                                    + job.eventTimeLimits().horizon().toDays()
                                    + " days: it could change no state",
                            config.topics().events(),
                            -1,
                            -1,
                            Keys.of(workspace, userId),
                            in.all().get(i).toString()));
        }
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

    /**
     * After the answer: applied events that break their schema go to the dead-letter topic, named
     * by their index in the request (the too old ones, not applied, are not checked).
     */
    private void validateLater(String workspace, String userId, Events in, String requestId) {
        List<JsonNode> events = in.all();
        try {
            ValidationBudget budget = new ValidationBudget(); // one for the whole request
            for (int i = 0; i < events.size(); i++) {
                if (in.tooOld().contains(i)) {
                    continue;
                }
                List<String> v = schemas.violations(workspace, events.get(i), budget);
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
        Iterator<String> fields = n.fieldNames();
        while (fields.hasNext()) {
            String f = fields.next();
            if (!(f.equals("tag") || f.equals("id") || (prioritised && f.equals("priority")))) {
                // A typo ("Tag", "prio") must not silently change who the request is about.
                throw ServiceException.badRequest(
                        "invalid_user_identifier",
                        where
                                + " has an unknown field '"
                                + shorten(f)
                                + "'; it has tag, id"
                                + (prioritised ? " and priority" : ""),
                        where + "." + shorten(f) + ": unknown field");
            }
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

    /**
     * A request's events: those to apply, and those older than the history horizon, which could
     * change no state (docs/segmentation.md, "Event time"), by their index in the request.
     */
    record Events(List<JsonNode> all, Set<Integer> tooOld) {
        static final Events NONE = new Events(List.of(), Set.of());

        List<JsonNode> applied() {
            if (tooOld.isEmpty()) {
                return all;
            }
            List<JsonNode> out = new ArrayList<>(all.size() - tooOld.size());
            for (int i = 0; i < all.size(); i++) {
                if (!tooOld.contains(i)) {
                    out.add(all.get(i));
                }
            }
            return out;
        }
    }

    private Events events(JsonNode body) {
        JsonNode events = present(body, "events");
        if (events == null) {
            return Events.NONE; // a pure lookup
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
        Set<Integer> tooOld = new java.util.TreeSet<>();
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
            Iterator<String> fields = events.get(i).fieldNames();
            while (fields.hasNext()) {
                String f = fields.next();
                if (!EventJson.FIELDS.contains(f)) {
                    // A typo ("sessionId") must not silently change what is counted (visits).
                    throw ServiceException.badRequest(
                            "invalid_event",
                            "events["
                                    + i
                                    + "] has an unknown field '"
                                    + shorten(f)
                                    + "'; an event has "
                                    + String.join(", ", EventJson.FIELDS),
                            "events[" + i + "]." + shorten(f) + ": unknown field");
                }
            }
            long time = p.event().time();
            JobClient.EventTimeLimits limits = job.eventTimeLimits();
            if (time > now + limits.maxFutureSkew().toMillis()) {
                // A wrong client clock: applied, it would hold memberships in the future.
                throw ServiceException.badRequest(
                        "invalid_event",
                        "events["
                                + i
                                + "] is more than "
                                + limits.maxFutureSkew()
                                + " in the future",
                        "events["
                                + i
                                + "].time: "
                                + Instant.ofEpochMilli(time)
                                + " (now "
                                + Instant.ofEpochMilli(now)
                                + ")");
            }
            if (time < now - limits.horizon().toMillis()) {
                tooOld.add(i);
            }
            out.add(events.get(i));
        }
        return new Events(out, tooOld);
    }

    /** A client's text quoted in an error, cut so an error body stays small. */
    private static String shorten(String s) {
        return s.length() <= 64 ? s : s.substring(0, 64) + "...";
    }

    /**
     * A field that says something: absent and null do not, nor an empty list where a list belongs
     * ({@code aliases}, {@code events}). A {@code user_id} or {@code alias} of {@code []} is given,
     * and wrong.
     */
    private static JsonNode present(JsonNode body, String field) {
        JsonNode v = body.get(field);
        boolean list = field.equals("aliases") || field.equals("events");
        return v == null || v.isNull() || (list && v.isArray() && v.isEmpty()) ? null : v;
    }
}
