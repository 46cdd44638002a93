package io.cohortflow.core.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
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
    void a_value_announced_and_not_sent_holds_only_what_arrived() {
        ByteBuffer announced =
                ByteBuffer.allocate(4 + 3 + 4 + 10)
                        .putInt(3)
                        .put("r-1".getBytes(StandardCharsets.UTF_8))
                        .putInt(ReplyFrames.MAX_VALUE_BYTES)
                        .put(new byte[10]);
        Ledger ledger = new Ledger(Long.MAX_VALUE);

        assertThatThrownBy(() -> ReplyFrames.read(stream(announced.array()), ledger))
                .isInstanceOf(EOFException.class);
        assertThat(ledger.peak).isEqualTo(3 + ReplyFrames.FIRST_CHUNK_BYTES);
        assertThat(ledger.held).as("given back").isZero();
    }

    @Test
    void a_value_arriving_in_pieces_grows_with_them_and_reads_back_whole() throws IOException {
        byte[] value = new byte[300_000];
        new Random(7).nextBytes(value);
        ByteBuffer frame = ReplyFrames.encode("r-1", value);
        AtomicLong arrived = new AtomicLong();
        Ledger ledger = new Ledger(Long.MAX_VALUE);
        // At a growth the old buffer (what arrived) and the new one (at most twice that) are both
        // held: never the announced length ahead of the bytes.
        ledger.bound = () -> 3 + Math.max(ReplyFrames.FIRST_CHUNK_BYTES, 3 * arrived.get());

        ReplyFrames.Frame f = ReplyFrames.read(trickle(frame.array(), 1_000, arrived), ledger);

        assertThat(f.value()).isEqualTo(value);
        assertThat(ledger.peak).isLessThan(2L * value.length);
        assertThat(ledger.held).isZero();
    }

    @Test
    void a_value_that_arrived_whole_is_read_into_one_buffer() throws IOException {
        byte[] value = new byte[100_000];
        Ledger ledger = new Ledger(Long.MAX_VALUE);

        ReplyFrames.Frame f =
                ReplyFrames.read(stream(ReplyFrames.encode("r-1", value).array()), ledger);

        assertThat(f.value()).hasSize(value.length);
        assertThat(ledger.reservations).containsExactly(3, value.length);
    }

    @Test
    void a_frame_past_the_allowance_fails_and_gives_back_what_it_held() {
        ByteBuffer frame = ReplyFrames.encode("r-1", new byte[50_000]);
        Ledger ledger = new Ledger(20_000);

        assertThatThrownBy(
                        () ->
                                ReplyFrames.read(
                                        trickle(frame.array(), 4_000, new AtomicLong()), ledger))
                .isInstanceOf(ReplyFrames.OverAllowanceException.class);
        assertThat(ledger.peak).isLessThanOrEqualTo(20_000);
        assertThat(ledger.held).isZero();
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

    /** A stream that hands out at most {@code piece} bytes a read and says none are waiting. */
    private static DataInputStream trickle(byte[] b, int piece, AtomicLong arrived) {
        return new DataInputStream(
                new ByteArrayInputStream(b) {
                    @Override
                    public synchronized int read(byte[] to, int off, int len) {
                        int n = super.read(to, off, Math.min(len, piece));
                        arrived.addAndGet(Math.max(n, 0));
                        return n;
                    }

                    @Override
                    public synchronized int read() {
                        int b = super.read();
                        arrived.addAndGet(b < 0 ? 0 : 1);
                        return b;
                    }

                    @Override
                    public synchronized int available() {
                        return 0;
                    }
                });
    }

    /** An allowance of {@code max} bytes that keeps its figures. */
    private static final class Ledger implements ReplyFrames.Allowance {
        private final long max;
        private final List<Integer> reservations = new ArrayList<>();
        private long held;
        private long peak;

        /** The most this allowance may ever be asked to hold (checked at each reservation). */
        private LongSupplier bound = () -> Long.MAX_VALUE;

        Ledger(long max) {
            this.max = max;
        }

        @Override
        public boolean reserve(int bytes) {
            if (held + bytes > max) {
                return false;
            }
            assertThat(held + bytes).isLessThanOrEqualTo(bound.getAsLong());
            reservations.add(bytes);
            held += bytes;
            peak = Math.max(peak, held);
            return true;
        }

        @Override
        public void release(int bytes) {
            held -= bytes;
        }
    }
}
