package io.cohortflow.core.eval;

import static io.cohortflow.core.Fixture.DAY;
import static io.cohortflow.core.Fixture.HOUR;
import static io.cohortflow.core.Fixture.T0;
import static io.cohortflow.core.Fixture.visitors;

import io.cohortflow.core.Fixture;
import io.cohortflow.core.event.Event;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Where the append rules skip evaluations, time-driven flips and ties still answer as the reference
 * does (the fixture compares the two after every step).
 */
class AppendRulesTest {
    private static Event ev(String name, long t, String session) {
        return new Event(name, t, Map.of(), null, session);
    }

    private static String hit(String name) {
        return "{\"func\":\"container\",\"context\":\"hits\",\"pred\":{\"func\":\"event-exists\",\"evt\":{\"func\":\"event\",\"name\":\"metrics/"
                + name
                + "\"}}}";
    }

    /**
     * Visit ordinals are by first appearance, so an old event leaving the horizon can shrink a
     * visit gap to below zero: a non-member whose events were all skipped becomes a member by time.
     */
    @Test
    void a_visit_gap_that_shrinks_as_an_old_event_leaves_is_found_by_the_recheck() {
        Fixture f = new Fixture(new EngineConfig(Duration.ofDays(2), 100, Duration.ofMinutes(5)));
        f.define(
                "s",
                visitors(
                        "{\"func\":\"sequence\",\"stream\":["
                                + hit("A")
                                + ",{\"func\":\"container-restriction\",\"context\":\"visits\",\"limit\":\"within\",\"count\":1},"
                                + hit("B")
                                + "]}"));
        f.send(ev("X", T0, "v1"));
        f.send(ev("Y", T0 + HOUR, "v2"));
        f.send(ev("Z", T0 + 90 * 60_000, "v3"));
        f.send(ev("A", T0 + 2 * HOUR, "v1"));
        f.send(ev("B", T0 + 3 * HOUR, "v3"));
        f.send(ev("Q", T0 + 2 * DAY + 30 * 60_000, "v4")); // X has left the horizon
        f.advanceTo(T0 + 2 * DAY + HOUR);
    }

    /**
     * "A and 3+ hits in one visit": visits shorter than three events are answered without an
     * evaluation, and the third event of a visit with an A enters the user.
     */
    @Test
    void a_visit_too_short_for_its_predicate_is_not_evaluated() {
        Fixture f = new Fixture();
        String visit =
                "{\"func\":\"container\",\"context\":\"visits\",\"pred\":{\"func\":\"and\",\"preds\":["
                        + "{\"func\":\"event-exists\",\"evt\":{\"func\":\"event\",\"name\":\"metrics/A\"}},"
                        + "{\"func\":\"gt\",\"val\":{\"func\":\"attr\",\"name\":\"metrics/occurrences\"},\"num\":2}]}}";
        f.define("s", visitors(visit));
        org.assertj.core.api.Assertions.assertThat(
                        f.catalog.segment("s").orElseThrow().visitMinHits())
                .isEqualTo(3);
        f.send(ev("A", T0, "v1"), ev("B", T0 + 1, "v1"));
        f.send(ev("A", T0 + 2, "v2"));
        org.assertj.core.api.Assertions.assertThat(f.engine.stats().visitEvaluations()).isZero();
        org.assertj.core.api.Assertions.assertThat(f.member("s")).isFalse();
        f.send(ev("C", T0 + 3, "v1"));
        org.assertj.core.api.Assertions.assertThat(f.member("s")).isTrue();
    }

    /** Events at one instant: the appended one goes last. */
    @Test
    void ties_with_hit_gaps_and_prefix() {
        Fixture f = new Fixture();
        f.define(
                "gap",
                visitors(
                        "{\"func\":\"sequence\",\"stream\":["
                                + hit("A")
                                + ",{\"func\":\"container-restriction\",\"context\":\"hits\",\"limit\":\"within\",\"count\":1},"
                                + hit("B")
                                + "]}"));
        f.define(
                "prefix",
                visitors(
                        "{\"func\":\"sequence-prefix\",\"stream\":["
                                + hit("A")
                                + ","
                                + hit("B")
                                + "]}"));
        f.send(ev("A", T0, null), ev("B", T0, null), ev("C", T0, null), ev("A", T0, null));
        f.send(ev("B", T0, null), ev("C", T0 + 1, "s"));
    }
}
