package io.cohortflow.service.segmentation;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.contract.DeadLetterRecord;
import io.cohortflow.core.contract.EventEnvelope;
import io.cohortflow.core.contract.Keys;
import io.cohortflow.core.contract.ReplyRecord;
import io.cohortflow.core.event.EventJson;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The segmentation API without HTTP: checks a request, resolves the user, sends the events through
 * the job and turns its reply into the response. Every failure is a {@link SegmentationException}
 * (possibly inside the returned future).
 */
public final class SegmentationService {
    private static final Logger LOG = LoggerFactory.getLogger(SegmentationService.class);
    private static final Set<String> FIELDS = Set.of("user_id", "alias", "aliases", "events");

    /** The query options of one request. */
    public record Options(boolean activations, boolean synchronousValidation) {}

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
     * Segments one user. Completes with the response body ({@code user_id}, {@code cohorts}, and
     * {@code activations} when asked).
     */
    public CompletableFuture<Map<String, Object>> segment(
            String workspace, JsonNode body, Options options, String requestId) {
        Identity identity = identity(body);
        List<JsonNode> events = events(body);
        if (options.synchronousValidation()) {
            for (int i = 0; i < events.size(); i++) {
                List<String> v = schemas.violations(workspace, events.get(i));
                if (!v.isEmpty()) {
                    throw SegmentationException.badRequest(
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
                                                options.synchronousValidation())))
                .handle(
                        (reply, error) -> {
                            if (error != null) {
                                throw new CompletionException(translate(error));
                            }
                            Map<String, Object> out = answer(reply, options);
                            if (!options.synchronousValidation() && !events.isEmpty()) {
                                background.execute(
                                        () ->
                                                validateLater(
                                                        workspace,
                                                        reply.userId(),
                                                        events,
                                                        requestId));
                            }
                            return out;
                        });
    }

    private static Map<String, Object> answer(ReplyRecord reply, Options options) {
        if (reply.error() != null) {
            ReplyRecord.Error e = reply.error();
            throw new SegmentationException(
                    e.status() == 503 || e.status() == 400 ? e.status() : 500,
                    e.code(),
                    e.status() == 503
                            ? "segmentation is not available yet: " + e.message()
                            : e.message(),
                    e.message());
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("user_id", reply.userId());
        out.put("cohorts", reply.cohorts() == null ? List.of() : reply.cohorts());
        if (options.activations()) {
            out.put("activations", reply.activations() == null ? Map.of() : reply.activations());
        }
        return out;
    }

    private RuntimeException translate(Throwable error) {
        Throwable c = error;
        while (c instanceof CompletionException && c.getCause() != null) {
            c = c.getCause();
        }
        if (c instanceof SegmentationException s) {
            return s;
        }
        if (c instanceof JobClient.NoReply n) {
            // NoReply's message is ours; its cause (a Kafka or timeout exception) is only logged.
            if (n.getCause() != null) {
                LOG.debug("no reply from the segmentation job", n.getCause());
            }
            return n.jobSilent()
                    ? new SegmentationException(
                            503, "segmentation_unavailable", n.getMessage(), "no reply")
                    : new SegmentationException(
                            504, "segmentation_timeout", n.getMessage(), "no reply in time");
        }
        return unavailable("segmentation failed", c);
    }

    private static SegmentationException unavailable(String what, Throwable e) {
        Throwable c = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        if (c instanceof SegmentationException s) {
            return s;
        }
        // What failed is logged; the client is told only what it can act on (retry).
        LOG.warn("{}", what, c);
        return new SegmentationException(
                c instanceof TimeoutException ? 504 : 503,
                "segmentation_unavailable",
                what + "; retry shortly",
                c instanceof TimeoutException ? "timed out" : "a dependency failed");
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
            throw SegmentationException.badRequest(
                    "invalid_request", "the body must be a JSON object", "body: not an object");
        }
        Iterator<String> names = body.fieldNames();
        while (names.hasNext()) {
            String f = names.next();
            if (!FIELDS.contains(f)) {
                throw SegmentationException.badRequest(
                        "invalid_request",
                        "unknown field '" + f + "'; a request has user_id, alias, aliases, events",
                        f + ": unknown field");
            }
        }
        JsonNode userId = present(body, "user_id");
        JsonNode alias = present(body, "alias");
        JsonNode list = present(body, "aliases");
        int given = (userId != null ? 1 : 0) + (alias != null ? 1 : 0) + (list != null ? 1 : 0);
        if (given != 1) {
            throw SegmentationException.badRequest(
                    "invalid_user_identifier",
                    "give exactly one of user_id, alias and aliases",
                    given == 0 ? "none was given" : given + " were given");
        }
        if (userId != null) {
            if (!userId.isTextual() || !isUuid(userId.textValue())) {
                throw SegmentationException.badRequest(
                        "invalid_user_identifier",
                        "user_id must be a UUID",
                        "user_id: " + userId.toString());
            }
            return new Identity(userId.textValue(), null);
        }
        if (alias != null) {
            return new Identity(null, List.of(alias(alias, "alias", false)));
        }
        if (!list.isArray() || list.isEmpty()) {
            throw SegmentationException.badRequest(
                    "invalid_user_identifier",
                    "aliases must be a non-empty array of {priority, tag, id}",
                    "aliases: " + (list.isArray() ? "empty" : "not an array"));
        }
        List<AliasBindings.Alias> out = new ArrayList<>();
        Set<Integer> priorities = new HashSet<>();
        for (int i = 0; i < list.size(); i++) {
            AliasBindings.Alias a = alias(list.get(i), "aliases[" + i + "]", true);
            if (!priorities.add(a.priority())) {
                throw SegmentationException.badRequest(
                        "invalid_user_identifier",
                        "two aliases have the same priority " + a.priority(),
                        "aliases[" + i + "].priority: duplicate");
            }
            out.add(a);
        }
        return new Identity(null, out);
    }

    private static AliasBindings.Alias alias(JsonNode n, String where, boolean prioritised) {
        if (!n.isObject()) {
            throw SegmentationException.badRequest(
                    "invalid_user_identifier",
                    where + " must be an object with tag and id",
                    where + ": not an object");
        }
        String tag = nonEmpty(n, "tag", where);
        String id = nonEmpty(n, "id", where);
        int priority = 0;
        if (prioritised) {
            JsonNode p = n.get("priority");
            if (p == null || !p.canConvertToInt() || !p.isIntegralNumber()) {
                throw SegmentationException.badRequest(
                        "invalid_user_identifier",
                        where + ".priority is required, an integer (0 is the strongest)",
                        where + ".priority: " + (p == null ? "missing" : p.toString()));
            }
            priority = p.intValue();
        }
        return new AliasBindings.Alias(tag, id, priority);
    }

    private static String nonEmpty(JsonNode n, String field, String where) {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual() || v.textValue().isEmpty()) {
            throw SegmentationException.badRequest(
                    "invalid_user_identifier",
                    where + "." + field + " is required, a non-empty string",
                    where + "." + field + ": " + (v == null ? "missing" : v.toString()));
        }
        return v.textValue();
    }

    private List<JsonNode> events(JsonNode body) {
        JsonNode events = present(body, "events");
        if (events == null) {
            return List.of(); // a pure lookup
        }
        if (!events.isArray()) {
            throw SegmentationException.badRequest(
                    "invalid_event", "events must be an array", "events: not an array");
        }
        if (events.size() > config.maxEvents()) {
            throw SegmentationException.badRequest(
                    "too_many_events",
                    "a request carries at most " + config.maxEvents() + " events",
                    "events: " + events.size() + " given");
        }
        List<JsonNode> out = new ArrayList<>(events.size());
        long latest = clock.millis() + config.maxFutureSkew().toMillis();
        for (int i = 0; i < events.size(); i++) {
            EventJson.Parsed p = EventJson.parse(events.get(i));
            if (!p.ok()) {
                String prefix = "events[" + i + "].";
                throw SegmentationException.badRequest(
                        "invalid_event",
                        "events[" + i + "] is not a valid event",
                        prefix + String.join("; " + prefix, p.errors()));
            }
            if (p.event().time() > latest) {
                throw SegmentationException.badRequest(
                        "invalid_event",
                        "events["
                                + i
                                + "] is more than "
                                + config.maxFutureSkew()
                                + " in the future",
                        "events["
                                + i
                                + "].time: "
                                + Instant.ofEpochMilli(p.event().time())
                                + " is after "
                                + Instant.ofEpochMilli(latest));
            }
            out.add(events.get(i));
        }
        return out;
    }

    private static JsonNode present(JsonNode body, String field) {
        JsonNode v = body.get(field);
        return v == null || v.isNull() ? null : v;
    }

    private static boolean isUuid(String s) {
        try {
            return UUID.fromString(s).toString().equalsIgnoreCase(s);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
