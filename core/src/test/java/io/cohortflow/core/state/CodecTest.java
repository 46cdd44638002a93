package io.cohortflow.core.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohortflow.core.event.Event;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CodecTest {
    /**
     * A version byte a few past the newest is a later build's (a job downgraded onto its state),
     * told apart from damage, which callers set aside as one user's; one far past it is damage.
     */
    @Test
    void an_event_of_a_later_encoding_is_not_taken_for_damage() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        EventCodec.write(Event.of("Pageview", 1L, Map.of()), new DataOutputStream(b));
        byte[] bytes = b.toByteArray();
        bytes[0] = (byte) (bytes[0] + 1);
        assertThatThrownBy(
                        () -> EventCodec.read(new DataInputStream(new ByteArrayInputStream(bytes))))
                .isInstanceOf(NewerEncodingException.class)
                .hasMessageContaining("written by a later build");
        bytes[0] = (byte) 0xEE;
        assertThatThrownBy(
                        () -> EventCodec.read(new DataInputStream(new ByteArrayInputStream(bytes))))
                .isInstanceOf(IOException.class)
                .isNotInstanceOf(NewerEncodingException.class);
    }

    @Test
    void events_round_trip_with_nested_properties() throws IOException {
        Event e = nested();
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        EventCodec.write(e, new DataOutputStream(b));
        Event back =
                EventCodec.read(new DataInputStream(new ByteArrayInputStream(b.toByteArray())));
        assertThat(back).isEqualTo(e);
    }

    @Test
    void varints_round_trip_at_the_edges() throws IOException {
        long[] values = {0, 1, -1, 63, -64, 127, 128, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 40};
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(b);
        for (long v : values) {
            Varints.writeSigned(out, v);
        }
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(b.toByteArray()));
        for (long v : values) {
            assertThat(Varints.readSigned(in)).isEqualTo(v);
        }
    }

    @Test
    void a_length_whose_tenth_byte_sets_the_sign_bit_is_refused() {
        byte[] b = {-1, -1, -1, -1, -1, -1, -1, -1, -1, 1}; // 2^64 - 1: negative as a long
        assertThatThrownBy(() -> Varints.readInt(new ByteArrayDataInput(b)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("out of range");
    }

    @Test
    void strings_longer_than_64_kib_round_trip() throws IOException {
        String big = "ü".repeat(70_000); // 140 000 bytes of UTF-8
        Event e = new Event(big, 0L, Map.of(big, big, "l", List.of(big)), big, null);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        EventCodec.write(e, new DataOutputStream(b));
        Event back =
                EventCodec.read(new DataInputStream(new ByteArrayInputStream(b.toByteArray())));
        assertThat(back).isEqualTo(e);
    }

    @Test
    void events_stored_by_the_first_encoding_are_still_read() throws IOException {
        byte[] b = PreviousEventCodec.version1Example();
        Event expected = PreviousEventCodec.VERSION_1_EXAMPLE;
        assertThat(EventCodec.read(new DataInputStream(new ByteArrayInputStream(b))))
                .isEqualTo(expected);
        assertThat(EventCodec.readStored(new ByteArrayDataInput(b))).isEqualTo(expected);
        assertThat(expected)
                .isEqualTo(new Event("Pageview", 42L, Map.of("section", "sport"), null, "s1"));
    }

    private static Event nested() {
        return new Event(
                "Pageview",
                1_705_276_800_123L,
                Map.of(
                        "title",
                        "Ünïcode ✓",
                        "n",
                        42.0,
                        "x",
                        -0.5,
                        "big",
                        -1e300,
                        "ok",
                        true,
                        "no",
                        false,
                        "none",
                        new java.util.HashMap<String, Object>(),
                        "tags",
                        List.of("a", 1.0, false, List.of()),
                        "obj",
                        Map.of("inner", Map.of("deep", 7.0, "long", "x".repeat(20_000)))),
                "a55a9c8b-4a0b-4fe7-99a9-170624850501",
                "s1");
    }

    private static byte[] encoded(Event e) throws IOException {
        ByteArrayDataOutput out = new ByteArrayDataOutput();
        EventCodec.write(e, out);
        return out.toByteArray();
    }

    /**
     * A stored event keeps its properties' encoding: equal to the event decoded at once, from
     * either kind of input, and written back as the very bytes it was read from.
     */
    @Test
    void a_stored_event_reads_as_the_decoded_one_and_writes_back_its_bytes() throws IOException {
        for (Event e :
                List.of(
                        nested(),
                        Event.of("Purchase", -5L, Map.of()),
                        Event.of("Purchase", 7L, Map.of("revenue", 12.5)))) {
            byte[] bytes = encoded(e);
            Event fromArray = EventCodec.readStored(new ByteArrayDataInput(bytes));
            Event fromStream =
                    EventCodec.readStored(new DataInputStream(new ByteArrayInputStream(bytes)));
            assertThat(encoded(fromArray)).isEqualTo(bytes); // before any property is read
            assertThat(fromArray).isEqualTo(e).isEqualTo(fromStream);
            assertThat(fromArray.properties()).isEqualTo(e.properties());
            assertThat(fromArray.properties().get("n")).isEqualTo(e.properties().get("n"));
            assertThat(fromArray.properties().isEmpty()).isEqualTo(e.properties().isEmpty());
            assertThat(encoded(fromArray)).isEqualTo(bytes); // and after
            assertThatThrownBy(() -> fromArray.properties().put("n", 1.0))
                    .isInstanceOf(UnsupportedOperationException.class);
        }
    }

    /**
     * Bytes missing anywhere fail a stored event's read; damage inside its properties fails the
     * first look at one, as the user's stored data ({@link CorruptStateException}), and an event
     * decoded at once at its read.
     */
    @Test
    void damage_fails_the_stored_read_or_the_first_look_at_a_property() throws IOException {
        byte[] bytes = encoded(nested());
        for (int cut = 0; cut < bytes.length; cut++) {
            byte[] shorter = java.util.Arrays.copyOf(bytes, cut);
            assertThatThrownBy(() -> EventCodec.readStored(new ByteArrayDataInput(shorter)))
                    .as("cut at %d of %d", cut, bytes.length)
                    .isInstanceOf(IOException.class);
            assertThatThrownBy(
                            () ->
                                    EventCodec.readStored(
                                            new DataInputStream(new ByteArrayInputStream(shorter))))
                    .isInstanceOf(IOException.class);
        }
        Event one = Event.of("Pageview", 1L, Map.of("k", true));
        byte[] tagged = encoded(one);
        tagged[tagged.length - 1] = 42; // the value's tag: none such
        Event stored = EventCodec.readStored(new ByteArrayDataInput(tagged));
        assertThat(stored.name()).isEqualTo("Pageview");
        assertThatThrownBy(() -> stored.properties().get("k"))
                .isInstanceOf(CorruptStateException.class)
                .hasRootCauseMessage("unknown value tag 42");
        assertThatThrownBy(() -> EventCodec.read(new ByteArrayDataInput(tagged)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("unknown value tag 42");
    }

    /**
     * Events stored by version 2 (the properties' length not written) are still read, checked as
     * their properties are walked, and written back in the present version.
     */
    @Test
    void events_stored_without_their_properties_length_are_still_read() throws IOException {
        Event e = nested();
        byte[] now = encoded(e);
        byte[] old = PreviousEventCodec.version2(e);
        assertThat(old[0]).isEqualTo((byte) 2);
        assertThat(EventCodec.read(new ByteArrayDataInput(old))).isEqualTo(e);
        Event stored = EventCodec.readStored(new ByteArrayDataInput(old));
        assertThat(encoded(stored)).isEqualTo(now);
        assertThat(stored).isEqualTo(e);
        assertThatThrownBy(() -> EventCodec.readStored(new ByteArrayDataInput(cutLast(old))))
                .isInstanceOf(IOException.class);
    }

    private static byte[] cutLast(byte[] b) {
        return java.util.Arrays.copyOf(b, b.length - 1);
    }

    /**
     * Strings read through a plain input, the state backend's, come back as written: repeated ones
     * (found among those read last), ones sharing a slot there, long ones and non-ASCII ones.
     */
    @Test
    void strings_read_from_a_plain_input_are_the_ones_written() throws IOException {
        java.util.Random r = new java.util.Random(11);
        List<String> written = new java.util.ArrayList<>();
        for (int i = 0; i < 5_000; i++) {
            int kind = r.nextInt(4);
            String s =
                    switch (kind) {
                        case 0 -> "metrics/name" + r.nextInt(8);
                        case 1 -> "s" + r.nextInt(100_000);
                        case 2 -> "é✓".repeat(r.nextInt(40));
                        default -> "x".repeat(8_000 + r.nextInt(400));
                    };
            written.add(s);
        }
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(b);
        for (String s : written) {
            Varints.writeString(out, s);
        }
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(b.toByteArray()));
        for (String s : written) {
            assertThat(Varints.readString(in)).isEqualTo(s);
        }
        assertThat(in.available()).isZero();
    }

    /**
     * Properties shorter than the length written before them: an event decoded at once fails its
     * read, from either kind of input; a stored one fails the first look at a property.
     */
    @Test
    void properties_that_do_not_fill_their_length_are_damage() throws IOException {
        byte[] one = encoded(Event.of("Pageview", 1L, Map.of("k", true)));
        // The properties' body here is 4 bytes (count, key length, key, tag) after a 1-byte length.
        int lengthAt = one.length - 5;
        assertThat(one[lengthAt]).isEqualTo((byte) 4);
        byte[] longer = java.util.Arrays.copyOf(one, one.length + 1); // a stray byte inside
        longer[lengthAt] = 5;
        assertThatThrownBy(() -> EventCodec.read(new ByteArrayDataInput(longer)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("properties of 5 bytes took 4");
        assertThatThrownBy(
                        () ->
                                EventCodec.read(
                                        new DataInputStream(new ByteArrayInputStream(longer))))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("1 bytes left after the properties");
        Event stored = EventCodec.readStored(new ByteArrayDataInput(longer));
        assertThatThrownBy(() -> stored.properties().get("k"))
                .isInstanceOf(CorruptStateException.class);
    }
}
