package io.cohortflow.core.estimate;

import static io.cohortflow.core.Fixture.DAY;
import static io.cohortflow.core.Fixture.HOUR;
import static io.cohortflow.core.Fixture.T0;
import static io.cohortflow.core.Fixture.def;
import static io.cohortflow.core.Fixture.ev;
import static io.cohortflow.core.Fixture.visitors;
import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.core.definition.Definition;
import io.cohortflow.core.eval.CompiledSegment;
import io.cohortflow.core.eval.EngineConfig;
import io.cohortflow.core.eval.ListHistory;
import io.cohortflow.core.eval.MembershipChange;
import io.cohortflow.core.eval.RandomDefinitionsAccess;
import io.cohortflow.core.eval.SegmentEngine;
import io.cohortflow.core.eval.UserProfile;
import io.cohortflow.core.event.Event;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PreviewTest {
    private static final EngineConfig CONFIG =
            new EngineConfig(Duration.ofDays(5), 25, Duration.ofMinutes(5));
    private final Preview preview = new Preview(CONFIG);

    private static final Definition TWO_SPORT_IN_A_DAY =
            def(
                    "{\"func\":\"segment-def\",\"version\":[1,0,0],\"container\":{\"func\":\"container\","
                            + "\"context\":\"visitors\",\"pred\":{\"func\":\"container\",\"context\":\"hits\","
                            + "\"window\":{\"count\":1,\"unit\":\"day\"},\"at_least\":2,\"pred\":"
                            + "{\"func\":\"streq\",\"val\":{\"func\":\"attr\",\"name\":\"variables/section\"},"
                            + "\"str\":\"sport\"}}}}");

    @Test
    void a_member_is_told_when_it_entered_when_it_would_lapse_and_why() {
        Preview.Result r =
                preview.preview(
                        TWO_SPORT_IN_A_DAY,
                        List.of(
                                ev("Pageview", T0, "section", "sport"),
                                ev("Pageview", T0 + HOUR, "section", "news"),
                                ev("Pageview", T0 + 2 * HOUR, "section", "sport")),
                        T0 + 3 * HOUR);
        assertThat(r.member()).isTrue();
        assertThat(r.enteredAt()).isEqualTo(T0 + 2 * HOUR);
        // The first sport hit leaves the one-day window a day after it: the member drops to one.
        assertThat(r.lapsesAt()).isEqualTo(T0 + DAY);
        assertThat(r.changes())
                .extracting(MembershipChange::kind)
                .containsExactly(MembershipChange.Kind.ENTERED);
        assertThat(r.explanation().holds()).isTrue();
        var hits = r.explanation().children().get(0);
        assertThat(hits.units()).isEqualTo(3);
        assertThat(hits.matchingUnits()).isEqualTo(2);
        assertThat(hits.atLeast()).isEqualTo(2);
        assertThat(hits.window().get("unit").asText()).isEqualTo("day");
    }

    @Test
    void at_a_later_instant_the_lapse_has_happened_and_is_in_the_timeline() {
        Preview.Result r =
                preview.preview(
                        TWO_SPORT_IN_A_DAY,
                        List.of(
                                ev("Pageview", T0, "section", "sport"),
                                ev("Pageview", T0 + HOUR, "section", "sport")),
                        T0 + 2 * DAY);
        assertThat(r.member()).isFalse();
        assertThat(r.enteredAt()).isNull();
        assertThat(r.lapsesAt()).isNull();
        assertThat(r.changes())
                .extracting(MembershipChange::kind, MembershipChange::time)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(
                                MembershipChange.Kind.ENTERED, T0 + HOUR),
                        org.assertj.core.groups.Tuple.tuple(
                                MembershipChange.Kind.EXITED, T0 + DAY));
        assertThat(r.explanation().holds()).isFalse();
    }

    @Test
    void an_event_far_past_the_preview_instant_is_ignored_as_the_job_ignores_it() {
        Definition any = def(visitors("{\"func\":\"event-exists\",\"evt\":\"Pageview\"}"));
        Preview.Result r =
                preview.preview(any, List.of(ev("Pageview", T0 + DAY, "section", "x")), T0);
        assertThat(r.member()).isFalse();
        assertThat(r.ignored()).containsExactly(new Preview.Ignored(0, "future_event"));
    }

    /**
     * The property: a preview's answer at any instant is the reference evaluator's over the same
     * events at that instant, its explanation's root says the same, and a lapse it announces is the
     * instant the reference's answer turns false.
     */
    @Test
    void a_preview_agrees_with_the_reference_evaluator_on_random_drafts() {
        int members = 0;
        int lapses = 0;
        for (int run = 0; run < 400; run++) {
            Random r = new Random(0x9E1EL + run);
            Definition d = RandomDefinitionsAccess.definition(r);
            List<Event> events = new ArrayList<>();
            long t = T0;
            int n = 1 + r.nextInt(12);
            for (int i = 0; i < n; i++) {
                t += r.nextInt(4) == 0 ? r.nextInt((int) DAY) : r.nextInt((int) HOUR);
                events.add(RandomDefinitionsAccess.event(r, t));
            }
            long at = t + (r.nextBoolean() ? 0 : r.nextInt((int) (3 * DAY)));
            Preview.Result p = preview.preview(d, events, at);
            String where = "run " + run + " " + d;
            assertThat(p.member()).as(where).isEqualTo(reference(d, events, at));
            assertThat(p.explanation().holds()).as(where).isEqualTo(p.member());
            if (p.member()) {
                members++;
            }
            if (p.lapsesAt() != null) {
                lapses++;
                assertThat(reference(d, events, p.lapsesAt() - 1)).as(where).isTrue();
                assertThat(reference(d, events, p.lapsesAt())).as(where).isFalse();
            }
        }
        assertThat(members).isGreaterThan(50);
        assertThat(lapses).isGreaterThan(10);
    }

    @Test
    void a_draft_compiled_once_previews_every_user_as_a_draft_compiled_for_each() {
        Preview.Compiled once = Preview.compile(TWO_SPORT_IN_A_DAY);
        // container, container, streq
        assertThat(once.nodes()).isEqualTo(3);
        List<List<Event>> users =
                List.of(
                        List.of(
                                ev("Pageview", T0, "section", "sport"),
                                ev("Pageview", T0 + HOUR, "section", "sport")),
                        List.of(),
                        List.of(ev("Pageview", T0, "section", "news")));
        for (List<Event> events : users) {
            assertThat(preview.preview(once, events, T0 + 2 * HOUR))
                    .isEqualTo(preview.preview(TWO_SPORT_IN_A_DAY, events, T0 + 2 * HOUR));
        }
    }

    /** The reference evaluator over the events, the user's lapses applied up to {@code at}. */
    private static boolean reference(Definition d, List<Event> events, long at) {
        SegmentEngine engine = new SegmentEngine(CONFIG);
        Drafts.Alone alone = Drafts.alone(d);
        CompiledSegment s = alone.segment();
        UserProfile p = new UserProfile();
        ListHistory h = new ListHistory();
        engine.onEvents(p, h, alone.catalog(), events);
        return engine.holdsAt(p, h, s, at);
    }
}
