package io.cohortflow.service.segmentation;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.core.contract.ReplyFrames;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

class ReplyListenerTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    private final List<String> heard = new CopyOnWriteArrayList<>();

    @Test
    void frames_reach_the_reader_and_garbage_only_closes_its_own_connection() throws Exception {
        try (ReplyListener listener = listener(ReplyListener.Limits.DEFAULT)) {
            assertThat(listener.address()).startsWith("127.0.0.1:");
            try (Socket bad = connect(listener)) {
                // A length far past the bound: the listener must not try to allocate it.
                bad.getOutputStream()
                        .write(ByteBuffer.allocate(4).putInt(Integer.MAX_VALUE).array());
                bad.getOutputStream().flush();
                assertThat(closedByListener(bad, WAIT)).isTrue();
            }
            try (Socket job = connect(listener)) {
                send(job, "r1");
                send(job, "r2");
                Awaitility.await().atMost(WAIT).until(() -> heard.size() == 2);
            }
            assertThat(heard).containsExactly("r1={\"r1\":1}", "r2={\"r2\":1}");
        }
    }

    @Test
    void values_announced_and_not_sent_hold_only_what_arrived_and_replies_still_arrive()
            throws Exception {
        int senders = 64;
        ReplyListener.Limits d = ReplyListener.Limits.DEFAULT;
        // All from one address here: its share of the connections is not what this is about.
        ReplyListener.Limits limits =
                new ReplyListener.Limits(
                        d.maxConnections(), d.maxConnections(), d.maxHeldBytes(), d.frameTimeout());
        try (ReplyListener listener = listener(limits)) {
            List<Socket> stalled = new ArrayList<>();
            long expected = 0; // each: its key, and the value's first chunk
            try {
                for (int i = 0; i < senders; i++) {
                    Socket s = connect(listener);
                    stalled.add(s);
                    // The largest value a frame may have, announced, and none of it sent: 64 MB
                    // if the listener reserved what is announced, twice its budget.
                    s.getOutputStream().write(header("r-" + i, ReplyFrames.MAX_VALUE_BYTES));
                    s.getOutputStream().flush();
                    expected += ("r-" + i).length() + ReplyFrames.FIRST_CHUNK_BYTES;
                }
                long held = expected;
                Awaitility.await().atMost(WAIT).until(() -> listener.heldBytes() == held);
                assertThat(listener.connections()).isEqualTo(senders);

                try (Socket job = connect(listener)) {
                    send(job, "r1");
                    Awaitility.await().atMost(WAIT).until(() -> heard.size() == 1);
                }
            } finally {
                for (Socket s : stalled) {
                    s.close();
                }
            }
            Awaitility.await().atMost(WAIT).until(() -> listener.heldBytes() == 0);
        }
    }

    @Test
    void
            a_frame_stalled_or_trickling_midway_is_closed_and_a_connection_quiet_between_frames_is_not()
                    throws Exception {
        Duration frameTimeout = Duration.ofMillis(300);
        try (ReplyListener listener =
                        listener(new ReplyListener.Limits(1_024, 64, 32L << 20, frameTimeout));
                Socket quiet = connect(listener);
                Socket stalled = connect(listener);
                Socket trickling = connect(listener)) {
            send(quiet, "r1");
            Awaitility.await().atMost(WAIT).until(() -> heard.size() == 1);

            stalled.getOutputStream().write(header("r2", 1_000));
            stalled.getOutputStream().write(new byte[10]);
            stalled.getOutputStream().flush();
            assertThat(closedByListener(stalled, WAIT)).isTrue();

            // A byte every 50 ms: each read comes in time, the frame as a whole does not.
            trickling.getOutputStream().write(header("r3", 1_000));
            boolean closed = false;
            for (int i = 0; i < 200 && !closed; i++) {
                try {
                    trickling.getOutputStream().write(0);
                    closed = closedByListener(trickling, Duration.ofMillis(50));
                } catch (IOException reset) {
                    closed = true;
                }
            }
            assertThat(closed).as("closed within 200 bytes, 10 s").isTrue();
            assertThat(listener.heldBytes()).isZero();

            // Quiet far longer than a frame may take, between two frames: still served.
            assertThat(closedByListener(quiet, frameTimeout.multipliedBy(2))).isFalse();
            send(quiet, "r4");
            Awaitility.await().atMost(WAIT).until(() -> heard.size() == 2);
            assertThat(heard).containsExactly("r1={\"r1\":1}", "r4={\"r4\":1}");
        }
    }

    @Test
    void frames_past_the_memory_budget_close_their_connections_and_give_it_back() throws Exception {
        long budget = 100 * 1024;
        try (ReplyListener listener =
                listener(new ReplyListener.Limits(1_024, 64, budget, Duration.ofMinutes(1)))) {
            List<Socket> senders = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    Socket s = connect(listener);
                    senders.add(s);
                    // 40 KiB sent of 1 MB announced, three times: more than the budget holds.
                    s.getOutputStream().write(header("r-" + i, ReplyFrames.MAX_VALUE_BYTES));
                    s.getOutputStream().write(new byte[40 * 1024]);
                    s.getOutputStream().flush();
                }
                Awaitility.await()
                        .atMost(WAIT)
                        .until(
                                () -> {
                                    for (Socket s : senders) {
                                        if (closedByListener(s, Duration.ofMillis(20))) {
                                            return true;
                                        }
                                    }
                                    return false;
                                });
                assertThat(listener.heldBytes()).isLessThanOrEqualTo(budget);
            } finally {
                for (Socket s : senders) {
                    s.close();
                }
            }
            Awaitility.await().atMost(WAIT).until(() -> listener.heldBytes() == 0);
            try (Socket job = connect(listener)) {
                send(job, "r1");
                Awaitility.await().atMost(WAIT).until(() -> heard.size() == 1);
            }
        }
    }

    @Test
    void one_address_holds_only_its_share_of_the_connections() throws Exception {
        try (ReplyListener listener =
                listener(new ReplyListener.Limits(1_024, 3, 32L << 20, Duration.ofMinutes(1)))) {
            List<Socket> idle = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    idle.add(connect(listener));
                }
                Awaitility.await().atMost(WAIT).until(() -> listener.connections() == 3);
                try (Socket fourth = connect(listener)) {
                    assertThat(closedByListener(fourth, WAIT)).isTrue();
                }
                // Another address still gets in (all of 127/8 is this machine's).
                try (Socket other =
                        new Socket(
                                "127.0.0.1",
                                port(listener),
                                InetAddress.getByName("127.0.0.2"),
                                0)) {
                    send(other, "r1");
                    Awaitility.await().atMost(WAIT).until(() -> heard.size() == 1);
                }
                for (Socket s : idle) {
                    assertThat(closedByListener(s, Duration.ofMillis(50))).isFalse();
                }
                idle.remove(0).close();
                Awaitility.await().atMost(WAIT).until(() -> listener.connections() == 2);
                try (Socket again = connect(listener)) {
                    send(again, "r2");
                    Awaitility.await().atMost(WAIT).until(() -> heard.size() == 2);
                }
            } finally {
                for (Socket s : idle) {
                    s.close();
                }
            }
        }
    }

    private ReplyListener listener(ReplyListener.Limits limits) throws IOException {
        return new ReplyListener(
                "127.0.0.1",
                0,
                "",
                (k, v) -> heard.add(k + "=" + new String(v, StandardCharsets.UTF_8)),
                limits);
    }

    private static Socket connect(ReplyListener listener) throws IOException {
        return new Socket("127.0.0.1", port(listener));
    }

    private static int port(ReplyListener listener) {
        String a = listener.address();
        return Integer.parseInt(a.substring(a.lastIndexOf(':') + 1));
    }

    /** A frame as the job writes it: {@code {"id":1}} under the key {@code id}. */
    private static void send(Socket s, String id) throws IOException {
        ByteBuffer f =
                ReplyFrames.encode(id, ("{\"" + id + "\":1}").getBytes(StandardCharsets.UTF_8));
        OutputStream out = s.getOutputStream();
        out.write(f.array(), f.position(), f.remaining());
        out.flush();
    }

    /** A frame's key and the length of its value, and none of the value. */
    private static byte[] header(String key, int valueLength) {
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + k.length)
                .putInt(k.length)
                .put(k)
                .putInt(valueLength)
                .array();
    }

    /** True when the listener closes {@code s} within {@code within} (it never writes). */
    private static boolean closedByListener(Socket s, Duration within) throws IOException {
        s.setSoTimeout((int) within.toMillis());
        try {
            return s.getInputStream().read() < 0;
        } catch (SocketTimeoutException open) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }
}
