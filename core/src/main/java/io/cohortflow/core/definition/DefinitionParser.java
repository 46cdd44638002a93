package io.cohortflow.core.definition;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The tolerant parser: accepts the spellings Adobe's documents use ({@code segment-def} or {@code
 * segment} envelopes, {@code container} or {@code segment} containers, {@code eq-any-of}, numeric
 * strings for numbers, singular or plural units) and produces the typed tree. It never throws on
 * bad input: every problem becomes a {@link Problem} with a JSON pointer.
 */
public final class DefinitionParser {

    /**
     * Nesting beyond this is rejected before recursing, so hostile input cannot overflow the stack.
     * The configurable (and much lower) complexity guardrail is the validator's.
     */
    public static final int HARD_DEPTH_LIMIT = 200;

    private static final Set<String> LOGICAL =
            Set.of(
                    "container",
                    "segment",
                    "and",
                    "or",
                    "not",
                    "without",
                    "segment-ref",
                    "exists",
                    "not-exists",
                    "event-exists",
                    "not-event-exists",
                    "sequence",
                    "sequence-prefix",
                    "sequence-suffix");

    private static final Set<String> STREAM_ONLY =
            Set.of(
                    "sequence-and",
                    "sequence-or",
                    "exclude-next-checkpoint",
                    "time-restriction",
                    "container-restriction",
                    "dimension-restriction");

    /** The result: a definition when there were no errors, and every problem found. */
    public record Result(@Nullable Definition definition, List<Problem> problems) {
        public boolean ok() {
            return definition != null;
        }
    }

    private final List<Problem> problems = new ArrayList<>();

    private DefinitionParser() {}

    public static Result parse(@Nullable JsonNode root) {
        DefinitionParser p = new DefinitionParser();
        Definition d = p.definition(root);
        boolean failed = p.problems.stream().anyMatch(Problem::isError);
        return new Result(failed ? null : d, List.copyOf(p.problems));
    }

    /** Every function name the language knows, for hints and for {@code supported_features}. */
    public static Set<String> functionNames() {
        Set<String> all = new LinkedHashSet<>(LOGICAL);
        all.addAll(STREAM_ONLY);
        for (String s : Op.spellings()) {
            all.add(s);
        }
        all.addAll(Set.of("segment-def", "attr", "total", "total-distinct", "event"));
        return all;
    }

    @Nullable
    private Definition definition(@Nullable JsonNode root) {
        if (root == null || !root.isObject()) {
            error("wrong_type", "", "a definition is a JSON object with a \"container\"");
            return null;
        }
        knownFields(root, "", "func", "version", "container", "description");
        String func = optText(root, "", "func");
        if (func != null && !func.equals("segment-def") && !func.equals("segment")) {
            unknownFunction("", func, Set.of("segment-def", "segment"));
        }
        List<Integer> version = Definition.CURRENT_VERSION;
        JsonNode v = root.get("version");
        if (v != null && !v.isNull()) {
            version = version(v);
        }
        JsonNode c = root.get("container");
        if (c == null || c.isNull()) {
            error("missing_field", "/container", "a definition needs a \"container\"");
            return null;
        }
        Pred p = pred(c, "/container", 0);
        if (p != null && !(p instanceof Pred.Container)) {
            error(
                    "wrong_type",
                    "/container",
                    "the top of a definition must be a container with a context");
            return null;
        }
        if (p == null || version == null) {
            return null;
        }
        return new Definition((Pred.Container) p, version, optText(root, "", "description"));
    }

    @Nullable
    private List<Integer> version(JsonNode v) {
        if (!v.isArray() || v.isEmpty()) {
            error("wrong_type", "/version", "\"version\" is an array of integers such as [1,0,0]");
            return null;
        }
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            if (!v.get(i).canConvertToInt() || !v.get(i).isIntegralNumber()) {
                error("wrong_type", "/version/" + i, "version parts are integers");
                return null;
            }
            out.add(v.get(i).intValue());
        }
        if (out.get(0) != 1) {
            error(
                    "unsupported_version",
                    "/version",
                    "only definition language version 1 is supported, got " + out);
            return null;
        }
        return List.copyOf(out);
    }

    @Nullable
    private Pred pred(@Nullable JsonNode n, String ptr, int depth) {
        if (depth > HARD_DEPTH_LIMIT) {
            error(
                    "nesting_too_deep",
                    ptr,
                    "definitions nest at most " + HARD_DEPTH_LIMIT + " levels deep");
            return null;
        }
        if (n == null || !n.isObject()) {
            error("wrong_type", ptr, "expected a predicate object with a \"func\"");
            return null;
        }
        String func = reqText(n, ptr, "func");
        if (func == null) {
            return null;
        }
        String desc = optText(n, ptr, "description");
        switch (func) {
            case "container":
            case "segment":
                return container(n, ptr, depth, desc);
            case "and":
            case "or":
                {
                    knownFields(n, ptr, "func", "preds", "description");
                    List<Pred> preds = predList(n, ptr, "preds", depth);
                    if (preds == null) {
                        return null;
                    }
                    return func.equals("and")
                            ? new Pred.And(preds, desc)
                            : new Pred.Or(preds, desc);
                }
            case "not":
            case "without":
                {
                    knownFields(n, ptr, "func", "pred", "description");
                    Pred inner = required(n, ptr, "pred", depth);
                    if (inner == null) {
                        return null;
                    }
                    return func.equals("not")
                            ? new Pred.Not(inner, desc)
                            : new Pred.Without(inner, desc);
                }
            case "segment-ref":
                {
                    knownFields(n, ptr, "func", "id", "description");
                    String id = reqText(n, ptr, "id");
                    return id == null ? null : new Pred.SegmentRef(id, desc);
                }
            case "exists":
            case "not-exists":
                {
                    knownFields(n, ptr, "func", "val", "description");
                    Val val = val(n.get("val"), Pointer.child(ptr, "val"));
                    return val == null
                            ? null
                            : new Pred.Exists(val, func.equals("not-exists"), desc);
                }
            case "event-exists":
            case "not-event-exists":
                {
                    knownFields(n, ptr, "func", "evt", "description");
                    String evt = event(n.get("evt"), Pointer.child(ptr, "evt"));
                    return evt == null
                            ? null
                            : new Pred.EventExists(evt, func.equals("not-event-exists"), desc);
                }
            case "sequence":
                return sequence(n, ptr, depth, Pred.SequenceKind.SEQUENCE, desc);
            case "sequence-prefix":
                return sequence(n, ptr, depth, Pred.SequenceKind.PREFIX, desc);
            case "sequence-suffix":
                return sequence(n, ptr, depth, Pred.SequenceKind.SUFFIX, desc);
            default:
                {
                    var op = Op.fromJson(func);
                    if (op.isPresent()) {
                        return compare(n, ptr, op.get(), desc);
                    }
                    if (STREAM_ONLY.contains(func)) {
                        error(
                                "misplaced_function",
                                Pointer.child(ptr, "func"),
                                "\"" + func + "\" may only appear in a sequence's \"stream\"");
                        return null;
                    }
                    unknownFunction(ptr, func, functionNames());
                    return null;
                }
        }
    }

    @Nullable
    private Pred container(JsonNode n, String ptr, int depth, @Nullable String desc) {
        knownFields(n, ptr, "func", "context", "pred", "window", "at_least", "description");
        String ctxText = reqText(n, ptr, "context");
        Context ctx = null;
        if (ctxText != null) {
            ctx = Context.fromJson(ctxText).orElse(null);
            if (ctx == null) {
                String hint =
                        Suggestions.closest(ctxText, List.of("hits", "visits", "visitors"))
                                .map(s -> "; did you mean \"" + s + "\"?")
                                .orElse("");
                error(
                        "invalid_value",
                        Pointer.child(ptr, "context"),
                        "context must be hits, visits or visitors, got \"" + ctxText + "\"" + hint);
            }
        }
        Window window = null;
        JsonNode w = n.get("window");
        if (w != null && !w.isNull()) {
            window = window(w, Pointer.child(ptr, "window"));
            if (window == null) {
                return null;
            }
        }
        int atLeast = 1;
        JsonNode al = n.get("at_least");
        if (al != null && !al.isNull()) {
            Integer v = positiveInt(n, ptr, "at_least");
            if (v == null) {
                return null;
            }
            atLeast = v;
        }
        Pred inner = required(n, ptr, "pred", depth);
        if (ctx == null || inner == null) {
            return null;
        }
        return new Pred.Container(ctx, inner, window, atLeast, desc);
    }

    @Nullable
    private Window window(JsonNode w, String ptr) {
        if (!w.isObject()) {
            error("wrong_type", ptr, "a window is {\"count\": N, \"unit\": \"day\"}");
            return null;
        }
        knownFields(w, ptr, "count", "unit");
        Integer count = positiveInt(w, ptr, "count");
        TimeUnit unit = unit(w, ptr);
        return count == null || unit == null ? null : new Window(count, unit);
    }

    @Nullable
    private TimeUnit unit(JsonNode n, String ptr) {
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

    @Nullable
    private Integer positiveInt(JsonNode n, String ptr, String field) {
        JsonNode c = n.get(field);
        String p = Pointer.child(ptr, field);
        if (c == null || c.isNull()) {
            error("missing_field", p, "\"" + field + "\" is required");
            return null;
        }
        Double d = number(c);
        if (d == null || d != Math.rint(d) || d < 1 || d > Integer.MAX_VALUE) {
            error("invalid_value", p, "\"" + field + "\" must be a positive integer");
            return null;
        }
        return d.intValue();
    }

    @Nullable
    private List<Pred> predList(JsonNode n, String ptr, String field, int depth) {
        JsonNode arr = n.get(field);
        String p = Pointer.child(ptr, field);
        if (arr == null || arr.isNull()) {
            error("missing_field", p, "\"" + field + "\" is required");
            return null;
        }
        if (!arr.isArray() || arr.isEmpty()) {
            error("wrong_type", p, "\"" + field + "\" must be a non-empty array of predicates");
            return null;
        }
        List<Pred> out = new ArrayList<>();
        boolean failed = false;
        for (int i = 0; i < arr.size(); i++) {
            Pred x = pred(arr.get(i), Pointer.child(p, i), depth + 1);
            failed |= x == null;
            out.add(x);
        }
        return failed ? null : List.copyOf(out);
    }

    @Nullable
    private Pred required(JsonNode n, String ptr, String field, int depth) {
        JsonNode c = n.get(field);
        if (c == null || c.isNull()) {
            error("missing_field", Pointer.child(ptr, field), "\"" + field + "\" is required");
            return null;
        }
        return pred(c, Pointer.child(ptr, field), depth + 1);
    }

    @Nullable
    private Val val(@Nullable JsonNode n, String ptr) {
        if (n == null || n.isNull()) {
            error("missing_field", ptr, "\"val\" is required");
            return null;
        }
        if (n.isTextual()) {
            // Tolerated shorthand: "val": "variables/x".
            return attr(n.textValue(), ptr);
        }
        if (!n.isObject()) {
            error("wrong_type", ptr, "\"val\" is {\"func\":\"attr\",\"name\":\"variables/...\"}");
            return null;
        }
        String func = reqText(n, ptr, "func");
        if (func == null) {
            return null;
        }
        switch (func) {
            case "attr":
                {
                    knownFields(n, ptr, "func", "name", "description");
                    String name = reqText(n, ptr, "name");
                    return name == null ? null : attr(name, Pointer.child(ptr, "name"));
                }
            case "total":
                {
                    knownFields(n, ptr, "func", "evt", "description");
                    String evt = event(n.get("evt"), Pointer.child(ptr, "evt"));
                    return evt == null ? null : new Val.Total(evt);
                }
            case "total-distinct":
                {
                    knownFields(n, ptr, "func", "field", "description");
                    JsonNode f = n.get("field");
                    String fptr = Pointer.child(ptr, "field");
                    if (f == null || f.isNull()) {
                        error("missing_field", fptr, "\"field\" is required");
                        return null;
                    }
                    Val a =
                            f.isObject()
                                    ? val(f, fptr)
                                    : f.isTextual() ? attr(f.textValue(), fptr) : null;
                    if (!(a instanceof Val.Attr attr) || !attr.isDimension()) {
                        if (a != null || !f.isObject()) {
                            error(
                                    "invalid_value",
                                    fptr,
                                    "total-distinct counts the values of a variables/ attribute");
                        }
                        return null;
                    }
                    return new Val.TotalDistinct(attr.name());
                }
            default:
                unknownFunction(ptr, func, List.of("attr", "total", "total-distinct"));
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
        error(
                "invalid_value",
                ptr,
                "an attribute name starts with \"variables/\" (a dimension) or \"metrics/\" (an"
                        + " aggregate), got \""
                        + name
                        + "\"");
        return null;
    }

    /** {@code {"func":"event","name":"metrics/x"}} (or a bare name) to {@code x}. */
    @Nullable
    private String event(@Nullable JsonNode n, String ptr) {
        if (n == null || n.isNull()) {
            error("missing_field", ptr, "\"evt\" is required");
            return null;
        }
        String name;
        if (n.isTextual()) {
            name = n.textValue();
        } else if (n.isObject()) {
            knownFields(n, ptr, "func", "name", "description");
            String func = optText(n, ptr, "func");
            if (func != null && !func.equals("event")) {
                unknownFunction(ptr, func, List.of("event"));
                return null;
            }
            name = reqText(n, ptr, "name");
            if (name == null) {
                return null;
            }
        } else {
            error("wrong_type", ptr, "\"evt\" is {\"func\":\"event\",\"name\":\"metrics/...\"}");
            return null;
        }
        if (name.startsWith(Attributes.METRICS)) {
            name = Attributes.metric(name);
        }
        if (name.isEmpty()) {
            error("invalid_value", ptr, "the event name is empty");
            return null;
        }
        return name;
    }

    @Nullable
    private Pred compare(JsonNode n, String ptr, Op op, @Nullable String desc) {
        Val val = val(n.get("val"), Pointer.child(ptr, "val"));
        switch (op.arg()) {
            case STR:
                {
                    knownFields(n, ptr, "func", "val", "str", "description");
                    String s = scalarText(n, ptr, "str");
                    return val == null || s == null
                            ? null
                            : new Pred.Compare(op, val, s, null, null, null, null, null, desc);
                }
            case GLOB:
                {
                    knownFields(n, ptr, "func", "val", "glob", "str", "description");
                    String s =
                            n.has("glob") ? scalarText(n, ptr, "glob") : scalarText(n, ptr, "str");
                    return val == null || s == null
                            ? null
                            : new Pred.Compare(op, val, s, null, null, null, null, null, desc);
                }
            case STR_LIST:
                {
                    knownFields(n, ptr, "func", "val", "list", "description");
                    List<String> list = stringList(n, ptr);
                    return val == null || list == null
                            ? null
                            : new Pred.Compare(op, val, null, list, null, null, null, null, desc);
                }
            case NUM:
                {
                    knownFields(n, ptr, "func", "val", "num", "description");
                    Double d = reqNumber(n, ptr, "num");
                    return val == null || d == null
                            ? null
                            : new Pred.Compare(op, val, null, null, d, null, null, null, desc);
                }
            case NUM_LIST:
                {
                    knownFields(n, ptr, "func", "val", "list", "description");
                    List<Double> list = numberList(n, ptr);
                    return val == null || list == null
                            ? null
                            : new Pred.Compare(op, val, null, null, null, list, null, null, desc);
                }
            case RANGE:
            default:
                {
                    knownFields(n, ptr, "func", "val", "low", "high", "description");
                    boolean bad = false;
                    Double low = null;
                    Double high = null;
                    JsonNode l = n.get("low");
                    if (l != null && !l.isNull()) {
                        low = number(l);
                        bad |= low == null;
                        if (low == null) {
                            error(
                                    "wrong_type",
                                    Pointer.child(ptr, "low"),
                                    "\"low\" is a number or null");
                        }
                    }
                    JsonNode h = n.get("high");
                    if (h != null && !h.isNull()) {
                        high = number(h);
                        bad |= high == null;
                        if (high == null) {
                            error(
                                    "wrong_type",
                                    Pointer.child(ptr, "high"),
                                    "\"high\" is a number or null");
                        }
                    }
                    if (!bad && low == null && high == null) {
                        error("invalid_value", ptr, "a range needs \"low\", \"high\" or both");
                        bad = true;
                    }
                    if (!bad && low != null && high != null && low > high) {
                        error("invalid_value", ptr, "range low " + low + " is above high " + high);
                        bad = true;
                    }
                    return val == null || bad
                            ? null
                            : new Pred.Compare(op, val, null, null, null, null, low, high, desc);
                }
        }
    }

    @Nullable
    private Pred sequence(
            JsonNode n, String ptr, int depth, Pred.SequenceKind kind, @Nullable String desc) {
        knownFields(n, ptr, "func", "stream", "context", "description");
        JsonNode arr = n.get("stream");
        String sp = Pointer.child(ptr, "stream");
        if (arr == null || !arr.isArray() || arr.isEmpty()) {
            error("missing_field", sp, "a sequence needs a non-empty \"stream\" array");
            return null;
        }
        List<SeqItem> items = new ArrayList<>();
        boolean failed = false;
        for (int i = 0; i < arr.size(); i++) {
            SeqItem item = seqItem(arr.get(i), Pointer.child(sp, i), depth + 1);
            failed |= item == null;
            items.add(item);
        }
        if (failed) {
            return null;
        }
        if (!streamShapeOk(items, sp)) {
            return null;
        }
        return new Pred.Sequence(kind, List.copyOf(items), desc);
    }

    /** Restrictions sit between checkpoints; an exclusion precedes a checkpoint it excludes. */
    private boolean streamShapeOk(List<SeqItem> items, String sp) {
        boolean ok = true;
        boolean sawStep = false;
        for (int i = 0; i < items.size(); i++) {
            SeqItem it = items.get(i);
            boolean restriction = isRestriction(it);
            if (restriction && !sawStep) {
                error(
                        "misplaced_restriction",
                        Pointer.child(sp, i),
                        "a restriction must follow a checkpoint: it limits the gap to the next one");
                ok = false;
            }
            if (restriction && (i + 1 >= items.size() || !isCheckpointLike(items, i + 1))) {
                error(
                        "misplaced_restriction",
                        Pointer.child(sp, i),
                        "a restriction must be followed by a checkpoint");
                ok = false;
            }
            if (it instanceof SeqItem.ExcludeNext) {
                if (i + 1 >= items.size() || !(items.get(i + 1) instanceof SeqItem.Checkpoint)) {
                    error(
                            "misplaced_exclusion",
                            Pointer.child(sp, i),
                            "exclude-next-checkpoint must be followed by a checkpoint");
                    ok = false;
                }
            }
            boolean excluded = i > 0 && items.get(i - 1) instanceof SeqItem.ExcludeNext;
            if ((it instanceof SeqItem.Checkpoint || it instanceof SeqItem.Group) && !excluded) {
                sawStep = true;
            }
        }
        if (ok && !sawStep) {
            error(
                    "invalid_value",
                    sp,
                    "a sequence needs at least one checkpoint that is not excluded");
            ok = false;
        }
        return ok;
    }

    private static boolean isCheckpointLike(List<SeqItem> items, int i) {
        SeqItem it = items.get(i);
        return it instanceof SeqItem.Checkpoint
                || it instanceof SeqItem.Group
                || it instanceof SeqItem.ExcludeNext
                || isRestriction(it);
    }

    static boolean isRestriction(SeqItem it) {
        return it instanceof SeqItem.TimeRestriction
                || it instanceof SeqItem.ContainerRestriction
                || it instanceof SeqItem.DimensionRestriction;
    }

    @Nullable
    private SeqItem seqItem(@Nullable JsonNode n, String ptr, int depth) {
        if (n == null || !n.isObject()) {
            error("wrong_type", ptr, "a stream element is an object with a \"func\"");
            return null;
        }
        String func = reqText(n, ptr, "func");
        if (func == null) {
            return null;
        }
        String desc = optText(n, ptr, "description");
        switch (func) {
            case "sequence-and":
            case "sequence-or":
                {
                    knownFields(n, ptr, "func", "checkpoints", "description");
                    List<Pred> cps = predList(n, ptr, "checkpoints", depth);
                    return cps == null
                            ? null
                            : new SeqItem.Group(func.equals("sequence-and"), cps, desc);
                }
            case "exclude-next-checkpoint":
                knownFields(n, ptr, "func", "description");
                return new SeqItem.ExcludeNext(desc);
            case "time-restriction":
                {
                    knownFields(n, ptr, "func", "limit", "count", "unit", "description");
                    SeqItem.Limit limit = limit(n, ptr);
                    Integer count = positiveInt(n, ptr, "count");
                    TimeUnit unit = unit(n, ptr);
                    return limit == null || count == null || unit == null
                            ? null
                            : new SeqItem.TimeRestriction(limit, count, unit, desc);
                }
            case "container-restriction":
                {
                    knownFields(n, ptr, "func", "limit", "count", "context", "description");
                    SeqItem.Limit limit = limit(n, ptr);
                    Integer count = positiveInt(n, ptr, "count");
                    String c = reqText(n, ptr, "context");
                    Context ctx = c == null ? null : Context.fromJson(c).orElse(null);
                    if (c != null && (ctx == null || ctx == Context.VISITORS)) {
                        error(
                                "invalid_value",
                                Pointer.child(ptr, "context"),
                                "a container restriction counts \"hits\" or \"visits\"");
                        return null;
                    }
                    return limit == null || count == null || ctx == null
                            ? null
                            : new SeqItem.ContainerRestriction(limit, count, ctx, desc);
                }
            case "dimension-restriction":
                {
                    knownFields(n, ptr, "func", "limit", "count", "attr", "val", "description");
                    SeqItem.Limit limit = limit(n, ptr);
                    Integer count = positiveInt(n, ptr, "count");
                    String field = n.has("attr") ? "attr" : "val";
                    Val v = val(n.get(field), Pointer.child(ptr, field));
                    if (v != null && !(v instanceof Val.Attr a && a.isDimension())) {
                        error(
                                "invalid_value",
                                Pointer.child(ptr, field),
                                "a dimension restriction counts changes of a variables/ attribute");
                        return null;
                    }
                    return limit == null || count == null || v == null
                            ? null
                            : new SeqItem.DimensionRestriction(
                                    limit, count, ((Val.Attr) v).name(), desc);
                }
            default:
                if (LOGICAL.contains(func) || Op.fromJson(func).isPresent()) {
                    Pred p = pred(n, ptr, depth);
                    return p == null ? null : new SeqItem.Checkpoint(p);
                }
                Set<String> candidates = new LinkedHashSet<>(STREAM_ONLY);
                candidates.addAll(functionNames());
                unknownFunction(ptr, func, candidates);
                return null;
        }
    }

    private SeqItem.@Nullable Limit limit(JsonNode n, String ptr) {
        String l = reqText(n, ptr, "limit");
        if (l == null) {
            return null;
        }
        return switch (l) {
            case "within" -> SeqItem.Limit.WITHIN;
            case "after" -> SeqItem.Limit.AFTER;
            default -> {
                error(
                        "invalid_value",
                        Pointer.child(ptr, "limit"),
                        "limit is \"within\" or \"after\", got \"" + l + "\"");
                yield null;
            }
        };
    }

    // ---- scalars -------------------------------------------------------------------------

    @Nullable
    private static Double number(JsonNode n) {
        if (n.isNumber()) {
            double d = n.doubleValue();
            return Double.isFinite(d) ? d : null;
        }
        if (n.isTextual()) {
            try {
                double d = Double.parseDouble(n.textValue().trim());
                return Double.isFinite(d) ? d : null;
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return null;
    }

    @Nullable
    private Double reqNumber(JsonNode n, String ptr, String field) {
        JsonNode c = n.get(field);
        String p = Pointer.child(ptr, field);
        if (c == null || c.isNull()) {
            error("missing_field", p, "\"" + field + "\" is required");
            return null;
        }
        Double d = number(c);
        if (d == null) {
            error("wrong_type", p, "\"" + field + "\" must be a number (or a numeric string)");
        }
        return d;
    }

    @Nullable
    private String scalarText(JsonNode n, String ptr, String field) {
        JsonNode c = n.get(field);
        String p = Pointer.child(ptr, field);
        if (c == null || c.isNull()) {
            error("missing_field", p, "\"" + field + "\" is required");
            return null;
        }
        if (c.isTextual()) {
            return c.textValue();
        }
        if (c.isNumber() || c.isBoolean()) {
            return c.asText();
        }
        error("wrong_type", p, "\"" + field + "\" must be a string");
        return null;
    }

    @Nullable
    private List<String> stringList(JsonNode n, String ptr) {
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
            out.add(e.asText());
        }
        return List.copyOf(out);
    }

    @Nullable
    private List<Double> numberList(JsonNode n, String ptr) {
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

    @Nullable
    private String reqText(JsonNode n, String ptr, String field) {
        JsonNode c = n.get(field);
        String p = Pointer.child(ptr, field);
        if (c == null || c.isNull()) {
            error("missing_field", p, "\"" + field + "\" is required");
            return null;
        }
        if (!c.isTextual()) {
            error("wrong_type", p, "\"" + field + "\" must be a string");
            return null;
        }
        return c.textValue();
    }

    @Nullable
    private String optText(JsonNode n, String ptr, String field) {
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

    private void knownFields(JsonNode n, String ptr, String... known) {
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

    private void unknownFunction(String ptr, String func, Iterable<String> candidates) {
        String hint =
                Suggestions.closest(func, candidates)
                        .map(s -> "; did you mean \"" + s + "\"?")
                        .orElse("");
        error(
                "unknown_function",
                Pointer.child(ptr, "func"),
                "unknown function \"" + func + "\"" + hint);
    }

    private void error(String code, String ptr, String message) {
        problems.add(Problem.error(code, ptr, message));
    }
}
