package io.cohortflow.core.state;

import static org.assertj.core.api.Assertions.assertThat;

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
    @Test
    void events_round_trip_with_nested_properties() throws IOException {
        Event e =
                new Event(
                        "Pageview",
                        1_705_276_800_123L,
                        Map.of(
                                "title",
                                "Ünïcode ✓",
                                "n",
                                42.0,
                                "x",
                                -0.5,
                                "ok",
                                true,
                                "tags",
                                List.of("a", 1.0, false),
                                "obj",
                                Map.of("inner", Map.of("deep", 7.0))),
                        "a55a9c8b-4a0b-4fe7-99a9-170624850501",
                        null);
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
}
