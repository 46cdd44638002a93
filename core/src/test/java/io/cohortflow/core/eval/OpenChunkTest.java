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

class OpenChunkTest {

    private static Event event(String name, long time, int n) {
        return new Event(
                name,
                time,
                Map.of("n", (double) n, "s", "x" + n, "é", List.of("ü", (double) n)),
                "v",
                null);
    }

    private static byte[] written(OpenChunk c) throws IOException {
        ByteArrayDataOutput out = new ByteArrayDataOutput();
        c.write(out);
        return out.toByteArray();
    }

    private static OpenChunk read(byte[] b, int n) throws IOException {
        return OpenChunk.read(new ByteArrayDataInput(b), n, 1 << 20);
    }

    @Test
    void inserts_removals_and_the_round_trip_agree_with_a_list() throws IOException {
        Random r = new Random(7);
        for (int round = 0; round < 200; round++) {
            OpenChunk c = new OpenChunk();
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
        OpenChunk c = OpenChunk.of(List.of(event("a", 1, 1), event("b", 2, 2)));
        byte[] whole = written(c);
        // The second event's encoding cut short by a byte (its length, the second byte, too).
        byte[] b = java.util.Arrays.copyOf(whole, whole.length - 1);
        b[1]--;
        OpenChunk damaged = read(b, 2);
        assertThat(damaged.time(1)).isEqualTo(2); // its time reads
        assertThat(damaged.get(0)).isEqualTo(event("a", 1, 1));
        assertThatThrownBy(() -> damaged.get(1)).isInstanceOf(CorruptStateException.class);
    }

    @Test
    void an_encoding_longer_than_its_event_is_damage_too() throws IOException {
        byte[] one = written(OpenChunk.of(List.of(event("a", 1, 1))));
        byte[] b = java.util.Arrays.copyOf(one, one.length + 1); // a byte more than the event
        b[0]++; // its length, which says so
        OpenChunk damaged = read(b, 1);
        assertThatThrownBy(() -> damaged.get(0))
                .isInstanceOf(CorruptStateException.class)
                .hasRootCauseMessage("1 bytes left after the event");
    }

    @Test
    void a_later_builds_event_encoding_fails_the_read() throws IOException {
        byte[] b = written(OpenChunk.of(List.of(event("a", 1, 1))));
        b[1] = 4; // after the length: the event's version byte, one past the newest
        assertThatThrownBy(() -> read(b, 1)).isInstanceOf(NewerEncodingException.class);
    }

    @Test
    void lengths_past_the_bound_or_times_out_of_order_are_refused() throws IOException {
        byte[] b = written(OpenChunk.of(List.of(event("a", 5, 1), event("b", 6, 2))));
        assertThatThrownBy(() -> OpenChunk.read(new ByteArrayDataInput(b), 2, 10))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("bytes in the open chunk");
        // The same two events, written in the other order.
        OpenChunk swapped = new OpenChunk();
        swapped.insert(0, event("b", 6, 2));
        swapped.insert(1, event("a", 5, 1));
        assertThatThrownBy(() -> read(written(swapped), 2))
                .hasMessageContaining("out of time order");
    }
}
