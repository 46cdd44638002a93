package io.cohortflow.core.eval;

import io.cohortflow.core.definition.Attributes;
import io.cohortflow.core.definition.Op;
import io.cohortflow.core.definition.Pred;
import io.cohortflow.core.definition.Val;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The {@link Anchor} of a hit predicate: the most selective condition on one dimension an event
 * must meet to satisfy it, by which the catalog indexes counters.
 */
final class Anchors {
    private Anchors() {}

    /**
     * The most selective necessary condition on one dimension for {@code p} to hold for a hit: an
     * equality (the event name first), else a numeric threshold, else the dimension's presence;
     * null when there is none (negations, for which an absent value qualifies).
     */
    @Nullable
    static Anchor of(Pred p) {
        Anchor both = equalityPair(p);
        if (both != null) {
            return both;
        }
        Anchor.Equals eq = equality(p);
        return eq != null ? eq : weaker(p);
    }

    /** Of the probe keys a pair of equalities may produce, the most the index takes. */
    private static final int MAX_PAIR_KEYS = 64;

    /**
     * Two equalities of an AND on different dimensions, the event name first, else the two with the
     * fewest values; null when there are not two, or they would make too many probe keys.
     */
    private static Anchor.@Nullable EqualsBoth equalityPair(Pred p) {
        if (p instanceof Pred.Container c && c.window() == null && c.atLeast() == 1) {
            return equalityPair(c.pred());
        }
        if (!(p instanceof Pred.And a)) {
            return null;
        }
        List<Anchor.Equals> atoms = new ArrayList<>();
        for (Pred x : a.preds()) {
            Anchor.Equals e = equality(x);
            if (e != null && atoms.stream().noneMatch(o -> o.path().equals(e.path()))) {
                atoms.add(e);
            }
        }
        if (atoms.size() < 2) {
            return null;
        }
        atoms.sort(
                java.util.Comparator.comparing(
                                (Anchor.Equals e) -> !e.path().equals(Attributes.NAME))
                        .thenComparingInt(e -> e.values().size()));
        Anchor.Equals first = atoms.get(0);
        Anchor.Equals second = atoms.get(1);
        if ((long) first.values().size() * second.values().size() > MAX_PAIR_KEYS) {
            return null;
        }
        return new Anchor.EqualsBoth(first, second);
    }

    /** An equality anchor: {@code streq}, {@code streq-in}, {@code event-exists}, or OR of them. */
    static Anchor.@Nullable Equals equality(Pred p) {
        if (p instanceof Pred.Compare c && !c.val().aggregate()) {
            String path = Attributes.dimension(((Val.Attr) c.val()).name());
            if (c.op() == Op.STREQ) {
                return new Anchor.Equals(path, Set.of(c.str()));
            }
            if (c.op() == Op.STREQ_IN) {
                return new Anchor.Equals(path, Set.copyOf(c.strs()));
            }
            return null;
        }
        if (p instanceof Pred.EventExists x && !x.negated()) {
            return new Anchor.Equals(Attributes.NAME, Set.of(x.event()));
        }
        if (p instanceof Pred.And a) {
            Anchor.Equals best = null;
            for (Pred x : a.preds()) {
                Anchor.Equals an = equality(x);
                if (an != null && (best == null || an.path().equals(Attributes.NAME))) {
                    best = an;
                }
            }
            return best;
        }
        if (p instanceof Pred.Or o) {
            String path = null;
            Set<String> values = new HashSet<>();
            for (Pred x : o.preds()) {
                Anchor.Equals an = equality(x);
                if (an == null || (path != null && !path.equals(an.path()))) {
                    return null;
                }
                path = an.path();
                values.addAll(an.values());
            }
            return new Anchor.Equals(path, Set.copyOf(values));
        }
        if (p instanceof Pred.Container c && c.window() == null && c.atLeast() == 1) {
            return equality(c.pred());
        }
        return null;
    }

    /**
     * A threshold or presence anchor: a positive comparison needs a value (a numeric one a number
     * past its bound), a positive {@code exists} a value. Of an AND, a threshold before presence.
     */
    @Nullable
    private static Anchor weaker(Pred p) {
        if (p instanceof Pred.Compare c && !c.val().aggregate()) {
            if (c.op().negationOf() != null) {
                return null; // an absent value satisfies a negated comparison
            }
            String path = Attributes.dimension(((Val.Attr) c.val()).name());
            Anchor threshold =
                    switch (c.op()) {
                        case GT -> new Anchor.Above(path, c.num(), false);
                        case GE, EQ -> new Anchor.Above(path, c.num(), true);
                        case LT -> new Anchor.Below(path, c.num(), false);
                        case LE -> new Anchor.Below(path, c.num(), true);
                        case RANGE ->
                                c.low() != null
                                        ? new Anchor.Above(path, c.low(), true)
                                        : c.high() != null
                                                ? new Anchor.Below(path, c.high(), true)
                                                : null;
                        default -> null;
                    };
            return threshold != null ? threshold : presence(path).orElse(null);
        }
        if (p instanceof Pred.Exists x && !x.val().aggregate() && !x.negated()) {
            return presence(Attributes.dimension(((Val.Attr) x.val()).name())).orElse(null);
        }
        if (p instanceof Pred.And a) {
            Anchor best = null;
            for (Pred x : a.preds()) {
                Anchor an = weaker(x);
                if (an != null && (best == null || best instanceof Anchor.Present)) {
                    best = an;
                }
            }
            return best;
        }
        if (p instanceof Pred.Container c && c.window() == null && c.atLeast() == 1) {
            return weaker(c.pred());
        }
        return null;
    }

    /** A presence anchor on {@code path}, or none where every event has it (the name). */
    static Optional<Anchor> presence(String path) {
        return path.equals(Attributes.NAME)
                ? Optional.empty()
                : Optional.of(new Anchor.Present(path));
    }
}
