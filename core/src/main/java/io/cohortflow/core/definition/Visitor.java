package io.cohortflow.core.definition;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Consumer;

/** Generic traversal of the predicate tree, including the checkpoints inside sequences. */
public final class Visitor {
    private Visitor() {}

    /** Calls {@code f} on {@code p} and on every predicate below it, parents first. */
    public static void walk(Pred p, Consumer<Pred> f) {
        f.accept(p);
        mapChildren(
                p,
                (child, field) -> {
                    walk(child, f);
                    return child;
                });
    }

    /**
     * Rebuilds {@code p} with each direct child predicate replaced by {@code f(child, pointer
     * suffix)}, where the suffix is the child's JSON pointer relative to {@code p}.
     */
    public static Pred mapChildren(Pred p, BiFunction<Pred, String, Pred> f) {
        if (p instanceof Pred.Container c) {
            return new Pred.Container(
                    c.context(),
                    f.apply(c.pred(), "/pred"),
                    c.window(),
                    c.atLeast(),
                    c.description());
        }
        if (p instanceof Pred.And a) {
            return new Pred.And(mapList(a.preds(), "/preds", f), a.description());
        }
        if (p instanceof Pred.Or o) {
            return new Pred.Or(mapList(o.preds(), "/preds", f), o.description());
        }
        if (p instanceof Pred.Not n) {
            return new Pred.Not(f.apply(n.pred(), "/pred"), n.description());
        }
        if (p instanceof Pred.Without w) {
            return new Pred.Without(f.apply(w.pred(), "/pred"), w.description());
        }
        if (p instanceof Pred.Sequence s) {
            List<SeqItem> items = new ArrayList<>(s.stream().size());
            for (int i = 0; i < s.stream().size(); i++) {
                SeqItem it = s.stream().get(i);
                String ptr = "/stream/" + i;
                if (it instanceof SeqItem.Checkpoint c) {
                    items.add(new SeqItem.Checkpoint(f.apply(c.pred(), ptr)));
                } else if (it instanceof SeqItem.Group g) {
                    items.add(
                            new SeqItem.Group(
                                    g.all(),
                                    mapList(g.checkpoints(), ptr + "/checkpoints", f),
                                    g.description()));
                } else {
                    items.add(it);
                }
            }
            return new Pred.Sequence(s.kind(), List.copyOf(items), s.description());
        }
        return p;
    }

    private static List<Pred> mapList(
            List<Pred> ps, String field, BiFunction<Pred, String, Pred> f) {
        List<Pred> out = new ArrayList<>(ps.size());
        for (int i = 0; i < ps.size(); i++) {
            out.add(f.apply(ps.get(i), field + "/" + i));
        }
        return List.copyOf(out);
    }
}
