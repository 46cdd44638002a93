package io.cohortflow.core.estimate;

import static io.cohortflow.core.Fixture.DAY;
import static io.cohortflow.core.Fixture.T0;
import static io.cohortflow.core.Fixture.ev;
import static io.cohortflow.core.Fixture.json;
import static io.cohortflow.core.Fixture.visitors;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohortflow.core.Fixture;
import io.cohortflow.core.eval.CompiledSegment;
import org.junit.jupiter.api.Test;

class DraftsTest {
    static final String BUYER = visitors("{\"func\":\"event-exists\",\"evt\":\"Purchase\"}");

    /** Two or more page views in the last 7 days. */
    static final String REGULAR =
            "{\"func\":\"segment-def\",\"version\":[1,0,0],\"container\":{\"func\":"
                    + "\"container\",\"context\":\"hits\",\"window\":{\"count\":7,\"unit\":"
                    + "\"day\"},\"at_least\":2,\"pred\":{\"func\":\"event-exists\",\"evt\":"
                    + "\"Pageview\"}}}";

    @Test
    void a_draft_answers_what_the_engine_answers_once_it_is_published() {
        Fixture f = new Fixture();
        f.define("buyer", BUYER);
        f.send(ev("Pageview", T0), ev("Purchase", T0 + 1), ev("Pageview", T0 + DAY));
        String loyal =
                visitors(
                        "{\"func\":\"and\",\"preds\":[{\"func\":\"segment-ref\",\"id\":\"buyer\"},"
                                + "{\"func\":\"event-exists\",\"evt\":\"Pageview\"}]}");
        CompiledSegment draft = Drafts.compile(f.catalog, json(loyal));
        CompiledSegment regular = Drafts.compile(f.catalog, json(REGULAR));
        long now = T0 + DAY;
        assertThat(f.engine.holdsAt(f.profile, f.history, draft, now)).isTrue();
        assertThat(f.engine.holdsAt(f.profile, f.history, regular, now)).isTrue();
        // The window lapses 7 days after the first view: at 8 days one view is left in it.
        assertThat(f.engine.holdsAt(f.profile, f.history, regular, T0 + 7 * DAY + 1)).isFalse();
        // The catalog is as it was: the draft was compiled beside it, not into it.
        assertThat(f.catalog.size()).isEqualTo(1);

        f.define("regular", REGULAR);
        assertThat(f.member("regular")).isTrue();
        f.advanceTo(T0 + 7 * DAY + 1);
        assertThat(f.member("regular")).isFalse();
    }

    @Test
    void a_user_with_no_events_matches_nothing_and_a_bad_reference_is_refused() {
        Fixture f = new Fixture();
        f.define("buyer", BUYER);
        CompiledSegment draft = Drafts.compile(f.catalog, json(BUYER));
        assertThat(f.engine.holdsAt(f.profile, f.history, draft, T0)).isFalse();
        assertThatThrownBy(
                        () ->
                                Drafts.compile(
                                        f.catalog,
                                        json(
                                                visitors(
                                                        "{\"func\":\"segment-ref\",\"id\":\"nope\"}"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("nope");
    }
}
