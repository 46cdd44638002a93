package io.cohortflow.core.definition;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Writes the one canonical JSON form of a definition: {@code segment-def} and {@code container}
 * spellings, {@code eq-in} for {@code eq-any-of}, numbers as numbers, fields in a fixed order.
 * {@code DefinitionParser.parse(write(d))} equals {@code d}.
 */
public final class DefinitionWriter {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private DefinitionWriter() {}

    public static ObjectNode write(Definition d) {
        ObjectNode o = F.objectNode();
        o.put("func", "segment-def");
        ArrayNode v = o.putArray("version");
        d.version().forEach(v::add);
        o.set("container", pred(d.container()));
        describe(o, d.description());
        return o;
    }

    public static ObjectNode pred(Pred p) {
        ObjectNode o = F.objectNode();
        if (p instanceof Pred.Container c) {
            o.put("func", "container");
            o.put("context", c.context().json());
            if (c.window() != null) {
                ObjectNode w = o.putObject("window");
                w.put("count", c.window().count());
                w.put("unit", c.window().unit().json());
            }
            if (c.atLeast() != 1) {
                o.put("at_least", c.atLeast());
            }
            o.set("pred", pred(c.pred()));
        } else if (p instanceof Pred.And a) {
            o.put("func", "and");
            o.set("preds", preds(a.preds()));
        } else if (p instanceof Pred.Or a) {
            o.put("func", "or");
            o.set("preds", preds(a.preds()));
        } else if (p instanceof Pred.Not n) {
            o.put("func", "not");
            o.set("pred", pred(n.pred()));
        } else if (p instanceof Pred.Without n) {
            o.put("func", "without");
            o.set("pred", pred(n.pred()));
        } else if (p instanceof Pred.SegmentRef r) {
            o.put("func", "segment-ref");
            o.put("id", r.id());
        } else if (p instanceof Pred.Exists e) {
            o.put("func", e.negated() ? "not-exists" : "exists");
            o.set("val", val(e.val()));
        } else if (p instanceof Pred.EventExists e) {
            o.put("func", e.negated() ? "not-event-exists" : "event-exists");
            o.set("evt", event(e.event()));
        } else if (p instanceof Pred.Compare c) {
            compare(o, c);
        } else if (p instanceof Pred.Sequence s) {
            o.put("func", s.kind().json());
            ArrayNode arr = o.putArray("stream");
            for (SeqItem it : s.stream()) {
                arr.add(item(it));
            }
        }
        describe(o, p.description());
        return o;
    }

    private static void compare(ObjectNode o, Pred.Compare c) {
        o.put("func", c.op().json());
        o.set("val", val(c.val()));
        switch (c.op().arg()) {
            case STR -> o.put("str", c.str());
            case GLOB -> o.put("glob", c.str());
            case STR_LIST -> {
                ArrayNode l = o.putArray("list");
                c.strs().forEach(l::add);
            }
            case NUM -> o.set("num", number(c.num()));
            case NUM_LIST -> {
                ArrayNode l = o.putArray("list");
                c.nums().forEach(n -> l.add(number(n)));
            }
            case RANGE -> {
                o.set("low", number(c.low()));
                o.set("high", number(c.high()));
            }
        }
    }

    private static ObjectNode item(SeqItem it) {
        if (it instanceof SeqItem.Checkpoint c) {
            return pred(c.pred());
        }
        ObjectNode o = F.objectNode();
        if (it instanceof SeqItem.Group g) {
            o.put("func", g.all() ? "sequence-and" : "sequence-or");
            o.set("checkpoints", preds(g.checkpoints()));
            describe(o, g.description());
        } else if (it instanceof SeqItem.ExcludeNext e) {
            o.put("func", "exclude-next-checkpoint");
            describe(o, e.description());
        } else if (it instanceof SeqItem.TimeRestriction t) {
            o.put("func", "time-restriction");
            o.put("limit", t.limit().json());
            o.put("count", t.count());
            o.put("unit", t.unit().json());
            describe(o, t.description());
        } else if (it instanceof SeqItem.ContainerRestriction t) {
            o.put("func", "container-restriction");
            o.put("limit", t.limit().json());
            o.put("count", t.count());
            o.put("context", t.context().json());
            describe(o, t.description());
        } else if (it instanceof SeqItem.DimensionRestriction t) {
            o.put("func", "dimension-restriction");
            o.put("limit", t.limit().json());
            o.put("count", t.count());
            o.set("attr", val(new Val.Attr(t.attr())));
            describe(o, t.description());
        }
        return o;
    }

    private static ObjectNode val(Val v) {
        ObjectNode o = F.objectNode();
        if (v instanceof Val.Attr a) {
            o.put("func", "attr");
            o.put("name", a.name());
        } else if (v instanceof Val.Total t) {
            o.put("func", "total");
            o.set("evt", event(t.metric()));
        } else if (v instanceof Val.TotalDistinct t) {
            o.put("func", "total-distinct");
            o.set("field", val(new Val.Attr(t.field())));
        }
        return o;
    }

    private static ObjectNode event(String name) {
        ObjectNode o = F.objectNode();
        o.put("func", "event");
        o.put("name", Attributes.METRICS + name);
        return o;
    }

    private static ArrayNode preds(List<Pred> ps) {
        ArrayNode arr = F.arrayNode();
        ps.forEach(p -> arr.add(pred(p)));
        return arr;
    }

    /** Integral values as integers, so 500 is written 500 and not 500.0. */
    private static JsonNode number(@Nullable Double d) {
        if (d == null) {
            return F.nullNode();
        }
        if (d == Math.rint(d) && Math.abs(d) < 1e15) {
            return F.numberNode(d.longValue());
        }
        return F.numberNode(d);
    }

    private static void describe(ObjectNode o, @Nullable String description) {
        if (description != null) {
            o.put("description", description);
        }
    }
}
