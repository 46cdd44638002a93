package io.cohortflow.core.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohortflow.core.event.Event;
import io.cohortflow.core.state.ByteArrayDataInput;
import io.cohortflow.core.state.ByteArrayDataOutput;
import io.cohortflow.core.state.CorruptStateException;
import io.cohortflow.core.state.EventCodec;
import io.cohortflow.core.state.NewerEncodingException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class EventChunkTest {

    private static Event event(String name, long time, int n) {
        return new Event(
                name,
                time,
                Map.of("n", (double) n, "s", "x" + n, "é", List.of("ü", (double) n)),
                "v",
                null);
    }

    private static byte[] written(EventChunk c) throws IOException {
        ByteArrayDataOutput out = new ByteArrayDataOutput();
        c.write(out);
        return out.toByteArray();
    }

    private static EventChunk read(byte[] b, int n) throws IOException {
        return EventChunk.read(new ByteArrayDataInput(b), n, 1 << 20);
    }

    @Test
    void inserts_removals_and_the_round_trip_agree_with_a_list() throws IOException {
        Random r = new Random(7);
        for (int round = 0; round < 200; round++) {
            EventChunk c = new EventChunk();
            List<Event> expected = new ArrayList<>();
            for (int step = 0; step < 30; step++) {
                if (r.nextInt(6) == 0 && !expected.isEmpty()) {
                    int n = r.nextInt(expected.size() + 1);
                    assertThat(c.removeFirst(n)).isEqualTo(expected.subList(0, n));
                    expected.subList(0, n).clear();
                } else {
                    Event e = event(r.nextBoolean() ? "a" : "page.view", r.nextInt(20), step);
                    int at = expected.size();
                    while (at > 0 && expected.get(at - 1).time() > e.time()) {
                        at--;
                    }
                    expected.add(at, e);
                    c.insert(at, e);
                }
                if (r.nextBoolean()) {
                    // Through its bytes: nothing decoded until read.
                    c = read(written(c), c.size());
                }
                assertThat(c.size()).isEqualTo(expected.size());
                for (int i = 0; i < expected.size(); i++) {
                    assertThat(c.time(i)).isEqualTo(expected.get(i).time());
                }
                assertThat(c.events()).isEqualTo(expected);
                assertThat(c.bytes()).isEqualTo(encoded(expected));
            }
        }
    }

    private static int encoded(List<Event> events) throws IOException {
        ByteArrayDataOutput out = new ByteArrayDataOutput();
        for (Event e : events) {
            EventCodec.write(e, out);
        }
        return out.size();
    }

    @Test
    void a_damaged_event_fails_as_the_users_data_when_it_is_read() throws IOException {
        EventChunk c = EventChunk.of(List.of(event("a", 1, 1), event("b", 2, 2)));
        byte[] whole = written(c);
        // The second event's encoding cut short by a byte (its length, the second byte, too).
        byte[] b = java.util.Arrays.copyOf(whole, whole.length - 1);
        b[1]--;
        EventChunk damaged = read(b, 2);
        assertThat(damaged.time(1)).isEqualTo(2); // its time reads
        assertThat(damaged.get(0)).isEqualTo(event("a", 1, 1));
        assertThatThrownBy(() -> damaged.get(1)).isInstanceOf(CorruptStateException.class);
    }

    @Test
    void an_encoding_longer_than_its_event_is_damage_too() throws IOException {
        byte[] one = written(EventChunk.of(List.of(event("a", 1, 1))));
        byte[] b = java.util.Arrays.copyOf(one, one.length + 1); // a byte more than the event
        b[0]++; // its length, which says so
        EventChunk damaged = read(b, 1);
        assertThatThrownBy(() -> damaged.get(0))
                .isInstanceOf(CorruptStateException.class)
                .hasRootCauseMessage("1 bytes left after the event");
    }

    @Test
    void a_later_builds_event_encoding_fails_the_read() throws IOException {
        byte[] b = written(EventChunk.of(List.of(event("a", 1, 1))));
        b[1] = 4; // after the length: the event's version byte, one past the newest
        assertThatThrownBy(() -> read(b, 1)).isInstanceOf(NewerEncodingException.class);
    }

    @Test
    void lengths_past_the_bound_or_times_out_of_order_are_refused() throws IOException {
        byte[] b = written(EventChunk.of(List.of(event("a", 5, 1), event("b", 6, 2))));
        assertThatThrownBy(() -> EventChunk.read(new ByteArrayDataInput(b), 2, 10))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("bytes in a history chunk");
        // The same two events, written in the other order.
        EventChunk swapped = new EventChunk();
        swapped.insert(0, event("b", 6, 2));
        swapped.insert(1, event("a", 5, 1));
        assertThatThrownBy(() -> read(written(swapped), 2))
                .hasMessageContaining("out of time order");
    }

    private static List<Event> sortedEvents(Random r, int n, String prefix) {
        List<Event> events = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            events.add(event(prefix + r.nextInt(3), r.nextInt(12), i));
        }
        events.sort(java.util.Comparator.comparingLong(Event::time)); // stable
        return events;
    }

    @Test
    void a_chunk_of_events_out_of_time_order_is_refused() {
        assertThatThrownBy(() -> EventChunk.of(List.of(event("b", 6, 2), event("a", 5, 1))))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static byte[] sealed(EventChunk c) throws IOException {
        ByteArrayDataOutput out = new ByteArrayDataOutput();
        c.writeSealed(out);
        return out.toByteArray();
    }

    @Test
    void appending_merges_by_time_as_a_stable_sort_of_both_would() throws IOException {
        Random r = new Random(11);
        for (int round = 0; round < 500; round++) {
            List<Event> older = sortedEvents(r, r.nextInt(10), "stored");
            List<Event> later = sortedEvents(r, r.nextInt(10), "open");
            EventChunk stored = EventChunk.of(older);
            if (r.nextBoolean()) {
                stored = EventChunk.readSealed(new ByteArrayDataInput(sealed(stored)), 1 << 20);
            }
            EventChunk open = EventChunk.of(later);
            long removedUpTo = r.nextInt(14) - 1;
            int from = stored.countUpTo(removedUpTo);

            List<Event> expected = new ArrayList<>();
            for (Event e : older) {
                if (e.time() > removedUpTo) {
                    expected.add(e);
                }
            }
            expected.addAll(later);
            expected.sort(java.util.Comparator.comparingLong(Event::time)); // stable

            EventChunk appended = stored.appended(from, open);
            assertThat(appended).isEqualTo(expected);
            for (int i = 0; i < expected.size(); i++) {
                assertThat(appended.time(i)).isEqualTo(expected.get(i).time());
            }
            assertThat(stored.bytesFrom(from) + open.bytes()).isEqualTo(appended.bytes());
            assertThat(sealed(appended)).isEqualTo(sealed(EventChunk.of(expected)));
            // Neither chunk changed.
            assertThat(stored).isEqualTo(older);
            assertThat(open).isEqualTo(later);
        }
    }

    @Test
    void a_chunk_stored_as_a_list_of_events_reads_as_a_sealed_chunk() throws IOException {
        List<Event> events = List.of(event("a", 1, 1), event("b", 1, 2), event("page.view", 7, 3));
        // A list of events as the job's state wrote it: its size as an int, then each event,
        // the second one in the encoding of an earlier build (version 2).
        ByteArrayDataOutput earlier = new ByteArrayDataOutput();
        earlier.writeInt(3);
        EventCodec.write(events.get(0), earlier);
        earlier.write(io.cohortflow.core.state.PreviousEventCodec.version2(events.get(1)));
        EventCodec.write(events.get(2), earlier);

        EventChunk c =
                EventChunk.readSealed(new ByteArrayDataInput(earlier.toByteArray()), 1 << 20);
        assertThat(c).isEqualTo(events);
        assertThat(c.time(2)).isEqualTo(7);
        // Written again in the sealed form, every event in this build's encoding.
        assertThat(sealed(c)).isEqualTo(sealed(EventChunk.of(events)));
        assertThat(readSealed(sealed(c))).isEqualTo(events);
    }

    @Test
    void a_chunk_stored_as_a_list_reads_events_of_the_first_encoding_too() throws IOException {
        ByteArrayDataOutput list = new ByteArrayDataOutput();
        list.writeInt(2);
        list.write(io.cohortflow.core.state.PreviousEventCodec.version1Example());
        Event later = event("b", 50, 2);
        EventCodec.write(later, list);

        EventChunk c = readSealed(list.toByteArray());
        List<Event> expected =
                List.of(io.cohortflow.core.state.PreviousEventCodec.VERSION_1_EXAMPLE, later);
        assertThat(c).isEqualTo(expected);
        assertThat(c.time(0)).isEqualTo(42L);
        assertThat(readSealed(sealed(c))).isEqualTo(expected);
    }

    @Test
    void a_damaged_sealed_chunk_is_refused_when_read() throws IOException {
        byte[] whole = sealed(EventChunk.of(List.of(event("a", 5, 1), event("b", 6, 2))));
        assertThat(whole[0]).isEqualTo((byte) 1); // its version
        assertThat(whole[1]).isEqualTo((byte) 2); // its count
        // Cut short.
        assertThatThrownBy(() -> readSealed(java.util.Arrays.copyOf(whole, whole.length - 3)))
                .isInstanceOf(IOException.class);
        // A count of more events than there are.
        byte[] more = whole.clone();
        more[1] = 3;
        assertThatThrownBy(() -> readSealed(more)).isInstanceOf(IOException.class);
        // A later build's, or no known version.
        byte[] later = whole.clone();
        later[0] = 2;
        assertThatThrownBy(() -> readSealed(later)).isInstanceOf(NewerEncodingException.class);
        byte[] unknown = whole.clone();
        unknown[0] = (byte) 0xF0;
        assertThatThrownBy(() -> readSealed(unknown)).hasMessageContaining("unknown");
        // Past the bound, and out of time order.
        assertThatThrownBy(() -> EventChunk.readSealed(new ByteArrayDataInput(whole), 20))
                .hasMessageContaining("bytes in a history chunk");
        EventChunk swapped = new EventChunk();
        swapped.insert(0, event("b", 6, 2));
        swapped.insert(1, event("a", 5, 1));
        assertThatThrownBy(() -> readSealed(sealed(swapped)))
                .hasMessageContaining("out of time order");
        // The list form too: cut short, past the bound, out of time order.
        ByteArrayDataOutput list = new ByteArrayDataOutput();
        list.writeInt(2);
        EventCodec.write(event("b", 6, 2), list);
        EventCodec.write(event("a", 5, 1), list);
        byte[] l = list.toByteArray();
        assertThatThrownBy(() -> readSealed(java.util.Arrays.copyOf(l, l.length - 3)))
                .isInstanceOf(IOException.class);
        assertThatThrownBy(() -> EventChunk.readSealed(new ByteArrayDataInput(l), 20))
                .hasMessageContaining("more than 20 bytes");
        assertThatThrownBy(() -> readSealed(l)).hasMessageContaining("out of time order");
    }

    private static EventChunk readSealed(byte[] b) throws IOException {
        return EventChunk.readSealed(new ByteArrayDataInput(b), 1 << 20);
    }
}
