package io.cohortflow.job.kafka;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.contract.EventEnvelope;
import io.cohortflow.core.contract.Json;
import io.cohortflow.core.contract.Keys;
import io.cohortflow.core.contract.UserIds;
import io.cohortflow.core.event.Event;
import io.cohortflow.core.event.EventJson;
import io.cohortflow.core.event.EventLimits;
import io.cohortflow.job.model.EventsCodec;
import io.cohortflow.job.model.Inbound;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Turns one raw record of the events topic into an {@link Inbound}: a parsed envelope, or the raw
 * record with a machine-readable reason. Never throws: bad input must not fail the job.
 */
public final class InboundParser {
    /** More events than this in one envelope is not a user's behaviour but a producer bug. */
    public static final int MAX_EVENTS = EventEnvelope.MAX_EVENTS;

    private InboundParser() {}

    /** Within the default event limits. */
    public static Inbound parse(
            @Nullable byte[] key,
            @Nullable byte[] value,
            String topic,
            int partition,
            long offset,
            long timestamp) {
        return parse(key, value, topic, partition, offset, timestamp, EventLimits.DEFAULT);
    }

    public static Inbound parse(
            @Nullable byte[] key,
            @Nullable byte[] value,
            String topic,
            int partition,
            long offset,
            long timestamp,
            EventLimits limits) {
        Inbound in = new Inbound();
        in.topic = topic;
        in.partition = partition;
        in.offset = offset;
        // Records without events (lookups, wake-ups, bad input) carry no event time: they must not
        // move the watermark (a wake-up's Kafka timestamp is the wall clock).
        in.eventTime = Long.MIN_VALUE;
        in.rawKey = key == null ? null : new String(key, StandardCharsets.UTF_8);
        String text = value == null ? null : new String(value, StandardCharsets.UTF_8);
        if (value == null) {
            return reject(in, "invalid_envelope", "the record has no value", null);
        }
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(value);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            return reject(
                    in,
                    "malformed_json",
                    at == null
                            ? "the value is not valid JSON"
                            : "the value is not valid JSON (line "
                                    + at.getLineNr()
                                    + ", column "
                                    + at.getColumnNr()
                                    + ")",
                    text);
        } catch (IOException e) {
            return reject(in, "malformed_json", "the value is not valid JSON", text);
        }
        if (root == null || !root.isObject()) {
            return reject(in, "invalid_envelope", "the value is not a JSON object", text);
        }
        String workspace = text(root, "workspace");
        String user = text(root, "user_id");
        if (workspace == null || !Keys.validWorkspace(workspace)) {
            return reject(in, "invalid_envelope", "workspace: required, without '/'", text);
        }
        if (user == null || user.isEmpty()) {
            return reject(in, "invalid_envelope", "user_id: required", text);
        }
        if (workspace.length() > EventEnvelope.MAX_ID) {
            return reject(
                    in,
                    "invalid_envelope",
                    "workspace: at most " + EventEnvelope.MAX_ID + " characters",
                    text);
        }
        String badUser = UserIds.problem(user);
        if (badUser != null) {
            return reject(in, "invalid_envelope", "user_id: " + badUser, text);
        }
        user = UserIds.canonical(user);
        in.workspace = workspace;
        in.userId = user;
        in.key = Keys.of(workspace, user);
        String requestId = text(root, "request_id");
        if (requestId != null && requestId.length() > EventEnvelope.MAX_ID) {
            // No reply: it would carry the id, and nobody waits for an id the service never makes.
            return reject(
                    in,
                    "invalid_envelope",
                    "request_id: at most " + EventEnvelope.MAX_ID + " characters",
                    text);
        }
        in.requestId = requestId;
        in.idempotencyKey = text(root, "idempotency_key");
        if (in.idempotencyKey != null
                && (in.requestId == null
                        || !EventEnvelope.validIdempotencyKey(in.idempotencyKey))) {
            return reject(
                    in,
                    "invalid_envelope",
                    "idempotency_key: with a request_id, 1 to "
                            + EventEnvelope.MAX_IDEMPOTENCY_KEY
                            + " visible ASCII characters",
                    text);
        }
        // An address the job cannot use is no reason to drop the request: its reply takes the
        // topic.
        String replyTo = text(root, "reply_to");
        if (replyTo != null && in.requestId != null && EventEnvelope.validReplyTo(replyTo)) {
            in.replyTo = replyTo;
        }
        in.activations = root.path("activations").asBoolean(false);
        in.validate = root.path("validate").asBoolean(false);
        in.op = text(root, "op");
        in.segment = text(root, "segment");
        if (in.op != null) {
            String problem = requestProblem(in, root);
            if (problem != null) {
                return reject(in, "invalid_envelope", problem, text);
            }
            return in;
        }
        JsonNode events = root.get("events");
        if (events == null && root.has("event")) {
            events = Json.MAPPER.createArrayNode().add(root.get("event")); // one-event shorthand
        }
        if (events == null || !events.isArray()) {
            return reject(in, "invalid_envelope", "events: required, an array", text);
        }
        if (events.size() > MAX_EVENTS) {
            return reject(
                    in, "invalid_envelope", "events: at most " + MAX_EVENTS + " per record", text);
        }
        List<Event> parsed = new ArrayList<>(events.size());
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < events.size(); i++) {
            EventJson.Parsed p = EventJson.parse(events.get(i), limits);
            if (p.ok()) {
                parsed.add(p.event());
                in.eventTime =
                        parsed.size() == 1
                                ? p.event().time()
                                : Math.max(in.eventTime, p.event().time());
            } else {
                for (String err : p.errors()) {
                    problems.add("events[" + i + "]." + err);
                }
            }
        }
        if (!problems.isEmpty()) {
            return reject(in, "invalid_event", String.join("; ", problems), text);
        }
        in.events = EventsCodec.encode(parsed);
        return in;
    }

    /** What is wrong with a request about the user's state ({@code op} set), or null. */
    @Nullable
    private static String requestProblem(Inbound in, JsonNode root) {
        if (!List.of(EventEnvelope.MEMBERSHIPS, EventEnvelope.EXPLAIN, EventEnvelope.ERASE)
                .contains(in.op)) {
            return "op: one of memberships, explain, erase";
        }
        if (in.requestId == null) {
            return "op " + in.op + ": needs a request_id";
        }
        JsonNode events = root.get("events");
        if (events != null && !(events.isArray() && events.isEmpty())) {
            return "op " + in.op + ": carries no events";
        }
        if (in.op.equals(EventEnvelope.EXPLAIN) && (in.segment == null || in.segment.isEmpty())) {
            return "op explain: needs a segment";
        }
        if (in.segment != null && in.segment.length() > EventEnvelope.MAX_ID) {
            // Quoted in the reply when unknown: bounded like every other id.
            return "segment: at most " + EventEnvelope.MAX_ID + " characters";
        }
        return null;
    }

    private static Inbound reject(Inbound in, String reason, String detail, @Nullable String raw) {
        in.reason = reason;
        in.detail = detail;
        in.rawValue = raw;
        return in;
    }

    @Nullable
    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v != null && v.isTextual() ? v.textValue() : null;
    }
}
