package io.cohortflow.service.segments;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.definition.Definition;
import io.cohortflow.core.estimate.Preview;
import io.cohortflow.core.event.Event;
import io.cohortflow.core.event.EventJson;
import io.cohortflow.service.ServiceException;
import io.cohortflow.service.auth.Principal;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code POST /segments/preview}: what a draft would do for sample users given their events,
 * evaluated by core's engine as the job would ({@link Preview}), statelessly. The draft is
 * validated like a write and its references resolved to the workspace's live segments.
 */
public final class DraftPreviews {
    private static final Set<String> FIELDS = Set.of("definition", "users", "events", "at");

    /** One user's preview, named as the request named them. */
    public record UserPreview(String userId, Preview.Result result) {}

    /** The answer: each user's preview at instant {@code at}. */
    public record Answer(Instant at, List<UserPreview> users) {}

    private final SegmentService segments;
    private final DraftEstimator job;
    private final Clock clock;

    /**
     * @param job the job's engine settings and event limits (see {@link DraftEstimator#engine})
     */
    public DraftPreviews(SegmentService segments, DraftEstimator job, Clock clock) {
        this.segments = segments;
        this.job = job;
        this.clock = clock;
    }

    /**
     * @param body {@code definition} (the draft), {@code users} (each {@code userId} and its {@code
     *     events}) or {@code events} (one user's), and {@code at} (ISO-8601, default now)
     */
    public Answer preview(Principal p, JsonNode body) {
        if (body == null || !body.isObject()) {
            throw invalid("", "the body must be a JSON object with definition and users");
        }
        Iterator<String> names = body.fieldNames();
        while (names.hasNext()) {
            String f = names.next();
            if (!FIELDS.contains(f)) {
                throw invalid(
                        "/" + f, "unknown field; a preview has definition, users (or events), at");
            }
        }
        Definition draft = segments.resolvedDraft(p, body.get("definition"));
        Instant at = at(body.get("at"));
        Map<String, List<Event>> users = users(body);
        // Compiled once: the same work for every user.
        Preview.Compiled compiled = Preview.compile(draft);
        explained(users.size(), compiled.nodes());
        Preview preview = new Preview(job.engine());
        List<UserPreview> out = new ArrayList<>();
        users.forEach(
                (user, events) ->
                        out.add(
                                new UserPreview(
                                        user,
                                        preview.preview(compiled, events, at.toEpochMilli()))));
        return new Answer(at, out);
    }

    /**
     * Refuses a preview whose explanations, one tree of the draft per user, would exceed {@link
     * Preview#MAX_EXPLAINED_NODES} in all (one user always fits: see there).
     */
    private static void explained(int users, int nodes) {
        long total = (long) users * nodes;
        if (total > Preview.MAX_EXPLAINED_NODES) {
            int most = Math.max(1, Preview.MAX_EXPLAINED_NODES / nodes);
            throw tooManyUsers(
                    "this draft has "
                            + nodes
                            + " predicates and a preview explains at most "
                            + Preview.MAX_EXPLAINED_NODES
                            + " in all, over its users: at most "
                            + most
                            + " users with this draft",
                    users);
        }
    }

    private static ServiceException tooManyUsers(String message, int users) {
        return new ServiceException(
                400,
                "too_many_users",
                message,
                List.of(SegmentInput.problem("/users", "too_many_users", users + " users given")));
    }

    private Instant at(JsonNode at) {
        if (at == null || at.isNull()) {
            return clock.instant();
        }
        Instant parsed;
        try {
            parsed = Instant.parse(at.asText());
        } catch (DateTimeParseException e) {
            throw invalid("/at", "at must be an ISO-8601 instant, like 2024-01-15T10:30:00Z");
        }
        // The range event times have: beyond it the instant has no epoch milliseconds at all.
        if (parsed.isBefore(Instant.ofEpochMilli(EventJson.EARLIEST))
                || parsed.isAfter(Instant.ofEpochMilli(EventJson.LATEST))) {
            throw invalid(
                    "/at",
                    "at must be from "
                            + Instant.ofEpochMilli(EventJson.EARLIEST)
                            + " to "
                            + Instant.ofEpochMilli(EventJson.LATEST)
                            + ", as event times are");
        }
        return parsed;
    }

    /**
     * The users and their events, in the request's order, within {@link Preview#MAX_USERS} and
     * {@link Preview#MAX_EVENTS}.
     */
    private Map<String, List<Event>> users(JsonNode body) {
        JsonNode users = body.get("users");
        JsonNode single = body.get("events");
        if ((users == null) == (single == null)) {
            throw invalid("/users", "give users (each with userId and events) or events, not both");
        }
        Map<String, List<Event>> out = new LinkedHashMap<>();
        if (single != null) {
            out.put("user", events(single, "/events", 0));
            return out;
        }
        if (!users.isArray() || users.isEmpty()) {
            throw invalid("/users", "users must be a non-empty array of {userId, events}");
        }
        // Before any user is read: each costs a profile and an explanation, events or not.
        if (users.size() > Preview.MAX_USERS) {
            throw tooManyUsers(
                    "a preview carries at most " + Preview.MAX_USERS + " users", users.size());
        }
        int total = 0;
        for (int i = 0; i < users.size(); i++) {
            String ptr = "/users/" + i;
            JsonNode u = users.get(i);
            JsonNode id = u.get("userId");
            if (id == null || !id.isTextual() || id.textValue().isEmpty()) {
                throw invalid(ptr + "/userId", "userId is required, a non-empty string");
            }
            if (out.containsKey(id.textValue())) {
                throw invalid(ptr + "/userId", "userId " + id.textValue() + " is given twice");
            }
            List<Event> events = events(u.get("events"), ptr + "/events", total);
            total += events.size();
            out.put(id.textValue(), events);
        }
        return out;
    }

    private List<Event> events(JsonNode events, String ptr, int before) {
        if (events == null || !events.isArray()) {
            throw invalid(ptr, "events must be an array of events");
        }
        if (before + events.size() > Preview.MAX_EVENTS) {
            throw new ServiceException(
                    400,
                    "too_many_events",
                    "a preview carries at most " + Preview.MAX_EVENTS + " events in all",
                    List.of(
                            SegmentInput.problem(
                                    ptr,
                                    "too_many_events",
                                    (before + events.size()) + " events given")));
        }
        List<Event> out = new ArrayList<>(events.size());
        for (int i = 0; i < events.size(); i++) {
            EventJson.Parsed parsed = EventJson.parse(events.get(i), job.eventLimits());
            if (!parsed.ok()) {
                throw new ServiceException(
                        400,
                        "invalid_event",
                        "event " + ptr + "/" + i + " is not valid: " + parsed.errors().get(0),
                        List.of(
                                SegmentInput.problem(
                                        ptr + "/" + i,
                                        "invalid_event",
                                        String.join("; ", parsed.errors()))));
            }
            out.add(parsed.event());
        }
        return out;
    }

    private static ServiceException invalid(String pointer, String message) {
        return new ServiceException(
                400,
                "invalid_request",
                message,
                List.of(SegmentInput.problem(pointer, "invalid_request", message)));
    }
}
