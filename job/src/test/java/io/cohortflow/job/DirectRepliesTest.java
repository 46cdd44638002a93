package io.cohortflow.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.core.contract.ReplyFrames;
import io.cohortflow.job.model.KafkaMessage;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

class DirectRepliesTest {
    /** What took the topic: the replies {@link DirectReplies.Replicas#send} did not write. */
    private final List<KafkaMessage> topic = new ArrayList<>();

    private final AtomicLong clock = new AtomicLong(1_000);
    private final DirectReplies.Replicas replicas = new DirectReplies.Replicas(clock::get);
    private int direct;

    /** Offers probes until one goes straight: the connection, opened off the caller, is up. */
    private void awaitConnected(String address) {
        Awaitility.await()
                .atMost(Duration.ofSeconds(10))
                .until(
                        () -> {
                            offer(reply("probe", address));
                            return direct > 0;
                        });
    }

    private void offer(KafkaMessage m) {
        if (replicas.send(m)) {
            direct++;
        } else {
            topic.add(m);
        }
    }

    @Test
    void replies_go_straight_once_connected_and_take_the_topic_until_then() throws Exception {
        try (ServerSocket replica =
                new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            String address = "127.0.0.1:" + replica.getLocalPort();
            offer(reply("r0", address));
            assertThat(topic).extracting(m -> m.key).containsExactly("r0");
            try (Socket s = replica.accept();
                    DataInputStream in =
                            new DataInputStream(new BufferedInputStream(s.getInputStream()))) {
                // Connected: the next replies go straight, whole and in order.
                awaitConnected(address);
                for (int i = 1; i <= 3; i++) {
                    offer(reply("r" + i, address));
                }
                List<String> heard = new ArrayList<>();
                while (heard.size() < 3) {
                    ReplyFrames.Frame f = ReplyFrames.read(in);
                    if (!f.key().equals("probe")) {
                        heard.add(f.key() + "=" + new String(f.value(), StandardCharsets.UTF_8));
                    }
                }
                assertThat(heard)
                        .containsExactly("r1={\"r1\":1}", "r2={\"r2\":1}", "r3={\"r3\":1}");
            }
            // The replica went away: the next replies take the topic, and no connection is tried
            // again before the retry delay.
            Awaitility.await()
                    .atMost(Duration.ofSeconds(10))
                    .until(
                            () -> {
                                int before = topic.size();
                                offer(reply("after", address));
                                return topic.size() > before;
                            });
            int topicBefore = topic.size();
            offer(reply("still", address));
            assertThat(topic).hasSize(topicBefore + 1);
            clock.addAndGet(DirectReplies.RETRY_MILLIS);
            offer(reply("retry", address));
            try (Socket again = acceptWithin(replica)) {
                assertThat(again).isNotNull();
            }
        } finally {
            replicas.close();
        }
    }

    /**
     * A replica that closed its end (restarted at the same address, as a service container in its
     * pod does): the next reply takes the topic. Written to the closed connection, it landed in the
     * local socket buffer, counted as sent, and was lost; only the write after it failed.
     */
    @Test
    void the_first_reply_after_the_replica_closed_its_end_takes_the_topic() throws Exception {
        try (ServerSocket replica =
                new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            String address = "127.0.0.1:" + replica.getLocalPort();
            offer(reply("r0", address));
            try (Socket s = replica.accept();
                    DataInputStream in =
                            new DataInputStream(new BufferedInputStream(s.getInputStream()))) {
                awaitConnected(address);
                assertThat(ReplyFrames.read(in).key()).isEqualTo("probe");
            }
            Thread.sleep(200); // the end of stream reaches the job's side
            int directBefore = direct;
            offer(reply("after", address));
            assertThat(direct).isEqualTo(directBefore);
            assertThat(topic).extracting(m -> m.key).contains("after");
        } finally {
            replicas.close();
        }
    }

    @Test
    void a_replica_that_cannot_be_reached_takes_the_topic_and_is_not_retried_at_once()
            throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        String address = "127.0.0.1:" + closedPort;
        try {
            for (int i = 0; i < 20; i++) {
                offer(reply("r" + i, address));
                Thread.sleep(10);
            }
            assertThat(topic).hasSize(20);
            assertThat(direct).isZero();
        } finally {
            replicas.close();
        }
    }

    /** The function in the job: what it cannot write straight goes on to the side sink. */
    @Test
    void records_without_a_replica_and_replies_it_cannot_reach_go_on_to_the_side_sink()
            throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        KafkaMessage deadLetter = new KafkaMessage("cohortflow.dead-letter", "k", new byte[0]);
        KafkaMessage unreachable = reply("r1", "127.0.0.1:" + closedPort);
        try (var h = ProcessFunctionTestHarnesses.forProcessFunction(new DirectReplies())) {
            h.processElement(deadLetter, 0);
            h.processElement(unreachable, 0);
            // The harness hands on copies: compared by content, the reply with its address.
            assertThat(h.extractOutputValues())
                    .extracting(m -> m + " " + m.replyTo)
                    .containsExactly(
                            deadLetter + " null", unreachable + " 127.0.0.1:" + closedPort);
        }
    }

    @Test
    void a_reply_past_a_frames_bounds_takes_the_topic_instead_of_failing_the_task() {
        try {
            KafkaMessage huge = reply("big", "127.0.0.1:9");
            huge.value = new byte[ReplyFrames.MAX_VALUE_BYTES + 1];
            offer(huge);
            assertThat(topic).containsExactly(huge);
        } finally {
            replicas.close();
        }
    }

    /**
     * Envelopes name the addresses, so a stream of new ones must not queue connection attempts
     * without end: past {@link DirectReplies#MAX_PENDING_CONNECTS} waiting, a new replica's replies
     * take the topic and its connection is tried after the retry delay.
     */
    @Test
    void connection_attempts_waiting_their_turn_are_bounded() {
        List<Runnable> waiting = new ArrayList<>();
        DirectReplies.Replicas bounded = new DirectReplies.Replicas(clock::get, waiting::add);
        for (int i = 0; i < 3 * DirectReplies.MAX_PENDING_CONNECTS; i++) {
            assertThat(bounded.send(reply("r" + i, "127.0.0.1:" + (40_000 + i)))).isFalse();
        }
        assertThat(waiting).hasSize(DirectReplies.MAX_PENDING_CONNECTS);
        // Once those are done, a replica turned away is tried again after the retry delay.
        waiting.forEach(Runnable::run);
        waiting.clear();
        String turnedAway = "127.0.0.1:" + (40_000 + 2 * DirectReplies.MAX_PENDING_CONNECTS);
        bounded.send(reply("again", turnedAway));
        assertThat(waiting).isEmpty();
        clock.addAndGet(DirectReplies.RETRY_MILLIS);
        bounded.send(reply("again", turnedAway));
        assertThat(waiting).hasSize(1);
        bounded.close();
    }

    /**
     * A replica that leaves the table (past {@link DirectReplies#MAX_REPLICAS}) has its connection
     * closed, whether it was open already or still waiting to be opened: one opened after its
     * eviction was never closed, a socket leaked per evicted replica.
     */
    @Test
    void a_replica_evicted_from_the_table_keeps_no_connection_open() throws Exception {
        List<Runnable> waiting = new ArrayList<>();
        DirectReplies.Replicas table = new DirectReplies.Replicas(clock::get, waiting::add);
        try (ServerSocket open =
                        new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
                ServerSocket queued =
                        new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            String openAddress = "127.0.0.1:" + open.getLocalPort();
            String queuedAddress = "127.0.0.1:" + queued.getLocalPort();
            table.send(reply("a", openAddress));
            waiting.remove(0).run(); // connected
            try (Socket accepted = acceptWithin(open)) {
                assertThat(table.send(reply("b", openAddress))).isTrue();
                table.send(reply("c", queuedAddress)); // its connection waits its turn
                // Newer replicas push both out of the table, the connected one first.
                for (int i = 0; i < DirectReplies.MAX_REPLICAS; i++) {
                    table.send(reply("x" + i, "127.0.0.1:" + (40_000 + i)));
                }
                // The open connection is closed: the replica reads its frame, then the end.
                DataInputStream in = new DataInputStream(accepted.getInputStream());
                assertThat(ReplyFrames.read(in).key()).isEqualTo("b");
                accepted.setSoTimeout(10_000);
                assertThat(in.read()).isEqualTo(-1);
            }
            // The waiting one, run after its eviction, opens nothing.
            waiting.remove(0).run();
            queued.setSoTimeout(500);
            org.assertj.core.api.Assertions.assertThatThrownBy(queued::accept)
                    .isInstanceOf(java.net.SocketTimeoutException.class);
        } finally {
            table.close();
        }
    }

    private static KafkaMessage reply(String id, String address) {
        KafkaMessage m =
                new KafkaMessage(
                        "cohortflow.replies",
                        id,
                        ("{\"" + id + "\":1}").getBytes(StandardCharsets.UTF_8));
        m.replyTo = address;
        return m;
    }

    private static Socket acceptWithin(ServerSocket s) throws Exception {
        s.setSoTimeout(10_000);
        return s.accept();
    }
}
