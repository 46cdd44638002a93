package io.cohortflow.core.eval;

import static io.cohortflow.core.Fixture.DAY;
import static io.cohortflow.core.Fixture.T0;
import static io.cohortflow.core.Fixture.def;
import static io.cohortflow.core.Fixture.ev;
import static io.cohortflow.core.Fixture.visitors;
import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.core.Fixture;
import io.cohortflow.core.definition.Problem;
import org.junit.jupiter.api.Test;

class CatalogAndExplainTest {
    static final String BUYER = visitors("{\"func\":\"event-exists\",\"evt\":\"Purchase\"}");
    static final String READER = visitors("{\"func\":\"event-exists\",\"evt\":\"Pageview\"}");

    @Test
    void a_reference_is_inlined_and_follows_edits_of_its_target() {
        Fixture f = new Fixture();
        f.define("buyer", BUYER);
        f.define(
                "loyal",
                visitors(
                        "{\"func\":\"and\",\"preds\":[{\"func\":\"segment-ref\",\"id\":\"buyer\"},"
                                + "{\"func\":\"event-exists\",\"evt\":\"Login\"}]}"));
        f.send(ev("Login", T0), ev("Pageview", T0 + 1));
        assertThat(f.cohorts()).isEmpty();
        // Redefining "buyer" as a reader makes "loyal" users enter too.
        assertThat(f.define("buyer", READER))
                .extracting(MembershipChange::segmentId)
                .containsExactlyInAnyOrder("buyer", "loyal");
    }

    @Test
    void a_referenced_visits_segment_is_a_visit_checkpoint_of_a_sequence() {
        String cartVisit = "{\"func\":\"event-exists\",\"evt\":\"Cart\"}";
        String purchase = "{\"func\":\"event-exists\",\"evt\":\"Purchase\"}";
        Fixture f = new Fixture();
        f.define(
                "cart-visit",
                "{\"func\":\"segment-def\",\"version\":[1,0,0],\"container\":{\"func\":"
                        + "\"container\",\"context\":\"visits\",\"pred\":"
                        + cartVisit
                        + "}}");
        f.define(
                "referenced",
                visitors(
                        "{\"func\":\"sequence\",\"stream\":[{\"func\":\"segment-ref\",\"id\":"
                                + "\"cart-visit\"},"
                                + purchase
                                + "]}"));
        f.define(
                "inlined",
                visitors(
                        "{\"func\":\"sequence\",\"stream\":[{\"func\":\"container\","
                                + "\"context\":\"visits\",\"pred\":"
                                + cartVisit
                                + "},"
                                + purchase
                                + "]}"));
        // A purchase in the cart's own visit does not follow the visit; one in the next does.
        f.send(visitEvent("Cart", T0, "v1"), visitEvent("Purchase", T0 + 1, "v1"));
        assertThat(f.cohorts()).containsExactly("cart-visit");
        f.send(visitEvent("Purchase", T0 + DAY, "v2"));
        assertThat(f.cohorts()).containsExactlyInAnyOrder("cart-visit", "referenced", "inlined");
    }

    private static io.cohortflow.core.event.Event visitEvent(String name, long at, String visit) {
        return ev(name, at).withSession(visit);
    }

    @Test
    void a_member_takes_an_edited_segments_version_when_the_answer_stays_and_keeps_it_after() {
        for (boolean lazy : new boolean[] {false, true}) {
            Fixture f = new Fixture();
            f.lazy = lazy; // the edit reaches the user with their next event, as in the job
            f.define("buyer", BUYER);
            f.send(ev("Purchase", T0));
            assertThat(f.profile.memberships(f.catalog).get("buyer").version()).isEqualTo(1);
            // An edit under which the user still qualifies: a purchase or a refund.
            f.define(
                    "buyer",
                    visitors(
                            "{\"func\":\"or\",\"preds\":[{\"func\":\"event-exists\",\"evt\":\"Purchase\"},"
                                    + "{\"func\":\"event-exists\",\"evt\":\"Refund\"}]}"));
            f.send(ev("Pageview", T0 + DAY));
            assertThat(f.profile.memberships(f.catalog).get("buyer").version())
                    .as("lazy=%s", lazy)
                    .isEqualTo(2);
            assertThat(f.profile.memberships(f.catalog).get("buyer").enteredAt()).isEqualTo(T0);
            f.send(ev("Purchase", T0 + 2 * DAY));
            assertThat(f.profile.memberships(f.catalog).get("buyer").version()).isEqualTo(2);
        }
    }

    @Test
    void a_cycle_is_rejected_and_leaves_the_catalog_unchanged() {
        SegmentCatalog c = SegmentCatalog.empty().put("a", 1, def(BUYER)).catalog();
        c = c.put("b", 1, def(visitors("{\"func\":\"segment-ref\",\"id\":\"a\"}"))).catalog();
        SegmentCatalog.Update u =
                c.put("a", 2, def(visitors("{\"func\":\"segment-ref\",\"id\":\"b\"}")));
        assertThat(u.ok()).isFalse();
        assertThat(u.problems().get(0).code()).isEqualTo("segment_cycle");
        assertThat(u.catalog()).isSameAs(c);
    }

    @Test
    void a_chain_of_references_nesting_past_the_depth_limit_is_rejected_not_a_stack_overflow() {
        // Each link nests its reference 19 levels deep in 39 nodes: 11 links fit the depth limit
        // of 200, and 250 links (under 10 000 nodes, the node backstop) overflowed the stack.
        SegmentCatalog c = SegmentCatalog.empty().put("s0", 1, def(BUYER)).catalog();
        SegmentCatalog.Update refused = null;
        int accepted = 0;
        for (int i = 1; i < 250 && refused == null; i++) {
            String inner = "{\"func\":\"segment-ref\",\"id\":\"s" + (i - 1) + "\"}";
            for (int j = 0; j < 19; j++) {
                inner =
                        "{\"func\":\"and\",\"preds\":["
                                + inner
                                + ",{\"func\":\"event-exists\",\"evt\":\"A\"}]}";
            }
            SegmentCatalog.Update u = c.put("s" + i, 1, def(visitors(inner)));
            if (u.ok()) {
                c = u.catalog();
                accepted = i;
            } else {
                refused = u;
            }
        }
        assertThat(accepted).isBetween(9, 11);
        assertThat(refused).isNotNull();
        assertThat(refused.catalog()).isSameAs(c);
        assertThat(refused.problems())
                .singleElement()
                .satisfies(
                        p -> {
                            assertThat(p.code()).isEqualTo("nesting_too_deep");
                            assertThat(p.message()).contains("200");
                        });
    }

    @Test
    void
            a_definition_that_inlines_past_the_backstop_is_rejected_and_leaves_the_catalog_unchanged() {
        StringBuilder hundred = new StringBuilder();
        for (int i = 0; i < 100; i++) {
            hundred.append(i == 0 ? "" : ",").append("{\"func\":\"segment-ref\",\"id\":\"ID\"}");
        }
        String orOf = visitors("{\"func\":\"or\",\"preds\":[" + hundred + "]}");
        SegmentCatalog c = SegmentCatalog.empty().put("a", 1, def(BUYER)).catalog();
        c = c.put("b", 1, def(orOf.replace("ID", "a"))).catalog();
        // 100 references to b (202 nodes each): 20 202 nodes, past the 10 000 the job accepts.
        SegmentCatalog.Update u = c.put("c", 1, def(orOf.replace("ID", "b")));
        assertThat(u.ok()).isFalse();
        assertThat(u.problems())
                .extracting(Problem::code)
                .containsExactly("too_many_resolved_predicates");
        assertThat(u.catalog()).isSameAs(c);
    }

    @Test
    void removing_a_referenced_segment_removes_its_dependents_and_says_so() {
        SegmentCatalog c = SegmentCatalog.empty().put("a", 1, def(BUYER)).catalog();
        c = c.put("b", 1, def(visitors("{\"func\":\"segment-ref\",\"id\":\"a\"}"))).catalog();
        SegmentCatalog.Update u = c.remove("a");
        assertThat(u.changed()).containsExactly("a", "b");
        assertThat(u.catalog().size()).isZero();
        assertThat(u.problems()).extracting(p -> p.code()).containsExactly("dependency_removed");
    }

    @Test
    void each_change_is_stamped_with_its_epoch_and_a_referrer_with_its_references() {
        String ref = visitors("{\"func\":\"segment-ref\",\"id\":\"a\"}");
        SegmentCatalog c = SegmentCatalog.empty().put("a", 1, def(BUYER), 10).catalog();
        c = c.put("b", 1, def(ref), 20).catalog();
        c = c.put("x", 1, def(READER), 30).catalog();
        assertThat(c.epoch()).isEqualTo(30);
        assertThat(c.changedSince(15)).containsExactlyInAnyOrder("b", "x");
        // An edit of "a" changes "b" too.
        c = c.put("a", 2, def(READER), 40).catalog();
        assertThat(c.changedSince(30)).containsExactlyInAnyOrder("a", "b");

        // A restore replays each segment's latest record, referrers after their references: "b"
        // (its record at 20) is put after "a" (40) and must still read as changed at 40.
        SegmentCatalog restored = SegmentCatalog.empty().put("a", 2, def(READER), 40).catalog();
        restored = restored.put("x", 1, def(READER), 30).catalog();
        restored = restored.put("b", 1, def(ref), 20).catalog();
        assertThat(restored.epoch()).isEqualTo(40);
        assertThat(restored.changedSince(30)).isEqualTo(c.changedSince(30));
        assertThat(restored.changedSince(35)).containsExactlyInAnyOrder("a", "b");
    }

    @Test
    void a_new_version_with_the_same_definition_is_no_change() {
        SegmentCatalog c = SegmentCatalog.empty().put("a", 1, def(BUYER), 5).catalog();
        SegmentCatalog.Update u = c.put("a", 2, def(BUYER), 9);
        assertThat(u.changed()).isEmpty();
        assertThat(u.catalog().epoch()).isEqualTo(5);
        assertThat(u.catalog().segment("a").get().version()).isEqualTo(2);
        assertThat(u.catalog().segment("a").get().ordinal())
                .isEqualTo(c.segment("a").get().ordinal());
        // A different definition is a change.
        assertThat(u.catalog().put("a", 3, def(READER), 11).changed()).containsExactly("a");
    }

    @Test
    void removing_a_segment_the_catalog_does_not_hold_is_still_a_change() {
        SegmentCatalog c = SegmentCatalog.empty().put("a", 1, def(BUYER), 5).catalog();
        SegmentCatalog.Update u = c.remove("gone", 9);
        assertThat(u.changed()).isEmpty();
        assertThat(u.catalog().epoch()).isEqualTo(9);
        assertThat(u.catalog().changedSince(5)).containsExactly("gone");
    }

    @Test
    void a_user_catches_up_with_changes_at_their_next_event_only_once() {
        Fixture f = new Fixture();
        f.lazy = true;
        f.send(ev("Purchase", T0));
        f.define("buyer", BUYER);
        assertThat(f.cohorts()).isEmpty(); // not applied to the user yet
        assertThat(f.engine.behind(f.profile, f.catalog)).isTrue();
        assertThat(f.send(ev("Pageview", T0 + 1)))
                .extracting(MembershipChange::segmentId)
                .containsExactly("buyer");
        assertThat(f.engine.behind(f.profile, f.catalog)).isFalse();
        f.remove("buyer");
        assertThat(f.catchUp())
                .extracting(MembershipChange::kind)
                .containsExactly(MembershipChange.Kind.EXITED);
    }

    @Test
    void events_applied_while_no_definitions_are_known_are_counted_once_they_are() {
        Fixture f = new Fixture();
        f.define("buyer", BUYER);
        f.send(ev("Pageview", T0));
        SegmentCatalog loaded = f.catalog;
        f.catalog = SegmentCatalog.empty(loaded.ordinals()); // a job restarting: nothing read yet
        f.send(ev("Purchase", T0 + 1));
        f.catalog = loaded; // read again, at the same epoch the user had reached
        assertThat(f.engine.behind(f.profile, f.catalog)).isTrue();
        assertThat(f.catchUp()).extracting(MembershipChange::segmentId).containsExactly("buyer");
    }

    @Test
    void identical_aggregates_are_shared_between_segments() {
        SegmentCatalog c = SegmentCatalog.empty().put("a", 1, def(BUYER)).catalog();
        c =
                c.put(
                                "b",
                                1,
                                def(
                                        visitors(
                                                "{\"func\":\"or\",\"preds\":[{\"func\":\"event-exists\",\"evt\":\"Purchase\","
                                                        + "\"description\":\"same counter, other words\"},{\"func\":\"event-exists\",\"evt\":\"Refund\"}]}")))
                        .catalog();
        // Purchase and Refund: two counters, not three (and no visitor presence test: both
        // predicates are false without events, which implies it).
        assertThat(c.counters()).hasSize(2);
    }

    @Test
    void explain_shows_each_predicate_and_the_aggregates_behind_it() {
        Fixture f = new Fixture();
        f.define(
                "big",
                visitors(
                        "{\"func\":\"and\",\"preds\":[{\"func\":\"event-exists\",\"evt\":\"Purchase\"},"
                                + "{\"func\":\"gt\",\"val\":{\"func\":\"attr\",\"name\":\"metrics/revenue\"},\"num\":100}]}"));
        f.send(ev("Purchase", T0, "revenue", 60), ev("Purchase", T0 + DAY, "revenue", 30));
        Explanation e = f.engine.explain(f.profile, f.history, f.catalog, "big").orElseThrow();
        assertThat(e.holds()).isFalse();
        assertThat(e.units()).isEqualTo(1);
        Explanation and = e.children().get(0);
        assertThat(and.func()).isEqualTo("and");
        assertThat(and.children().get(0).holds()).isTrue();
        assertThat(and.children().get(0).value()).isEqualTo(2.0);
        assertThat(and.children().get(1).holds()).isFalse();
        assertThat(and.children().get(1).value()).isEqualTo(90.0);
        assertThat(and.children().get(1).pointer()).isEqualTo("/container/pred/preds/1");
    }

    @Test
    void a_visitor_presence_test_is_kept_only_where_the_predicate_holds_without_events() {
        SegmentCatalog c =
                SegmentCatalog.empty()
                        .put(
                                "absent",
                                1,
                                def(
                                        visitors(
                                                "{\"func\":\"not-event-exists\",\"evt\":\"Purchase\"}")))
                        .catalog();
        // "never purchased" holds on an empty profile: it needs the visitor to exist.
        assertThat(c.counters()).hasSize(2);
        c = SegmentCatalog.empty().put("buyer", 1, def(BUYER)).catalog();
        assertThat(c.counters()).hasSize(1);
    }
}
