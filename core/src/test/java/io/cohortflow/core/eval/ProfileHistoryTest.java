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
    void the_newest_events_held_in_memory_are_the_open_chunks() {
        for (int i = 0; i < ProfileHistory.MAX_EVENTS + 2; i++) {
            insert(ev("e" + i, T0 + i * MINUTE)); // the first eight sealed
        }
        int reads = chunks.reads;
        assertThat(history().inMemory(2).stream().map(Event::name)).containsExactly("e8", "e9");
        assertThat(history().inMemory(3)).as("e7 is sealed").isNull();
        assertThat(chunks.reads).as("no chunk read").isEqualTo(reads);
        insert(ev("late", T0)); // the newest arrival, not the newest in time
        assertThat(history().inMemory(3).stream().map(Event::name))
                .containsExactly("late", "e8", "e9");
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

    /**
     * Open chunks are appended to the newest sealed one until it is full, and the order is the one
     * separate chunks gave: time, ties by arrival (late events and ties across every seal).
     */
    @Test
    void sealed_chunks_take_open_ones_until_full_in_time_then_arrival_order() {
        int events = ProfileHistory.MAX_SEALED_EVENTS + ProfileHistory.MAX_EVENTS + 3;
        List<Event> arrived = new ArrayList<>();
        java.util.Random r = new java.util.Random(7);
        for (int i = 0; i < events; i++) {
            // Mostly later, some late, many ties.
            long t = T0 + (i / 3) * MINUTE - (r.nextInt(5) == 0 ? r.nextInt(4) * MINUTE : 0);
            Event e = ev("e" + i, t);
            arrived.add(e);
            insert(e);
            if (i + 1 == ProfileHistory.MAX_SEALED_EVENTS) {
                assertThat(p.historyChunks()).isEqualTo(1);
                assertThat(chunks.rewrites).isEqualTo(3);
            }
        }
        assertThat(p.historyChunks()).isEqualTo(2);
        List<Event> expected = new ArrayList<>(arrived);
        expected.sort(java.util.Comparator.comparingLong(Event::time)); // stable: by arrival
        assertThat(history().events()).containsExactlyElementsOf(expected);
        for (int c = 0; c < p.chunks; c++) {
            List<Event> chunk = chunks.read(p.chunkIds[c]);
            assertThat(chunk).isSortedAccordingTo(java.util.Comparator.comparingLong(Event::time));
            assertThat(p.chunkOldest[c]).isEqualTo(chunk.get(0).time());
        }
    }

    /** What the horizon took from the newest chunk is not carried into it again. */
    @Test
    void an_append_drops_what_removals_took_from_the_chunk() {
        for (int i = 0; i < ProfileHistory.MAX_EVENTS; i++) {
            insert(ev("e" + i, T0 + i * MINUTE));
        }
        removeUpTo(T0 + 2 * MINUTE); // e0-e2 go; the chunk keeps them until all are gone
        assertThat(chunks.events()).isEqualTo(ProfileHistory.MAX_EVENTS);
        for (int i = ProfileHistory.MAX_EVENTS; i < 2 * ProfileHistory.MAX_EVENTS; i++) {
            insert(ev("e" + i, T0 + i * MINUTE));
        }
        assertThat(p.historyChunks()).isEqualTo(1);
        assertThat(chunks.events()).isEqualTo(2 * ProfileHistory.MAX_EVENTS - 3);
        assertThat(p.chunkOldest[0]).isEqualTo(T0 + 3 * MINUTE);
        assertThat(names()).first().isEqualTo("e3");
    }

    /**
     * A sealed chunk takes no more open ones once it holds about {@link
     * ProfileHistory#MAX_SEALED_BYTES}.
     */
    @Test
    void a_chunk_of_large_events_is_not_appended_to_past_its_bytes() {
        insert(ev("large", T0, "p", "x".repeat(2 * ProfileHistory.MAX_BYTES))); // sealed alone
        assertThat(p.historyChunks()).isEqualTo(1);
        for (int i = 0; i < ProfileHistory.MAX_EVENTS; i++) {
            insert(ev("s" + i, T0 + 1 + i));
        }
        assertThat(chunks.rewrites).as("appended: room left").isEqualTo(1);
        insert(ev("larger", T0 + 100, "p", "x".repeat(ProfileHistory.MAX_SEALED_BYTES)));
        for (int i = 0; i < ProfileHistory.MAX_EVENTS; i++) {
            insert(ev("t" + i, T0 + 101 + i));
        }
        assertThat(chunks.rewrites).as("not appended: no room").isEqualTo(1);
        assertThat(p.historyChunks()).isEqualTo(3);
        assertThat(names()).hasSize(2 + 2 * ProfileHistory.MAX_EVENTS);
    }

    /**
     * A newest sealed chunk that cannot be read is not appended to: the user's events go on into a
     * new chunk, and what reads the history meets the damage as before.
     */
    @Test
    void a_newest_chunk_that_cannot_be_read_is_not_appended_to() {
        for (int i = 0; i < ProfileHistory.MAX_EVENTS; i++) {
            insert(ev("e" + i, T0 + i));
        }
        chunks.damaged = p.chunkIds[0];
        for (int i = ProfileHistory.MAX_EVENTS; i < 2 * ProfileHistory.MAX_EVENTS; i++) {
            insert(ev("e" + i, T0 + i));
        }
        assertThat(p.historyChunks()).isEqualTo(2);
        assertThat(chunks.rewrites).isZero();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> history().events())
                .isInstanceOf(io.cohortflow.core.state.CorruptStateException.class);
    }
}
