package io.cohortflow.core.event;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.contract.UserIds;
import io.cohortflow.core.contract.WholeText;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Events to and from the JSON of the segmentation API ({@code name}, {@code time} as ISO 8601,
 * {@code properties}, optional {@code view_id} and {@code session_id} UUIDs). Parsing reports every
 * violation rather than throwing, within {@link EventLimits} and the absolute time range: this is
 * the one parser of events for the synchronous API, the job and the backfill.
 */
public final class EventJson {
    /**
     * The earliest event time accepted anywhere: Kafka refuses negative record timestamps, and an
     * event's time becomes its records' timestamps.
     */
    public static final long EARLIEST = 0L;

    /**
     * The latest event time accepted anywhere, whatever the future skew allows: far enough for any
     * clock, and it keeps {@code time << 16} (the job's history keys) inside a long.
     */
    public static final long LATEST = Instant.parse("3000-01-01T00:00:00Z").toEpochMilli() - 1;

    /** The fields an event may have (the synchronous API refuses any other: a typo in one). */
    public static final List<String> FIELDS =
            List.of("name", "time", "properties", "view_id", "session_id");

    private static final String TIME_FORMAT =
            "time: must be an ISO 8601 date-time such as 2024-01-15T10:30:00Z";

    private EventJson() {}

    /** A parsed event, or the reasons it is not one (each naming the offending field). */
    public record Parsed(@Nullable Event event, List<String> errors) {
        public boolean ok() {
            return event != null;
        }
    }

    /** Parses within the default limits. */
    public static Parsed parse(@Nullable JsonNode n) {
        return parse(n, EventLimits.DEFAULT);
    }

    public static Parsed parse(@Nullable JsonNode n, EventLimits limits) {
        List<String> errors = new ArrayList<>();
        if (n == null || !n.isObject()) {
            return new Parsed(null, List.of("an event is a JSON object"));
        }
        int chars = Size.chars(n, limits.maxEventChars());
        if (chars > limits.maxEventChars()) {
            return new Parsed(
                    null,
                    List.of(
                            "the event is larger than "
                                    + limits.maxEventChars()
                                    + " characters of JSON"));
        }
        String name = null;
        JsonNode nameNode = n.get("name");
        String half =
                nameNode != null && nameNode.isTextual()
                        ? WholeText.problem(nameNode.textValue())
                        : null;
        if (nameNode == null || nameNode.isNull()) {
            errors.add("name: required");
        } else if (!nameNode.isTextual() || nameNode.textValue().isBlank()) {
            errors.add("name: must be a non-empty string");
        } else if (nameNode.textValue().length() > limits.maxNameLength()) {
            errors.add("name: longer than " + limits.maxNameLength() + " characters");
        } else if (half != null) {
            errors.add("name: " + half);
        } else {
            name = nameNode.textValue();
        }
        Long time = null;
        JsonNode timeNode = n.get("time");
        if (timeNode == null || timeNode.isNull()) {
            errors.add("time: required");
        } else {
            time = time(timeNode, errors);
        }
        Map<String, Object> props = null;
        JsonNode p = n.get("properties");
        if (p == null || p.isNull()) {
            errors.add("properties: required (use {} for none)");
        } else if (!p.isObject()) {
            errors.add("properties: must be a JSON object");
        } else if (Size.check(p, limits, errors)) {
            props = object(p);
        }
        String view = uuid(n, "view_id", errors);
        String session = uuid(n, "session_id", errors);
        if (!errors.isEmpty()) {
            return new Parsed(null, List.copyOf(errors));
        }
        return new Parsed(new Event(name, time, props, view, session), List.of());
    }

    /** The time in epoch milliseconds within [{@link #EARLIEST}, {@link #LATEST}], else null. */
    @Nullable
    private static Long time(JsonNode t, List<String> errors) {
        Long millis;
        if (t.isIntegralNumber()) {
            // Epoch milliseconds, accepted for producers that send them; a number past a long's
            // range must not wrap round into an ordinary-looking time.
            millis = t.canConvertToLong() ? t.longValue() : null;
        } else if (t.isTextual() && t.textValue().length() <= 64) {
            millis = IsoTimes.epochMillis(t.textValue());
        } else {
            millis = null;
        }
        if (millis == null) {
            errors.add(TIME_FORMAT);
            return null;
        }
        if (millis < EARLIEST) {
            errors.add("time: before 1970-01-01T00:00:00Z, the earliest accepted event time");
            return null;
        }
        if (millis > LATEST) {
            errors.add("time: after 2999-12-31T23:59:59.999Z, the latest accepted event time");
            return null;
        }
        return millis;
    }

    @Nullable
    private static String uuid(JsonNode n, String field, List<String> errors) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        // The 36-character text form only (UUID.fromString also takes "1-1-1-1-1"), in lower
        // case: the same visit's id in capitals is the same visit.
        String canonical = v.isTextual() ? UserIds.uuid(v.textValue()) : null;
        if (canonical != null) {
            return canonical;
        }
        errors.add(field + ": must be a UUID (36 characters, as 8-4-4-4-12 hexadecimal digits)");
        return null;
    }

    /** A JSON object as plain Java values: numbers become {@link Double}s. */
    public static Map<String, Object> object(JsonNode o) {
        Map<String, Object> out = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = o.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            Object v = value(e.getValue());
            if (v != null) {
                out.put(e.getKey(), v);
            }
        }
        return Collections.unmodifiableMap(out);
    }

    @Nullable
    private static Object value(JsonNode v) {
        if (v.isTextual()) {
            return v.textValue();
        }
        if (v.isNumber()) {
            return v.doubleValue();
        }
        if (v.isBoolean()) {
            return v.booleanValue();
        }
        if (v.isObject()) {
            return object(v);
        }
        if (v.isArray()) {
            List<Object> l = new ArrayList<>(v.size());
            for (JsonNode x : v) {
                Object o = value(x);
                if (o != null) {
                    l.add(o);
                }
            }
            return Collections.unmodifiableList(l);
        }
        return null;
    }
}
