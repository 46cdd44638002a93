package io.cohortflow.core.definition;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The parser's reading of a sequence's {@code stream}: its checkpoints (predicates, read by the
 * {@link DefinitionParser} it belongs to), groups, exclusions and restrictions, and the rules of
 * their order (a restriction between two checkpoints, an exclusion before the checkpoint it
 * excludes, at least one checkpoint that is not excluded).
 */
final class StreamParser {
    private final DefinitionParser parser;
    private final LeafParser leaves;
    private final JsonFields fields;

    StreamParser(DefinitionParser parser, LeafParser leaves, JsonFields fields) {
        this.parser = parser;
        this.leaves = leaves;
        this.fields = fields;
    }

    /** A {@code sequence}, {@code sequence-prefix} or {@code sequence-suffix} ({@code kind}). */
    @Nullable Pred sequence(
            JsonNode n, String ptr, int depth, Pred.SequenceKind kind, @Nullable String desc) {
        fields.knownFields(n, ptr, "func", "stream", "context", "description");
        if (n.has("context")) {
            // Adobe's sequence carries the context of the hits it returns (a report's rows, e.g.
            // "only the hits after the sequence"); a membership has no rows to return.
            fields.warn(
                    "ignored_field",
                    Pointer.child(ptr, "context"),
                    "a sequence's \"context\" chooses the hits a report returns; a membership"
                            + " does not depend on it, so it is ignored");
        }
        JsonNode arr = n.get("stream");
        String sp = Pointer.child(ptr, "stream");
        if (arr == null || !arr.isArray() || arr.isEmpty()) {
            fields.error("missing_field", sp, "a sequence needs a non-empty \"stream\" array");
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

    /**
     * The most restrictions between two steps: a within and an after of each kind. Each one is
     * checked for every pair of places the two steps can take, so hundreds in one gap (they fit in
     * a request) made one user's evaluation take seconds.
     */
    static final int MAX_RESTRICTIONS_PER_GAP = 6;

    /** Restrictions sit between checkpoints; an exclusion precedes a checkpoint it excludes. */
    private boolean streamShapeOk(List<SeqItem> items, String sp) {
        boolean ok = true;
        boolean sawStep = false;
        int inGap = 0;
        for (int i = 0; i < items.size(); i++) {
            SeqItem it = items.get(i);
            boolean restriction = isRestriction(it);
            boolean excludedHere = i > 0 && items.get(i - 1) instanceof SeqItem.ExcludeNext;
            if (restriction) {
                inGap++;
            } else if (!(it instanceof SeqItem.ExcludeNext) && !excludedHere) {
                inGap = 0; // a step: the next gap begins
            }
            if (inGap == MAX_RESTRICTIONS_PER_GAP + 1) {
                fields.error(
                        "too_many_restrictions",
                        Pointer.child(sp, i),
                        "at most "
                                + MAX_RESTRICTIONS_PER_GAP
                                + " restrictions between two steps (a within and an after of each"
                                + " kind)");
                ok = false;
            }
            if (restriction && !sawStep) {
                fields.error(
                        "misplaced_restriction",
                        Pointer.child(sp, i),
                        "a restriction must follow a checkpoint: it limits the gap to the next one");
                ok = false;
            }
            if (restriction && !stepFollows(items, i + 1)) {
                // Before only an excluded checkpoint at the end there is no gap to limit: the
                // restriction would be accepted and mean nothing.
                fields.error(
                        "misplaced_restriction",
                        Pointer.child(sp, i),
                        "a restriction must be followed by a checkpoint that is not excluded: it"
                                + " limits the gap to it");
                ok = false;
            }
            if (it instanceof SeqItem.ExcludeNext) {
                if (i + 1 >= items.size() || !(items.get(i + 1) instanceof SeqItem.Checkpoint)) {
                    fields.error(
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
            fields.error(
                    "invalid_value",
                    sp,
                    "a sequence needs at least one checkpoint that is not excluded");
            ok = false;
        }
        return ok;
    }

    /**
     * Whether a step (a checkpoint that is not excluded, or a group) comes at or after {@code i},
     * past restrictions and excluded checkpoints only.
     */
    private static boolean stepFollows(List<SeqItem> items, int i) {
        for (int j = i; j < items.size(); j++) {
            SeqItem it = items.get(j);
            if (it instanceof SeqItem.ExcludeNext) {
                j++; // the excluded checkpoint
            } else if (it instanceof SeqItem.Checkpoint || it instanceof SeqItem.Group) {
                return true;
            } else if (!isRestriction(it)) {
                return false;
            }
        }
        return false;
    }

    static boolean isRestriction(SeqItem it) {
        return it instanceof SeqItem.TimeRestriction
                || it instanceof SeqItem.ContainerRestriction
                || it instanceof SeqItem.DimensionRestriction;
    }

    @Nullable
    private SeqItem seqItem(@Nullable JsonNode n, String ptr, int depth) {
        String func = fields.func(n, ptr, "a stream element is an object with a \"func\"");
        if (func == null) {
            return null;
        }
        String desc = fields.optText(n, ptr, "description");
        switch (func) {
            case "sequence-and":
            case "sequence-or":
                {
                    fields.knownFields(n, ptr, "func", "checkpoints", "description");
                    List<Pred> cps = parser.predList(n, ptr, "checkpoints", depth);
                    return cps == null
                            ? null
                            : new SeqItem.Group(func.equals("sequence-and"), cps, desc);
                }
            case "exclude-next-checkpoint":
                fields.knownFields(n, ptr, "func", "description");
                return new SeqItem.ExcludeNext(desc);
            case "time-restriction":
                {
                    fields.knownFields(n, ptr, "func", "limit", "count", "unit", "description");
                    SeqItem.Limit limit = limit(n, ptr);
                    Integer count = fields.positiveInt(n, ptr, "count");
                    TimeUnit unit = fields.unit(n, ptr);
                    return limit == null || count == null || unit == null
                            ? null
                            : new SeqItem.TimeRestriction(limit, count, unit, desc);
                }
            case "container-restriction":
                {
                    fields.knownFields(n, ptr, "func", "limit", "count", "context", "description");
                    SeqItem.Limit limit = limit(n, ptr);
                    Integer count = fields.positiveInt(n, ptr, "count");
                    String c = fields.reqText(n, ptr, "context");
                    Context ctx = c == null ? null : Context.fromJson(c).orElse(null);
                    if (c != null && (ctx == null || ctx == Context.VISITORS)) {
                        fields.error(
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
                    fields.knownFields(
                            n, ptr, "func", "limit", "count", "attr", "val", "description");
                    SeqItem.Limit limit = limit(n, ptr);
                    Integer count = fields.positiveInt(n, ptr, "count");
                    String field = n.has("attr") ? "attr" : "val";
                    Val v = leaves.val(n.get(field), Pointer.child(ptr, field));
                    if (v != null && !(v instanceof Val.Attr a && a.isDimension())) {
                        fields.error(
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
                if (DefinitionParser.LOGICAL.contains(func) || Op.fromJson(func).isPresent()) {
                    Pred p = parser.pred(n, ptr, depth);
                    return p == null ? null : new SeqItem.Checkpoint(p);
                }
                Set<String> candidates = new LinkedHashSet<>(DefinitionParser.STREAM_ONLY);
                candidates.addAll(DefinitionParser.functionNames());
                fields.unknownFunction(ptr, func, candidates);
                return null;
        }
    }

    private SeqItem.@Nullable Limit limit(JsonNode n, String ptr) {
        String l = fields.reqText(n, ptr, "limit");
        if (l == null) {
            return null;
        }
        return switch (l) {
            case "within" -> SeqItem.Limit.WITHIN;
            case "after" -> SeqItem.Limit.AFTER;
            default -> {
                fields.error(
                        "invalid_value",
                        Pointer.child(ptr, "limit"),
                        "limit is \"within\" or \"after\", got \"" + l + "\"");
                yield null;
            }
        };
    }
}
