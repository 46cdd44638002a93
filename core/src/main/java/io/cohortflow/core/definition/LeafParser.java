package io.cohortflow.core.definition;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The parser's reading of a definition's leaves: the values a predicate reads ({@code attr}, {@code
 * total}, {@code total-distinct}, or a bare attribute name), event names, and comparisons of a
 * value with a string, a glob, a list, a number or a range. Like the rest of the {@link
 * DefinitionParser} it belongs to, it never throws on bad input: every problem goes to {@link
 * JsonFields} and the element reads as null.
 */
final class LeafParser {
    private final JsonFields fields;

    LeafParser(JsonFields fields) {
        this.fields = fields;
    }

    @Nullable Val val(@Nullable JsonNode n, String ptr) {
        if (n == null || n.isNull()) {
            fields.error("missing_field", ptr, "\"val\" is required");
            return null;
        }
        if (n.isTextual()) {
            // Tolerated shorthand: "val": "variables/x".
            return attr(n.textValue(), ptr);
        }
        if (!n.isObject()) {
            fields.error(
                    "wrong_type", ptr, "\"val\" is {\"func\":\"attr\",\"name\":\"variables/...\"}");
            return null;
        }
        String func = fields.reqText(n, ptr, "func");
        if (func == null) {
            return null;
        }
        switch (func) {
            case "attr":
                {
                    fields.knownFields(n, ptr, "func", "name", "description");
                    String name = fields.reqText(n, ptr, "name");
                    return name == null ? null : attr(name, Pointer.child(ptr, "name"));
                }
            case "total":
                {
                    fields.knownFields(n, ptr, "func", "evt", "description");
                    String evt = event(n.get("evt"), Pointer.child(ptr, "evt"));
                    return evt == null ? null : new Val.Total(evt);
                }
            case "total-distinct":
                {
                    fields.knownFields(n, ptr, "func", "field", "description");
                    JsonNode f = n.get("field");
                    String fptr = Pointer.child(ptr, "field");
                    if (f == null || f.isNull()) {
                        fields.error("missing_field", fptr, "\"field\" is required");
                        return null;
                    }
                    Val a =
                            f.isObject()
                                    ? val(f, fptr)
                                    : f.isTextual() ? attr(f.textValue(), fptr) : null;
                    if (!(a instanceof Val.Attr attr) || !attr.isDimension()) {
                        if (a != null || !f.isObject()) {
                            fields.error(
                                    "invalid_value",
                                    fptr,
                                    "total-distinct counts the values of a variables/ attribute");
                        }
                        return null;
                    }
                    return new Val.TotalDistinct(attr.name());
                }
            default:
                fields.unknownFunction(ptr, func, List.of("attr", "total", "total-distinct"));
                return null;
        }
    }

    @Nullable
    private Val attr(String name, String ptr) {
        if (name.startsWith(Attributes.VARIABLES) && name.length() > Attributes.VARIABLES.length()
                || name.startsWith(Attributes.METRICS)
                        && name.length() > Attributes.METRICS.length()) {
            return new Val.Attr(name);
        }
        fields.error(
                "invalid_value",
                ptr,
                "an attribute name starts with \"variables/\" (a dimension) or \"metrics/\" (an"
                        + " aggregate), got \""
                        + name
                        + "\"");
        return null;
    }

    /** {@code {"func":"event","name":"metrics/x"}} (or a bare name) to {@code x}. */
    @Nullable String event(@Nullable JsonNode n, String ptr) {
        if (n == null || n.isNull()) {
            fields.error("missing_field", ptr, "\"evt\" is required");
            return null;
        }
        String name;
        if (n.isTextual()) {
            name = n.textValue();
        } else if (n.isObject()) {
            fields.knownFields(n, ptr, "func", "name", "description");
            String func = fields.optText(n, ptr, "func");
            if (func != null && !func.equals("event")) {
                fields.unknownFunction(ptr, func, List.of("event"));
                return null;
            }
            name = fields.reqText(n, ptr, "name");
            if (name == null) {
                return null;
            }
        } else {
            fields.error(
                    "wrong_type", ptr, "\"evt\" is {\"func\":\"event\",\"name\":\"metrics/...\"}");
            return null;
        }
        if (name.startsWith(Attributes.METRICS)) {
            name = Attributes.metric(name);
        }
        if (name.isEmpty()) {
            fields.error("invalid_value", ptr, "the event name is empty");
            return null;
        }
        return name;
    }

    /** A comparison of a value with the operand its operator takes ({@link Op#arg}). */
    @Nullable Pred compare(JsonNode n, String ptr, Op op, @Nullable String desc) {
        Val val = val(n.get("val"), Pointer.child(ptr, "val"));
        switch (op.arg()) {
            case STR:
                {
                    fields.knownFields(n, ptr, "func", "val", "str", "description");
                    String s = fields.scalarText(n, ptr, "str");
                    return val == null || s == null
                            ? null
                            : new Pred.Compare(op, val, s, null, null, null, null, null, desc);
                }
            case GLOB:
                {
                    fields.knownFields(n, ptr, "func", "val", "glob", "str", "description");
                    String s =
                            n.has("glob")
                                    ? fields.scalarText(n, ptr, "glob")
                                    : fields.scalarText(n, ptr, "str");
                    return val == null || s == null
                            ? null
                            : new Pred.Compare(op, val, s, null, null, null, null, null, desc);
                }
            case STR_LIST:
                {
                    fields.knownFields(n, ptr, "func", "val", "list", "description");
                    List<String> list = fields.stringList(n, ptr);
                    return val == null || list == null
                            ? null
                            : new Pred.Compare(op, val, null, list, null, null, null, null, desc);
                }
            case NUM:
                {
                    fields.knownFields(n, ptr, "func", "val", "num", "description");
                    Double d = fields.reqNumber(n, ptr, "num");
                    return val == null || d == null
                            ? null
                            : new Pred.Compare(op, val, null, null, d, null, null, null, desc);
                }
            case NUM_LIST:
                {
                    fields.knownFields(n, ptr, "func", "val", "list", "description");
                    List<Double> list = fields.numberList(n, ptr);
                    return val == null || list == null
                            ? null
                            : new Pred.Compare(op, val, null, null, null, list, null, null, desc);
                }
            case RANGE:
            default:
                {
                    fields.knownFields(n, ptr, "func", "val", "low", "high", "description");
                    boolean bad = false;
                    Double low = null;
                    Double high = null;
                    JsonNode l = n.get("low");
                    if (l != null && !l.isNull()) {
                        low = JsonFields.number(l);
                        bad |= low == null;
                        if (low == null) {
                            fields.error(
                                    "wrong_type",
                                    Pointer.child(ptr, "low"),
                                    "\"low\" is a number or null");
                        }
                    }
                    JsonNode h = n.get("high");
                    if (h != null && !h.isNull()) {
                        high = JsonFields.number(h);
                        bad |= high == null;
                        if (high == null) {
                            fields.error(
                                    "wrong_type",
                                    Pointer.child(ptr, "high"),
                                    "\"high\" is a number or null");
                        }
                    }
                    if (!bad && low == null && high == null) {
                        fields.error(
                                "invalid_value", ptr, "a range needs \"low\", \"high\" or both");
                        bad = true;
                    }
                    if (!bad && low != null && high != null && low > high) {
                        fields.error(
                                "invalid_value",
                                ptr,
                                "range low " + low + " is above high " + high);
                        bad = true;
                    }
                    return val == null || bad
                            ? null
                            : new Pred.Compare(op, val, null, null, null, null, low, high, desc);
                }
        }
    }
}
