package io.cohortflow.service.segmentation;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.contract.UserIds;
import io.cohortflow.core.contract.WholeText;
import io.cohortflow.core.event.EventJson;
import io.cohortflow.service.ServiceException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * The checks of a segmentation request's body, before anything is resolved or sent: who the request
 * is about ({@link #identity}) and the events it carries ({@link #events}). Every refusal is a 400
 * {@link ServiceException} naming the field at fault. Apart from {@link SegmentationService} so the
 * request's rules (fields, limits, event times) read in one place, away from the sending and the
 * answering.
 */
final class RequestChecks {
    private static final Set<String> FIELDS = Set.of("user_id", "alias", "aliases", "events");

    private final SegmentationConfig config;
    private final JobClient job;
    private final Clock clock;

    /**
     * @param job read for its event time limits (future skew, horizon), which the job may announce
     *     after start: they are read per event, never copied
     */
    RequestChecks(SegmentationConfig config, JobClient job, Clock clock) {
        this.config = config;
        this.job = job;
        this.clock = clock;
    }

    /**
     * Who a request is about: a user id (a UUID, canonical), or the aliases to resolve (one {@code
     * alias}, priority 0, or the prioritised {@code aliases}); exactly one of the two is set.
     */
    record Identity(@Nullable String userId, @Nullable List<AliasBindings.Alias> aliases) {}

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

    /** Checks the body's fields and who it names; call before {@link #events}. */
    Identity identity(JsonNode body) {
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
        String half = WholeText.problem(v.textValue());
        if (half != null) {
            // Keyed on the aliases topic as UTF-8, half a character reads back as '?': the alias
            // would never find its own binding, and another alias would.
            throw ServiceException.badRequest(
                    "invalid_user_identifier",
                    where + "." + field + ": " + half,
                    where + "." + field + ": " + half);
        }
        return v.textValue();
    }

    /**
     * Checks the events of a body {@link #identity} accepted: each a valid event of known fields,
     * none too far in the future; those past the history horizon are kept, marked too old.
     */
    Events events(JsonNode body) {
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
        Set<Integer> tooOld = new TreeSet<>();
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
    private static @Nullable JsonNode present(JsonNode body, String field) {
        JsonNode v = body.get(field);
        boolean list = field.equals("aliases") || field.equals("events");
        return v == null || v.isNull() || (list && v.isArray() && v.isEmpty()) ? null : v;
    }
}
