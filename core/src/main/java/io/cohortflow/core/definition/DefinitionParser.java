package io.cohortflow.core.definition;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The tolerant parser: accepts the spellings Adobe's documents use ({@code segment-def} or {@code
 * segment} envelopes, {@code container} or {@code segment} containers, {@code eq-any-of}, numeric
 * strings for numbers, singular or plural units) and produces the typed tree. It never throws on
 * bad input: every problem becomes a {@link Problem} with a JSON pointer. Fields are read by {@link
 * JsonFields}, values, event names and comparisons by {@link LeafParser}, a sequence's stream by
 * {@link StreamParser}; this class reads the definition's tree of containers and logic.
 */
public final class DefinitionParser {

    /**
     * Nesting beyond this is rejected before recursing, so hostile input cannot overflow the stack.
     * The configurable (and much lower) complexity guardrail is the validator's.
     */
    public static final int HARD_DEPTH_LIMIT = 200;

    /** The code of the problem reported past {@link #HARD_DEPTH_LIMIT}. */
    public static final String TOO_DEEP = "nesting_too_deep";

    static final Set<String> LOGICAL =
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

    static final Set<String> STREAM_ONLY =
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
    private final JsonFields fields = new JsonFields(problems);
    private final LeafParser leaves = new LeafParser(fields);
    private final StreamParser streams = new StreamParser(this, leaves, fields);

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
            fields.error("wrong_type", "", "a definition is a JSON object with a \"container\"");
            return null;
        }
        fields.knownFields(root, "", "func", "version", "container", "description");
        String func = fields.optText(root, "", "func");
        if (func != null && !func.equals("segment-def") && !func.equals("segment")) {
            fields.unknownFunction("", func, Set.of("segment-def", "segment"));
        }
        List<Integer> version = Definition.CURRENT_VERSION;
        JsonNode v = root.get("version");
        if (v != null && !v.isNull()) {
            version = version(v);
        }
        JsonNode c = root.get("container");
        if (c == null || c.isNull()) {
            fields.error("missing_field", "/container", "a definition needs a \"container\"");
            return null;
        }
        Pred p = pred(c, "/container", 0);
        if (p != null && !(p instanceof Pred.Container)) {
            fields.error(
                    "wrong_type",
                    "/container",
                    "the top of a definition must be a container with a context");
            return null;
        }
        if (p == null || version == null) {
            return null;
        }
        return new Definition((Pred.Container) p, version, fields.optText(root, "", "description"));
    }

    @Nullable
    private List<Integer> version(JsonNode v) {
        if (!v.isArray() || v.isEmpty()) {
            fields.error(
                    "wrong_type",
                    "/version",
                    "\"version\" is an array of integers such as [1,0,0]");
            return null;
        }
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            if (!v.get(i).canConvertToInt() || !v.get(i).isIntegralNumber()) {
                fields.error("wrong_type", "/version/" + i, "version parts are integers");
                return null;
            }
            out.add(v.get(i).intValue());
        }
        if (out.get(0) != 1) {
            fields.error(
                    "unsupported_version",
                    "/version",
                    "only definition language version 1 is supported, got " + out);
            return null;
        }
        return List.copyOf(out);
    }

    @Nullable Pred pred(@Nullable JsonNode n, String ptr, int depth) {
        if (depth > HARD_DEPTH_LIMIT) {
            fields.error(
                    TOO_DEEP, ptr, "definitions nest at most " + HARD_DEPTH_LIMIT + " levels deep");
            return null;
        }
        String func = fields.func(n, ptr, "expected a predicate object with a \"func\"");
        if (func == null) {
            return null;
        }
        String desc = fields.optText(n, ptr, "description");
        switch (func) {
            case "container":
            case "segment":
                return container(n, ptr, depth, desc);
            case "and":
            case "or":
                {
                    fields.knownFields(n, ptr, "func", "preds", "description");
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
                    fields.knownFields(n, ptr, "func", "pred", "description");
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
                    fields.knownFields(n, ptr, "func", "id", "description");
                    String id = fields.reqText(n, ptr, "id");
                    return id == null ? null : new Pred.SegmentRef(id, desc);
                }
            case "exists":
            case "not-exists":
                {
                    fields.knownFields(n, ptr, "func", "val", "description");
                    Val val = leaves.val(n.get("val"), Pointer.child(ptr, "val"));
                    return val == null
                            ? null
                            : new Pred.Exists(val, func.equals("not-exists"), desc);
                }
            case "event-exists":
            case "not-event-exists":
                {
                    fields.knownFields(n, ptr, "func", "evt", "description");
                    String evt = leaves.event(n.get("evt"), Pointer.child(ptr, "evt"));
                    return evt == null
                            ? null
                            : new Pred.EventExists(evt, func.equals("not-event-exists"), desc);
                }
            case "sequence":
                return streams.sequence(n, ptr, depth, Pred.SequenceKind.SEQUENCE, desc);
            case "sequence-prefix":
                return streams.sequence(n, ptr, depth, Pred.SequenceKind.PREFIX, desc);
            case "sequence-suffix":
                return streams.sequence(n, ptr, depth, Pred.SequenceKind.SUFFIX, desc);
            default:
                {
                    var op = Op.fromJson(func);
                    if (op.isPresent()) {
                        return leaves.compare(n, ptr, op.get(), desc);
                    }
                    if (STREAM_ONLY.contains(func)) {
                        fields.error(
                                "misplaced_function",
                                Pointer.child(ptr, "func"),
                                "\"" + func + "\" may only appear in a sequence's \"stream\"");
                        return null;
                    }
                    fields.unknownFunction(ptr, func, functionNames());
                    return null;
                }
        }
    }

    @Nullable
    private Pred container(JsonNode n, String ptr, int depth, @Nullable String desc) {
        fields.knownFields(n, ptr, "func", "context", "pred", "window", "at_least", "description");
        String ctxText = fields.reqText(n, ptr, "context");
        Context ctx = null;
        if (ctxText != null) {
            ctx = Context.fromJson(ctxText).orElse(null);
            if (ctx == null) {
                String hint =
                        Suggestions.closest(ctxText, List.of("hits", "visits", "visitors"))
                                .map(s -> "; did you mean \"" + s + "\"?")
                                .orElse("");
                fields.error(
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
            Integer v = fields.positiveInt(n, ptr, "at_least");
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
            fields.error("wrong_type", ptr, "a window is {\"count\": N, \"unit\": \"day\"}");
            return null;
        }
        fields.knownFields(w, ptr, "count", "unit");
        Integer count = fields.positiveInt(w, ptr, "count");
        TimeUnit unit = fields.unit(w, ptr);
        return count == null || unit == null ? null : new Window(count, unit);
    }

    @Nullable List<Pred> predList(JsonNode n, String ptr, String field, int depth) {
        JsonNode arr = fields.required(n, ptr, field);
        if (arr == null) {
            return null;
        }
        String p = Pointer.child(ptr, field);
        if (!arr.isArray() || arr.isEmpty()) {
            fields.error(
                    "wrong_type", p, "\"" + field + "\" must be a non-empty array of predicates");
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
        JsonNode c = fields.required(n, ptr, field);
        return c == null ? null : pred(c, Pointer.child(ptr, field), depth + 1);
    }
}
