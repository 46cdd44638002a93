package io.cohortflow.core.eval;

import static io.cohortflow.core.Fixture.MINUTE;
import static io.cohortflow.core.Fixture.T0;
import static io.cohortflow.core.Fixture.ev;
import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.core.event.Event;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Where a user's history lives: in the profile while small, in the caller's store past that, back
 * in the profile once the store is empty; one order and one set of events either way.
 */
class ProfileHistoryTest {
    private final UserProfile p = new UserProfile();
    private final ListHistory store = new ListHistory();

    /** Inserts as the engine does: the sequence and the size kept in the profile. */
    private void insert(Event e) {
        ProfileHistory.of(p, store).insert(e, p.insertions++);
        p.historySize++;
    }

    private EventHistory.Removal removeUpTo(long t) {
        EventHistory.Removal r = ProfileHistory.of(p, store).removeUpTo(t);
        p.historySize -= r.removed().size();
        return r;
    }

    private List<Event> events() {
        return ProfileHistory.of(p, store).events();
    }

    @Test
    void a_small_history_stays_in_the_profile_in_time_order() {
        insert(ev("a", T0 + 2 * MINUTE));
        insert(ev("b", T0));
        insert(ev("c", T0 + 2 * MINUTE)); // a tie: after the one that came first
        insert(ev("d", T0 + MINUTE));
        assertThat(p.historyInline()).isTrue();
        assertThat(store.events()).isEmpty();
        assertThat(events()).extracting(Event::name).containsExactly("b", "d", "a", "c");
    }

    @Test
    void past_the_limit_all_of_it_moves_to_the_store_in_the_same_order() {
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < ProfileHistory.MAX_EVENTS; i++) {
            insert(ev("e" + i, T0 + (i / 2) * MINUTE)); // pairs of ties
            expected.add("e" + i);
        }
        assertThat(p.historyInline()).isTrue();
        insert(ev("last", T0 + (ProfileHistory.MAX_EVENTS / 2 - 1) * MINUTE)); // ties the newest
        expected.add("last");
        assertThat(p.historyInline()).isFalse();
        assertThat(store.events()).extracting(Event::name).containsExactlyElementsOf(expected);
        assertThat(events()).isEqualTo(store.events());
    }

    @Test
    void large_events_move_to_the_store_sooner() {
        String big = "x".repeat(ProfileHistory.MAX_BYTES / 3);
        insert(ev("a", T0, "p", big));
        insert(ev("b", T0 + 1, "p", big));
        assertThat(p.historyInline()).isTrue();
        insert(ev("c", T0 + 2, "p", big));
        assertThat(p.historyInline()).isFalse();
        assertThat(store.events()).extracting(Event::name).containsExactly("a", "b", "c");
    }

    @Test
    void removals_take_the_oldest_and_report_the_oldest_left() {
        insert(ev("a", T0));
        insert(ev("b", T0 + MINUTE));
        insert(ev("c", T0 + 2 * MINUTE));
        EventHistory.Removal r = removeUpTo(T0 + MINUTE);
        assertThat(r.removed()).extracting(Event::name).containsExactly("a", "b");
        assertThat(r.oldestLeft()).isEqualTo(T0 + 2 * MINUTE);
        assertThat(removeUpTo(T0 + 2 * MINUTE).oldestLeft()).isEqualTo(Long.MAX_VALUE);
        assertThat(events()).isEmpty();
    }

    @Test
    void once_the_store_is_empty_the_history_comes_back_to_the_profile() {
        for (int i = 0; i <= ProfileHistory.MAX_EVENTS; i++) {
            insert(ev("e" + i, T0 + i));
        }
        assertThat(p.historyInline()).isFalse();
        removeUpTo(T0 + ProfileHistory.MAX_EVENTS);
        assertThat(store.events()).isEmpty();
        insert(ev("again", T0 + 100));
        assertThat(p.historyInline()).isTrue();
        assertThat(events()).extracting(Event::name).containsExactly("again");
    }

    @Test
    void a_profile_with_events_and_no_inline_history_has_them_in_the_store() {
        // As a profile stored before inline histories, or by a caller keeping the history itself.
        store.insert(ev("old", T0), 0);
        p.historySize = 1;
        p.insertions = 1;
        insert(ev("new", T0 + 1));
        assertThat(p.historyInline()).isFalse();
        assertThat(events()).extracting(Event::name).containsExactly("old", "new");
    }
}
