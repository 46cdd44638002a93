package io.cohortflow.core.definition;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.event.Values;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The parser's reading of JSON fields: each reader returns the field's value, or null after adding
 * a {@link Problem} at the field's pointer (to the parse's one list), so the parser goes on and
 * reports every problem of a definition at once. The tolerant spellings live here: numeric strings
 * for numbers, numbers and booleans for text, singular or plural units.
 */
final class JsonFields {
    private final List<Problem> problems;

    JsonFields(List<Problem> problems) {
        this.problems = problems;
    }

    @Nullable TimeUnit unit(JsonNode n, String ptr) {
        String u = reqText(n, ptr, "unit");
        if (u == null) {
            return null;
        }
        TimeUnit unit = TimeUnit.fromJson(u).orElse(null);
        if (unit == null) {
            error(
                    "invalid_value",
                    Pointer.child(ptr, "unit"),
                    "unit must be one of minute, hour, day, week, month, quarter, year; got \""
                            + u
                            + "\"");
        }
        return unit;
    }

    /** The field's node, or null after a {@code missing_field} problem (absent, or JSON null). */
    @Nullable JsonNode required(JsonNode n, String ptr, String field) {
        JsonNode c = n.get(field);
        if (c == null || c.isNull()) {
            error("missing_field", Pointer.child(ptr, field), "\"" + field + "\" is required");
            return null;
        }
        return c;
    }

    /**
     * The {@code func} of an object of the language, or null after a problem: {@code notAnObject}
     * when {@code n} is not an object, or the field's own.
     */
    @Nullable String func(@Nullable JsonNode n, String ptr, String notAnObject) {
        if (n == null || !n.isObject()) {
            error("wrong_type", ptr, notAnObject);
            return null;
        }
        return reqText(n, ptr, "func");
    }

    @Nullable Integer positiveInt(JsonNode n, String ptr, String field) {
        JsonNode c = required(n, ptr, field);
        if (c == null) {
            return null;
        }
        String p = Pointer.child(ptr, field);
        Double d = number(c);
        if (d == null || d != Math.rint(d) || d < 1 || d > Integer.MAX_VALUE) {
            error("invalid_value", p, "\"" + field + "\" must be a positive integer");
            return null;
        }
        return d.intValue();
    }

    @Nullable
    static Double number(JsonNode n) {
        if (n.isNumber()) {
            return Values.finite(n.doubleValue());
        }
        if (n.isTextual()) {
            String text = n.textValue().trim();
            if (!Values.decimal(text)) {
                return null; // "30d" is not thirty (Double.parseDouble's type suffixes)
            }
            try {
                return Values.finite(Double.parseDouble(text));
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return null;
    }

    @Nullable Double reqNumber(JsonNode n, String ptr, String field) {
        JsonNode c = required(n, ptr, field);
        if (c == null) {
            return null;
        }
        String p = Pointer.child(ptr, field);
        Double d = number(c);
        if (d == null) {
            error("wrong_type", p, "\"" + field + "\" must be a number (or a numeric string)");
        }
        return d;
    }

    @Nullable String scalarText(JsonNode n, String ptr, String field) {
        JsonNode c = required(n, ptr, field);
        if (c == null) {
            return null;
        }
        String p = Pointer.child(ptr, field);
        if (c.isTextual()) {
            return c.textValue();
        }
        if (c.isNumber() || c.isBoolean()) {
            return text(c);
        }
        error("wrong_type", p, "\"" + field + "\" must be a string");
        return null;
    }

    /**
     * A number or boolean written where a string is compared, as an event's value of it reads
     * ({@link Values#text}): {@code 0.0001} is "0.0001" and {@code 42.0} is "42", as the event's
     * value would be, not Java's "1.0E-4" and "42.0", which no event value ever equals.
     */
    private static String text(JsonNode c) {
        return c.isNumber() ? Values.text(c.doubleValue()) : c.asText();
    }

    @Nullable List<String> stringList(JsonNode n, String ptr) {
        JsonNode arr = n.get("list");
        String p = Pointer.child(ptr, "list");
        if (arr == null || !arr.isArray() || arr.isEmpty()) {
            error("missing_field", p, "\"list\" must be a non-empty array of strings");
            return null;
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < arr.size(); i++) {
            JsonNode e = arr.get(i);
            if (!(e.isTextual() || e.isNumber() || e.isBoolean())) {
                error("wrong_type", Pointer.child(p, i), "list elements must be strings");
                return null;
            }
            out.add(e.isTextual() ? e.textValue() : text(e));
        }
        return List.copyOf(out);
    }

    @Nullable List<Double> numberList(JsonNode n, String ptr) {
        JsonNode arr = n.get("list");
        String p = Pointer.child(ptr, "list");
        if (arr == null || !arr.isArray() || arr.isEmpty()) {
            error("missing_field", p, "\"list\" must be a non-empty array of numbers");
            return null;
        }
        List<Double> out = new ArrayList<>();
        for (int i = 0; i < arr.size(); i++) {
            Double d = number(arr.get(i));
            if (d == null) {
                error("wrong_type", Pointer.child(p, i), "list elements must be numbers");
                return null;
            }
            out.add(d);
        }
        return List.copyOf(out);
    }

    @Nullable String reqText(JsonNode n, String ptr, String field) {
        JsonNode c = required(n, ptr, field);
        if (c == null) {
            return null;
        }
        String p = Pointer.child(ptr, field);
        if (!c.isTextual()) {
            error("wrong_type", p, "\"" + field + "\" must be a string");
            return null;
        }
        return c.textValue();
    }

    @Nullable String optText(JsonNode n, String ptr, String field) {
        JsonNode c = n.get(field);
        if (c == null || c.isNull()) {
            return null;
        }
        if (!c.isTextual()) {
            error("wrong_type", Pointer.child(ptr, field), "\"" + field + "\" must be a string");
            return null;
        }
        return c.textValue();
    }

    void warn(String code, String ptr, String message) {
        problems.add(Problem.warning(code, ptr, message));
    }

    void knownFields(JsonNode n, String ptr, String... known) {
        Set<String> k = Set.of(known);
        Iterator<Map.Entry<String, JsonNode>> it = n.fields();
        while (it.hasNext()) {
            String f = it.next().getKey();
            if (!k.contains(f)) {
                String hint =
                        Suggestions.closest(f, k)
                                .map(s -> "; did you mean \"" + s + "\"?")
                                .orElse("");
                problems.add(
                        Problem.warning(
                                "unknown_field",
                                Pointer.child(ptr, f),
                                "field \""
                                        + f
                                        + "\" is not part of this function and is ignored"
                                        + hint));
            }
        }
    }

    void unknownFunction(String ptr, String func, Iterable<String> candidates) {
        String hint =
                Suggestions.closest(func, candidates)
                        .map(s -> "; did you mean \"" + s + "\"?")
                        .orElse("");
        error(
                "unknown_function",
                Pointer.child(ptr, "func"),
                "unknown function \"" + func + "\"" + hint);
    }

    void error(String code, String ptr, String message) {
        problems.add(Problem.error(code, ptr, message));
    }
}
