package io.cohortflow.core.eval;

import static io.cohortflow.core.Fixture.DAY;
import static io.cohortflow.core.Fixture.HOUR;
import static io.cohortflow.core.Fixture.MINUTE;
import static io.cohortflow.core.Fixture.T0;
import static io.cohortflow.core.Fixture.ev;
import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.core.Fixture;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Rolling windows, exact exits, late and too-old events, the history cap, membership statuses. */
class WindowsAndTimeTest {

    /** "Read 3+ sport articles in the last 30 days". */
    static final String SPORT_READER =
            """
            {"func":"segment-def","version":[1,0,0],"container":{"func":"container","context":"hits",
             "window":{"count":30,"unit":"day"},"at_least":3,
             "pred":{"func":"and","preds":[
               {"func":"streq","val":{"func":"attr","name":"variables/name"},"str":"Pageview"},
               {"func":"streq","val":{"func":"attr","name":"variables/category"},"str":"sport"}]}}}""";

    private static io.cohortflow.core.event.Event sport(long t) {
        return ev("Pageview", t, "category", "sport");
    }

    @Test
    void enters_on_the_third_article_and_exits_exactly_when_the_oldest_ages_out() {
        Fixture f = new Fixture();
        f.define("sport", SPORT_READER);
        assertThat(f.send(sport(T0), sport(T0 + DAY))).isEmpty();
        f.send(ev("Pageview", T0 + 2 * DAY, "category", "news"));
        assertThat(f.send(sport(T0 + 3 * DAY)))
                .containsExactly(
                        new MembershipChange(
                                "sport", MembershipChange.Kind.ENTERED, T0 + 3 * DAY, 1));
        assertThat(f.catalog.segment("sport").get().incremental()).isTrue();

        long lapse = T0 + 30 * DAY;
        assertThat(f.profile.nextExpiry()).isEqualTo(lapse);
        assertThat(f.advanceTo(lapse - 1)).isEmpty();
        assertThat(f.advanceTo(lapse))
                .containsExactly(
                        new MembershipChange("sport", MembershipChange.Kind.EXITED, lapse, 1));
    }

    @Test
    void a_count_keeps_only_the_entries_its_thresholds_need() {
        Fixture f = new Fixture();
        f.define("sport", SPORT_READER);
        for (int i = 0; i < 20; i++) {
            f.send(sport(T0 + i * HOUR));
        }
        // at_least 3 needs the newest 3 entries; the other 17 cannot change the answer.
        assertThat(ProfileCodec.toBytes(f.profile).length).isLessThan(120);
        assertThat(f.profile.nextExpiry()).isEqualTo(T0 + 17 * HOUR + 30 * DAY);
    }

    @Test
    void a_late_event_counts_where_it_is_still_visible() {
        Fixture f = new Fixture();
        f.define("sport", SPORT_READER);
        f.send(sport(T0 + 10 * DAY), sport(T0 + 11 * DAY));
        f.send(sport(T0 + 2 * DAY)); // late, but within 30 days of now
        assertThat(f.member("sport")).isTrue();
        assertThat(f.profile.now()).isEqualTo(T0 + 11 * DAY);
    }

    @Test
    void an_event_older_than_the_horizon_changes_nothing_and_is_reported() {
        Fixture f = new Fixture(new EngineConfig(Duration.ofDays(7), 100, Duration.ofMinutes(5)));
        f.define("sport", SPORT_READER);
        f.send(sport(T0 + 10 * DAY));
        SegmentEngine.Outcome o =
                f.engine.onEvents(f.profile, f.history, f.catalog, List.of(sport(T0 + 2 * DAY)));
        assertThat(o.ignored())
                .containsExactly(new SegmentEngine.Ignored(0, SegmentEngine.TOO_OLD));
        assertThat(f.history.events()).hasSize(1);
        assertThat(f.profile.historySize()).isEqualTo(1);
    }

    @Test
    void the_history_cap_drops_the_oldest_events_everywhere() {
        Fixture f = new Fixture(new EngineConfig(Duration.ofDays(90), 3, Duration.ofMinutes(5)));
        f.define("sport", SPORT_READER);
        f.send(sport(T0), sport(T0 + HOUR), sport(T0 + 2 * HOUR));
        assertThat(f.member("sport")).isTrue();
        f.send(ev("Other", T0 + 3 * HOUR));
        // The oldest article fell off the history, so only two remain: the user exits.
        assertThat(f.history.events()).hasSize(3);
        assertThat(f.profile.historySize()).isEqualTo(3);
        assertThat(f.member("sport")).isFalse();
    }

    @Test
    void calendar_month_windows_follow_the_calendar() {
        String def =
                """
                {"func":"segment-def","container":{"func":"container","context":"hits",
                 "window":{"count":1,"unit":"month"},"pred":{"func":"event-exists","evt":"Purchase"}}}""";
        Fixture f = new Fixture();
        f.define("buyer", def);
        long jan31 = Instant.parse("2024-01-31T12:00:00Z").toEpochMilli();
        f.send(ev("Purchase", jan31));
        assertThat(f.profile.nextExpiry())
                .isEqualTo(Instant.parse("2024-02-29T12:00:00Z").toEpochMilli());
    }

    @Test
    void statuses_go_realized_existing_exited_with_times() {
        Fixture f = new Fixture();
        f.define("sport", SPORT_READER);
        f.send(sport(T0), sport(T0 + HOUR), sport(T0 + 2 * HOUR));
        Membership m = f.profile.memberships(f.catalog).get("sport");
        assertThat(m.status()).isEqualTo(Membership.Status.REALIZED);
        assertThat(m.enteredAt()).isEqualTo(T0 + 2 * HOUR);
        f.send(sport(T0 + 3 * HOUR));
        m = f.profile.memberships(f.catalog).get("sport");
        assertThat(m.status()).isEqualTo(Membership.Status.EXISTING);
        assertThat(m.lastQualifiedAt()).isEqualTo(T0 + 3 * HOUR);
        f.advanceTo(f.profile.nextExpiry());
        m = f.profile.memberships(f.catalog).get("sport");
        assertThat(m.status()).isEqualTo(Membership.Status.EXITED);
        assertThat(m.exitedAt()).isEqualTo(T0 + HOUR + 30 * DAY);
        assertThat(m.lastQualifiedAt()).isEqualTo(m.exitedAt());
    }

    @Test
    void a_new_definition_applies_to_known_users_and_a_deleted_one_exits_them() {
        Fixture f = new Fixture();
        f.send(sport(T0), sport(T0 + HOUR), sport(T0 + 2 * HOUR));
        assertThat(f.define("sport", SPORT_READER))
                .containsExactly(
                        new MembershipChange(
                                "sport", MembershipChange.Kind.ENTERED, T0 + 2 * HOUR, 1));
        assertThat(f.remove("sport"))
                .containsExactly(
                        new MembershipChange(
                                "sport", MembershipChange.Kind.EXITED, T0 + 2 * HOUR, 1));
        assertThat(f.profile.counterCount()).isZero();
    }

    @Test
    void an_edit_re_evaluates_from_history() {
        Fixture f = new Fixture();
        f.define("sport", SPORT_READER);
        f.send(sport(T0), sport(T0 + HOUR));
        assertThat(f.member("sport")).isFalse();
        List<MembershipChange> c =
                f.define("sport", SPORT_READER.replace("\"at_least\":3", "\"at_least\":2"));
        assertThat(c)
                .containsExactly(
                        new MembershipChange("sport", MembershipChange.Kind.ENTERED, T0 + HOUR, 2));
    }

    @Test
    void an_event_far_in_the_future_is_flagged() {
        Fixture f = new Fixture();
        long wall = T0;
        assertThat(f.engine.tooFarInFuture(sport(T0 + 4 * MINUTE), wall)).isFalse();
        assertThat(f.engine.tooFarInFuture(sport(T0 + 6 * MINUTE), wall)).isTrue();
    }

    @Test
    void a_list_value_naming_an_anchor_twice_counts_once() {
        Fixture f = new Fixture();
        f.define(
                "tagged",
                """
                {"func":"segment-def","container":{"func":"container","context":"hits","at_least":2,
                 "pred":{"func":"streq-in","val":{"func":"attr","name":"variables/tags"},"list":["ai","ml"]}}}""");
        f.send(ev("Pageview", T0, "tags", List.of("ai", "ml")));
        assertThat(f.member("tagged")).isFalse();
        f.send(ev("Pageview", T0 + 1, "tags", List.of("ai")));
        assertThat(f.member("tagged")).isTrue();
    }

    @Test
    void unrelated_events_touch_no_counter_of_an_anchored_segment() {
        Fixture f = new Fixture();
        f.define("sport", SPORT_READER);
        f.send(ev("Click", T0), ev("Pageview", T0 + 1, "category", "news"));
        assertThat(f.profile.counterCount()).isZero();
    }

    @Test
    void a_lapse_an_event_overtakes_still_happens_at_its_own_instant() {
        Fixture f = new Fixture();
        f.define(
                "recent",
                "{\"func\":\"segment-def\",\"version\":[1,0,0],\"container\":{\"func\":\"container\","
                        + "\"context\":\"visitors\",\"window\":{\"count\":1,\"unit\":\"day\"},"
                        + "\"pred\":{\"func\":\"event-exists\",\"evt\":\"Purchase\"}}}");
        f.send(ev("Purchase", T0));
        // No timer fired before the next event (the watermark was behind): the lapse at T0 + 1 day
        // is still an exit at its instant, and the new purchase a new entry.
        List<MembershipChange> changes = f.send(ev("Purchase", T0 + 2 * DAY));
        assertThat(changes)
                .containsExactly(
                        new MembershipChange("recent", MembershipChange.Kind.EXITED, T0 + DAY, 1),
                        new MembershipChange(
                                "recent", MembershipChange.Kind.ENTERED, T0 + 2 * DAY, 1));
    }
}
