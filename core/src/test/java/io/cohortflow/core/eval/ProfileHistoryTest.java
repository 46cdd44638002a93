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
 * A user's history in chunks: the newest in the profile, sealed ones in the caller's store; one
 * order (time, then arrival) and one set of events whatever the chunks, and removals that delete a
 * chunk only once all of its events are gone.
 */
class ProfileHistoryTest {
    private final UserProfile p = new UserProfile();
    private final ListHistory perEvent = new ListHistory();
    private final MemoryChunks chunks = new MemoryChunks();

    private EventHistory history() {
        return ProfileHistory.of(p, perEvent, chunks);
    }

    /** Inserts as the engine does: the sequence and the size kept in the profile. */
    private void insert(Event e) {
        history().insert(e, p.insertions++);
        p.historySize++;
    }

    private EventHistory.Removal removeUpTo(long t) {
        EventHistory.Removal r = history().removeUpTo(t);
        p.historySize -= r.removed().size();
        return r;
    }

    private List<String> names() {
        return history().events().stream().map(Event::name).toList();
    }

    @Test
    void a_few_events_stay_in_the_profile_in_time_order() {
        insert(ev("a", T0 + 2 * MINUTE));
        insert(ev("b", T0));
        insert(ev("c", T0 + 2 * MINUTE)); // a tie: after the one that came first
        insert(ev("d", T0 + MINUTE));
        assertThat(p.historyChunked()).isTrue();
        assertThat(p.historyInProfile()).isEqualTo(4);
        assertThat(chunks.writes).isZero();
        assertThat(perEvent.events()).isEmpty();
        assertThat(names()).containsExactly("b", "d", "a", "c");
    }

    @Test
    void a_full_chunk_is_sealed_and_late_events_and_ties_keep_their_order_across_chunks() {
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < ProfileHistory.MAX_EVENTS; i++) {
            insert(ev("e" + i, T0 + (i / 2) * MINUTE)); // pairs of ties
            expected.add("e" + i);
        }
        assertThat(p.historyChunks()).isEqualTo(1);
        assertThat(p.historyInProfile()).isZero();
        int last = ProfileHistory.MAX_EVENTS / 2 - 1;
        insert(ev("tie", T0 + last * MINUTE)); // ties the newest, arrived after them
        insert(ev("late", T0 + MINUTE / 2)); // older than most of the sealed chunk
        expected.add(expected.indexOf("e2"), "late");
        expected.add("tie");
        assertThat(names()).containsExactlyElementsOf(expected);
        assertThat(chunks.writes).isEqualTo(1);
    }

    @Test
    void large_events_seal_a_chunk_sooner() {
        String big = "x".repeat(ProfileHistory.MAX_BYTES / 3);
        insert(ev("a", T0, "p", big));
        insert(ev("b", T0 + 1, "p", big));
        assertThat(p.historyChunks()).isZero();
        insert(ev("c", T0 + 2, "p", big));
        assertThat(p.historyChunks()).isEqualTo(1);
        assertThat(names()).containsExactly("a", "b", "c");
    }

    @Test
    void removals_skip_what_a_sealed_chunk_still_holds_and_delete_it_once_all_is_gone() {
        for (int i = 0; i < ProfileHistory.MAX_EVENTS + 2; i++) {
            insert(ev("e" + i, T0 + i * MINUTE));
        }
        assertThat(p.historyChunks()).isEqualTo(1);
        EventHistory.Removal r = removeUpTo(T0 + 2 * MINUTE);
        assertThat(r.removed()).extracting(Event::name).containsExactly("e0", "e1", "e2");
        assertThat(r.oldestLeft()).isEqualTo(T0 + 3 * MINUTE);
        assertThat(chunks.deletes).isZero();
        assertThat(names()).hasSize(ProfileHistory.MAX_EVENTS - 1).first().isEqualTo("e3");
        // Removing up to the same time again takes nothing.
        assertThat(removeUpTo(T0 + 2 * MINUTE).removed()).isEmpty();

        r = removeUpTo(T0 + ProfileHistory.MAX_EVENTS * MINUTE);
        assertThat(r.removed()).hasSize(ProfileHistory.MAX_EVENTS - 2);
        assertThat(r.oldestLeft()).isEqualTo(T0 + (ProfileHistory.MAX_EVENTS + 1) * MINUTE);
        assertThat(chunks.deletes).isEqualTo(1);
        assertThat(p.historyChunks()).isZero();
        assertThat(names()).containsExactly("e" + (ProfileHistory.MAX_EVENTS + 1));
        assertThat(removeUpTo(Long.MAX_VALUE - 1).oldestLeft()).isEqualTo(Long.MAX_VALUE);
        assertThat(names()).isEmpty();
    }

    @Test
    void a_history_stored_one_entry_per_event_stays_so_until_it_is_empty() {
        // As a profile stored before chunks, or by a caller keeping the history itself.
        perEvent.insert(ev("old", T0), 0);
        p.historySize = 1;
        p.insertions = 1;
        insert(ev("new", T0 + 1));
        assertThat(p.historyChunked()).isFalse();
        assertThat(names()).containsExactly("old", "new");
        removeUpTo(T0 + 1);
        assertThat(perEvent.events()).isEmpty();
        insert(ev("again", T0 + 2));
        assertThat(p.historyChunked()).isTrue();
        assertThat(perEvent.events()).isEmpty();
        assertThat(names()).containsExactly("again");
    }
}
