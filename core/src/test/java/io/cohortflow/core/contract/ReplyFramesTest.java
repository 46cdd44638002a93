package io.cohortflow.core.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ReplyFramesTest {

    @Test
    void frames_read_back_as_written_and_the_stream_ends_between_two() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        write(out, ReplyFrames.encode("r-1", "{\"cohorts\":[]}".getBytes(StandardCharsets.UTF_8)));
        write(out, ReplyFrames.encode("é", new byte[0]));
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(out.toByteArray()));

        ReplyFrames.Frame first = ReplyFrames.read(in);
        assertThat(first.key()).isEqualTo("r-1");
        assertThat(new String(first.value(), StandardCharsets.UTF_8)).isEqualTo("{\"cohorts\":[]}");
        ReplyFrames.Frame second = ReplyFrames.read(in);
        assertThat(second.key()).isEqualTo("é");
        assertThat(second.value()).isEmpty();
        assertThat(ReplyFrames.read(in)).isNull();
    }

    @Test
    void a_frame_cut_short_or_out_of_bounds_fails() {
        byte[] whole = ReplyFrames.encode("r-1", new byte[] {1, 2, 3}).array();
        byte[] cut = java.util.Arrays.copyOf(whole, whole.length - 1);
        assertThatThrownBy(() -> ReplyFrames.read(stream(cut))).isInstanceOf(IOException.class);
        byte[] huge = ByteBuffer.allocate(8).putInt(ReplyFrames.MAX_KEY_BYTES + 1).array();
        assertThatThrownBy(() -> ReplyFrames.read(stream(huge)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("key");
        byte[] negative = ByteBuffer.allocate(12).putInt(0).putInt(-1).array();
        assertThatThrownBy(() -> ReplyFrames.read(stream(negative))).hasMessageContaining("value");
        assertThatThrownBy(() -> ReplyFrames.encode("k".repeat(1_025), new byte[0]))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void a_reply_address_is_a_host_and_a_port() {
        assertThat(EventEnvelope.validReplyTo("127.0.0.1:40123")).isTrue();
        assertThat(EventEnvelope.validReplyTo("cohortflow-service-0.svc:8099")).isTrue();
        assertThat(EventEnvelope.validReplyTo("[::1]:65535")).isTrue();
        assertThat(EventEnvelope.validReplyTo("127.0.0.1")).isFalse();
        assertThat(EventEnvelope.validReplyTo("127.0.0.1:")).isFalse();
        assertThat(EventEnvelope.validReplyTo(":80")).isFalse();
        assertThat(EventEnvelope.validReplyTo("host:0")).isFalse();
        assertThat(EventEnvelope.validReplyTo("host:65536")).isFalse();
        assertThat(EventEnvelope.validReplyTo("host:123456")).isFalse();
        assertThat(EventEnvelope.validReplyTo("ho st:80")).isFalse();
        assertThat(EventEnvelope.validReplyTo("a".repeat(254) + ":80")).isFalse();
    }

    private static void write(ByteArrayOutputStream out, ByteBuffer frame) {
        out.write(frame.array(), frame.position(), frame.remaining());
    }

    private static DataInputStream stream(byte[] b) {
        return new DataInputStream(new ByteArrayInputStream(b));
    }
}
