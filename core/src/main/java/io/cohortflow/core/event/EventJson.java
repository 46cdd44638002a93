package io.cohortflow.core.event;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.annotation.Nullable;

/**
 * Events to and from the JSON of the segmentation API ({@code name}, {@code time} as ISO 8601,
 * {@code properties}, optional {@code view_id} and {@code session_id} UUIDs). Parsing reports every
 * violation rather than throwing.
 */
public final class EventJson {
    private EventJson() {}

    /** A parsed event, or the reasons it is not one (each naming the offending field). */
    public record Parsed(@Nullable Event event, List<String> errors) {
        public boolean ok() {
            return event != null;
        }
    }

    public static Parsed parse(@Nullable JsonNode n) {
        List<String> errors = new ArrayList<>();
        if (n == null || !n.isObject()) {
            return new Parsed(null, List.of("an event is a JSON object"));
        }
        String name = null;
        JsonNode nameNode = n.get("name");
        if (nameNode == null || nameNode.isNull()) {
            errors.add("name: required");
        } else if (!nameNode.isTextual() || nameNode.textValue().isBlank()) {
            errors.add("name: must be a non-empty string");
        } else {
            name = nameNode.textValue();
        }
        Long time = null;
        JsonNode timeNode = n.get("time");
        if (timeNode == null || timeNode.isNull()) {
            errors.add("time: required");
        } else {
            time = time(timeNode);
            if (time == null) {
                errors.add("time: must be an ISO 8601 date-time such as 2024-01-15T10:30:00Z");
            }
        }
        Map<String, Object> props = null;
        JsonNode p = n.get("properties");
        if (p == null || p.isNull()) {
            errors.add("properties: required (use {} for none)");
        } else if (!p.isObject()) {
            errors.add("properties: must be a JSON object");
        } else {
            props = object(p);
        }
        String view = uuid(n, "view_id", errors);
        String session = uuid(n, "session_id", errors);
        if (!errors.isEmpty()) {
            return new Parsed(null, List.copyOf(errors));
        }
        return new Parsed(new Event(name, time, props, view, session), List.of());
    }

    @Nullable
    private static Long time(JsonNode t) {
        if (t.isIntegralNumber()) {
            return t.longValue(); // epoch milliseconds, accepted for producers that send them
        }
        if (!t.isTextual()) {
            return null;
        }
        try {
            return OffsetDateTime.parse(t.textValue()).toInstant().toEpochMilli();
        } catch (DateTimeParseException e) {
            try {
                return Instant.parse(t.textValue()).toEpochMilli();
            } catch (DateTimeParseException e2) {
                return null;
            }
        }
    }

    @Nullable
    private static String uuid(JsonNode n, String field, List<String> errors) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isTextual()) {
            try {
                UUID.fromString(v.textValue());
                return v.textValue();
            } catch (IllegalArgumentException e) {
                // fall through to the error below
            }
        }
        errors.add(field + ": must be a UUID");
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
