package io.cohortflow.job.kafka;

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
import org.apache.flink.metrics.SimpleCounter;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

class DirectRepliesTest {
    private final List<KafkaMessage> topic = new ArrayList<>();
    private final SimpleCounter direct = new SimpleCounter();
    private final SimpleCounter viaTopic = new SimpleCounter();
    private final AtomicLong clock = new AtomicLong(1_000);
    private int flushes;

    private final DirectReplies.Writer writer =
            new DirectReplies.Writer(
                    new DirectReplies.Fallback.Topic() {
                        @Override
                        public void send(KafkaMessage m) {
                            topic.add(m);
                        }

                        @Override
                        public void flush() {
                            flushes++;
                        }

                        @Override
                        public void close() {}
                    },
                    direct,
                    viaTopic,
                    clock::get);

    @Test
    void replies_go_straight_once_connected_and_take_the_topic_until_then() throws Exception {
        try (ServerSocket replica =
                new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            String address = "127.0.0.1:" + replica.getLocalPort();
            writer.write(reply("r0", address), null);
            assertThat(topic).extracting(m -> m.key).containsExactly("r0");
            try (Socket s = replica.accept();
                    DataInputStream in =
                            new DataInputStream(new BufferedInputStream(s.getInputStream()))) {
                // Connected: the next replies go straight, whole and in order.
                Awaitility.await()
                        .atMost(Duration.ofSeconds(10))
                        .until(
                                () -> {
                                    writer.write(reply("probe", address), null);
                                    return direct.getCount() > 0;
                                });
                for (int i = 1; i <= 3; i++) {
                    writer.write(reply("r" + i, address), null);
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
                                writer.write(reply("after", address), null);
                                return topic.size() > before;
                            });
            long viaTopicBefore = viaTopic.getCount();
            writer.write(reply("still", address), null);
            assertThat(viaTopic.getCount()).isEqualTo(viaTopicBefore + 1);
            clock.addAndGet(DirectReplies.RETRY_MILLIS);
            writer.write(reply("retry", address), null);
            try (Socket again = acceptWithin(replica)) {
                assertThat(again).isNotNull();
            }
        } finally {
            writer.close();
        }
    }

    @Test
    void a_replica_that_cannot_be_reached_and_a_message_without_one_take_the_topic()
            throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        String address = "127.0.0.1:" + closedPort;
        try {
            for (int i = 0; i < 20; i++) {
                writer.write(reply("r" + i, address), null);
                Thread.sleep(10);
            }
            KafkaMessage deadLetter = new KafkaMessage("cohortflow.dead-letter", "k", new byte[0]);
            writer.write(deadLetter, null);
            assertThat(topic).hasSize(21);
            assertThat(direct.getCount()).isZero();
            writer.flush(false);
            assertThat(flushes).isEqualTo(1);
        } finally {
            writer.close();
        }
    }

    @Test
    void a_reply_past_a_frames_bounds_takes_the_topic_instead_of_failing_the_task() {
        try {
            KafkaMessage huge = reply("big", "127.0.0.1:9");
            huge.value = new byte[ReplyFrames.MAX_VALUE_BYTES + 1];
            writer.write(huge, null);
            assertThat(topic).containsExactly(huge);
        } finally {
            writer.close();
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
