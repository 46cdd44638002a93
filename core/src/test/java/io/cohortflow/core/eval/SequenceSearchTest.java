package io.cohortflow.core.eval;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.core.definition.Context;
import io.cohortflow.core.definition.Pred;
import io.cohortflow.core.definition.SeqItem;
import io.cohortflow.core.definition.TimeUnit;
import io.cohortflow.core.event.Event;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link SequenceMatcher}'s search by range answers as the plain exhaustive search does ({@link
 * ExhaustiveSequenceSearch}) on random units and sequences: every restriction, exclusions between
 * steps and at open ends, groups, visits whose hits interleave and hits out of time order (where
 * the search falls back to one candidate at a time). Both read the same checkpoints through the
 * same evaluator, so only the search differs.
 */
class SequenceSearchTest {

    private static final String[] NAMES = {"A", "B", "C", "X"};
    private static final long MINUTE = 60_000;

    @Test
    void the_search_by_range_answers_as_the_exhaustive_search() {
        Random random = new Random(20261205);
        ReferenceEvaluator eval = new ReferenceEvaluator(0);
        int matched = 0;
        Set<String> kinds = new java.util.HashSet<>();
        for (int run = 0; run < 15_000; run++) {
            List<Event> hits = hits(random);
            Pred.Sequence s = sequence(random, kinds);
            boolean expected = new ExhaustiveSequenceSearch(eval, s, hits).matches();
            SequenceMatcher matcher = new SequenceMatcher(eval, s, hits);
            boolean actual = matcher.matches();
            assertThat(actual).as("run %d: %s over %s", run, s, hits).isEqualTo(expected);
            if (actual) {
                matched++;
                // The explanation walks the match found: every step has its hits.
                assertThat(matcher.explainSteps(true)).allMatch(step -> step.matched() != null);
            }
        }
        // Neither answer dominates, and every kind of restriction and step was drawn.
        assertThat(matched).isBetween(1_500, 13_500);
        assertThat(kinds)
                .contains(
                        "time within",
                        "time after",
                        "hits within",
                        "hits after",
                        "visits within",
                        "visits after",
                        "changes within",
                        "changes after",
                        "exclusion",
                        "trailing exclusion",
                        "and",
                        "or",
                        "visit",
                        "prefix",
                        "suffix");
    }

    @Test
    void a_sequence_and_with_a_visit_among_its_members_answers_as_the_exhaustive_search() {
        // Its own search (a visit's occurrence ends after it starts), which the mix above reaches
        // rarely with a bound on both sides of the gap: here every sequence ends in one.
        Random random = new Random(20261206);
        ReferenceEvaluator eval = new ReferenceEvaluator(0);
        Set<String> kinds = new java.util.HashSet<>();
        int matched = 0;
        for (int run = 0; run < 6_000; run++) {
            List<Event> hits = hits(random);
            List<SeqItem> stream = new ArrayList<>();
            stream.add(new SeqItem.Checkpoint(checkpoint(random, kinds)));
            for (int r = 1 + random.nextInt(2); r > 0; r--) {
                stream.add(restriction(random, kinds));
            }
            if (random.nextInt(3) == 0) {
                stream.add(new SeqItem.ExcludeNext(null));
                stream.add(new SeqItem.Checkpoint(checkpoint(random, kinds)));
            }
            Pred visit =
                    new Pred.Container(
                            Context.VISITS,
                            new Pred.EventExists(NAMES[random.nextInt(NAMES.length)], false, null));
            stream.add(
                    new SeqItem.Group(
                            true,
                            random.nextBoolean()
                                    ? List.of(visit, checkpoint(random, kinds))
                                    : List.of(checkpoint(random, kinds), visit),
                            null));
            Pred.Sequence s =
                    new Pred.Sequence(Pred.SequenceKind.values()[random.nextInt(3)], stream, null);
            boolean expected = new ExhaustiveSequenceSearch(eval, s, hits).matches();
            SequenceMatcher matcher = new SequenceMatcher(eval, s, hits);
            assertThat(matcher.matches())
                    .as("run %d: %s over %s", run, s, hits)
                    .isEqualTo(expected);
            if (expected) {
                matched++;
                assertThat(matcher.explainSteps(true)).allMatch(step -> step.matched() != null);
            }
        }
        assertThat(matched).isBetween(600, 5_400);
    }

    @Test
    @Timeout(60)
    void a_restriction_that_never_holds_costs_a_pass_over_the_hits_not_one_per_pair() {
        // "any hit, after 100000 page changes, any hit" over 50 000 hits: the search per pair of
        // hits took minutes here; by range it is one binary search per candidate.
        assertThat(matchesAfterEndlessChanges(new SeqItem.Checkpoint(ANY), 50_000, false))
                .isFalse();
    }

    @Test
    @Timeout(60)
    void a_sequence_and_after_a_restriction_that_never_holds_is_no_search_per_pair_either() {
        // "any hit, after 100000 page changes, all of (any hit, any hit)" over 20 000 hits: the
        // search per candidate end, each with a scan for its start, took 67 s at 400 hits here.
        SeqItem both = new SeqItem.Group(true, List.of(ANY, ANY), null);
        assertThat(matchesAfterEndlessChanges(both, 20_000, false)).isFalse();
    }

    @Test
    @Timeout(60)
    void a_sequence_and_with_a_visit_after_a_restriction_that_never_holds_neither() {
        // The same with a visit among the members and every hit a visit of its own: 24 s for 300
        // hits of one user (engine and reference, every event) before its search by range.
        SeqItem both =
                new SeqItem.Group(
                        true, List.of(new Pred.Container(Context.VISITS, ANY), ANY), null);
        assertThat(matchesAfterEndlessChanges(both, 20_000, true)).isFalse();
    }

    @Test
    @Timeout(15)
    void a_sequence_and_after_a_visits_restriction_over_interleaved_visits_is_no_cubic_search() {
        // "any hit, after 100000 visits, all of (any hit, any hit)" over 2 000 hits whose visits
        // alternate (a, b, a, ...): the gap in visits is then no range, and the search by
        // candidate scanned every occurrence per candidate end per previous end (n^3: 50 s here).
        List<Event> hits = new ArrayList<>();
        for (int i = 0; i < 2_000; i++) {
            hits.add(
                    new Event("A", i * MINUTE, Map.of(), null, null)
                            .withSession(String.format("00000000-0000-4000-8000-%012d", i % 2)));
        }
        Pred.Sequence s =
                new Pred.Sequence(
                        Pred.SequenceKind.SEQUENCE,
                        List.of(
                                new SeqItem.Checkpoint(ANY),
                                new SeqItem.ContainerRestriction(
                                        SeqItem.Limit.AFTER, 100_000, Context.VISITS, null),
                                new SeqItem.Group(true, List.of(ANY, ANY), null)),
                        null);
        assertThat(new SequenceMatcher(new ReferenceEvaluator(0), s, hits).matches()).isFalse();
    }

    private static final Pred ANY =
            new Pred.Exists(
                    new io.cohortflow.core.definition.Val.Attr("variables/name"), false, null);

    /**
     * Whether "any hit, after 100000 page changes, {@code last}" matches {@code n} hits whose page
     * alternates (never that many changes), each in a visit of its own if {@code ownVisits}.
     */
    private static boolean matchesAfterEndlessChanges(SeqItem last, int n, boolean ownVisits) {
        List<Event> hits = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Event e = new Event("A", i * MINUTE, Map.of("page", "p" + (i % 2)), null, null);
            hits.add(
                    ownVisits
                            ? e.withSession(String.format("00000000-0000-4000-8000-%012d", i))
                            : e);
        }
        Pred.Sequence s =
                new Pred.Sequence(
                        Pred.SequenceKind.SEQUENCE,
                        List.of(
                                new SeqItem.Checkpoint(ANY),
                                new SeqItem.DimensionRestriction(
                                        SeqItem.Limit.AFTER, 100_000, "variables/page", null),
                                last),
                        null);
        return new SequenceMatcher(new ReferenceEvaluator(0), s, hits).matches();
    }

    private static List<Event> hits(Random random) {
        int n = random.nextInt(25);
        boolean interleaved = random.nextInt(4) == 0;
        boolean outOfOrder = random.nextInt(10) == 0;
        List<Event> out = new ArrayList<>();
        long time = 0;
        int visit = 0;
        for (int i = 0; i < n; i++) {
            time += outOfOrder ? (random.nextInt(5) - 2) * MINUTE : random.nextInt(3) * MINUTE;
            if (interleaved) {
                visit = random.nextInt(3);
            } else if (random.nextInt(4) == 0) {
                visit++;
            }
            Object page =
                    random.nextInt(6) == 0
                            ? List.of("p" + random.nextInt(2))
                            : "p" + random.nextInt(2);
            out.add(
                    new Event(
                                    NAMES[random.nextInt(NAMES.length)],
                                    time,
                                    Map.of("page", page),
                                    null,
                                    null)
                            .withSession(String.format("00000000-0000-4000-8000-%012d", visit)));
        }
        return out;
    }

    private static Pred.Sequence sequence(Random random, Set<String> kinds) {
        Pred.SequenceKind kind = Pred.SequenceKind.values()[random.nextInt(3)];
        if (kind != Pred.SequenceKind.SEQUENCE) {
            kinds.add(kind == Pred.SequenceKind.PREFIX ? "prefix" : "suffix");
        }
        List<SeqItem> stream = new ArrayList<>();
        int steps = 1 + random.nextInt(4);
        for (int k = 0; k < steps; k++) {
            if (k > 0) {
                for (int r = random.nextInt(3); r > 0; r--) {
                    stream.add(restriction(random, kinds));
                }
            }
            if (random.nextInt(4) == 0) {
                stream.add(new SeqItem.ExcludeNext(null));
                stream.add(new SeqItem.Checkpoint(checkpoint(random, kinds)));
                kinds.add("exclusion");
            }
            stream.add(step(random, kinds));
        }
        if (random.nextInt(6) == 0) {
            stream.add(new SeqItem.ExcludeNext(null));
            stream.add(new SeqItem.Checkpoint(checkpoint(random, kinds)));
            kinds.add("trailing exclusion");
        }
        return new Pred.Sequence(kind, stream, null);
    }

    private static SeqItem step(Random random, Set<String> kinds) {
        int shape = random.nextInt(6);
        if (shape == 0 || shape == 1) {
            boolean all = shape == 0;
            kinds.add(all ? "and" : "or");
            return new SeqItem.Group(
                    all, List.of(checkpoint(random, kinds), checkpoint(random, kinds)), null);
        }
        return new SeqItem.Checkpoint(checkpoint(random, kinds));
    }

    private static Pred checkpoint(Random random, Set<String> kinds) {
        Pred hit = new Pred.EventExists(NAMES[random.nextInt(NAMES.length)], false, null);
        if (random.nextInt(5) == 0) {
            kinds.add("visit");
            return new Pred.Container(Context.VISITS, hit);
        }
        return hit;
    }

    private static SeqItem restriction(Random random, Set<String> kinds) {
        SeqItem.Limit limit = random.nextBoolean() ? SeqItem.Limit.WITHIN : SeqItem.Limit.AFTER;
        String word = limit == SeqItem.Limit.WITHIN ? " within" : " after";
        int count = random.nextInt(5);
        switch (random.nextInt(4)) {
            case 0 -> {
                kinds.add("time" + word);
                return new SeqItem.TimeRestriction(limit, count, TimeUnit.MINUTE, null);
            }
            case 1 -> {
                kinds.add("hits" + word);
                return new SeqItem.ContainerRestriction(limit, count, Context.HITS, null);
            }
            case 2 -> {
                kinds.add("visits" + word);
                return new SeqItem.ContainerRestriction(limit, count % 3, Context.VISITS, null);
            }
            default -> {
                kinds.add("changes" + word);
                return new SeqItem.DimensionRestriction(limit, count % 4, "variables/page", null);
            }
        }
    }
}
