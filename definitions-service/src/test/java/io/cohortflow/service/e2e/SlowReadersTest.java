package io.cohortflow.service.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.core.contract.EventEnvelope;
import io.cohortflow.core.contract.Json;
import io.cohortflow.core.contract.ReplyRecord;
import io.cohortflow.core.contract.TopicNames;
import io.cohortflow.service.api.Http;
import io.cohortflow.service.segmentation.SegmentationConfig;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Clients that never read their answers hold no one else's: on the real service over an in-JVM
 * broker, with a stand-in for the job that answers each request on the replies topic as the job's
 * subtask does (the non-reading clients' users with a reply near the 1 MB a record may take, every
 * other user with a small one). globex may have one request in flight.
 */
class SlowReadersTest {
    static ServiceOnBroker stack;
    static Http http;
    static final AtomicBoolean running = new AtomicBoolean(true);
    static Thread job;

    /** Requests the stand-in answered, per user. */
    static final Map<String, AtomicInteger> answered = new ConcurrentHashMap<>();

    /** The users whose answers are large. */
    static final java.util.Set<String> large = ConcurrentHashMap.newKeySet();

    /** About 930 000 bytes of cohorts: one record, and one response body of that size. */
    static final List<String> MANY_COHORTS = manyCohorts();

    @BeforeAll
    static void start() throws Exception {
        stack =
                ServiceOnBroker.start(
                        c ->
                                c.withApiKeys(
                                        List.of(
                                                SegmentationLimitsTest.key("ci", "ci-key", "acme"),
                                                SegmentationLimitsTest.key(
                                                        "other", "other-key", "globex"))),
                        Map.of(
                                SegmentationConfig.TIMEOUT.key(),
                                "3 s",
                                SegmentationConfig.WORKSPACE + "globex.max-in-flight",
                                "1"));
        http = stack.http;
        job = standInJob(stack.kafka.bootstrapServers());
    }

    @AfterAll
    static void stop() throws Exception {
        running.set(false);
        if (job != null) {
            job.join(10_000);
        }
        if (stack != null) {
            stack.close();
        }
    }

    private static List<String> manyCohorts() {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < 9_000; i++) {
            out.add(String.format("s%099d", i));
        }
        return List.copyOf(out);
    }

    /**
     * Reads the events topic from its end and answers every request on the replies topic, as a
     * job's subtask does when it cannot answer straight to the replica.
     */
    private static Thread standInJob(String bootstrap) throws InterruptedException {
        KafkaConsumer<String, byte[]> consumer =
                new KafkaConsumer<>(
                        Map.of(
                                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                bootstrap,
                                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                                false),
                        new StringDeserializer(),
                        new ByteArrayDeserializer());
        List<TopicPartition> parts = new ArrayList<>();
        consumer.partitionsFor(TopicNames.DEFAULT.events())
                .forEach(p -> parts.add(new TopicPartition(p.topic(), p.partition())));
        consumer.assign(parts);
        consumer.seekToEnd(parts);
        parts.forEach(consumer::position); // resolved now: no request sent after this is missed
        KafkaProducer<String, byte[]> producer =
                new KafkaProducer<>(
                        Map.of(
                                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                bootstrap,
                                ProducerConfig.LINGER_MS_CONFIG,
                                0),
                        new StringSerializer(),
                        new ByteArraySerializer());
        Thread t =
                new Thread(
                        () -> {
                            try (consumer;
                                    producer) {
                                while (running.get()) {
                                    for (ConsumerRecord<String, byte[]> r :
                                            consumer.poll(Duration.ofMillis(100))) {
                                        EventEnvelope e = Json.read(r.value(), EventEnvelope.class);
                                        List<String> cohorts =
                                                large.contains(e.userId())
                                                        ? MANY_COHORTS
                                                        : List.of("s1");
                                        producer.send(
                                                new ProducerRecord<>(
                                                        TopicNames.DEFAULT.replies(),
                                                        e.requestId(),
                                                        Json.bytes(
                                                                new ReplyRecord(
                                                                        e.requestId(),
                                                                        e.userId(),
                                                                        cohorts,
                                                                        null,
                                                                        null,
                                                                        false))),
                                                (m, error) ->
                                                        answered.computeIfAbsent(
                                                                        e.userId(),
                                                                        u -> new AtomicInteger())
                                                                .incrementAndGet());
                                    }
                                }
                            } catch (java.io.IOException e) {
                                throw new java.io.UncheckedIOException(e);
                            }
                        },
                        "stand-in-job");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /**
     * A client that sends eight segmentation requests at once on one connection (pipelined, so the
     * server answers them one after the other), with a small receive buffer, and reads nothing. The
     * server's socket takes up to a few MB before a write waits (its send buffer grows to 4 MB on
     * Linux), more than one answer (a record of the replies topic, at most 1 MB): the answers fill
     * it, and the write of the third or so cannot finish.
     */
    private static Socket nonReader(String user) throws Exception {
        Socket s = new Socket();
        s.setReceiveBufferSize(1024);
        s.connect(new InetSocketAddress("127.0.0.1", stack.port()), 5_000);
        String body = "{\"user_id\":\"" + user + "\"}";
        String request =
                "POST /ccs/v1/segmentation?k=ci-key HTTP/1.1\r\n"
                        + "Host: 127.0.0.1\r\n"
                        + "Content-Type: application/json\r\n"
                        + "Content-Length: "
                        + body.getBytes(StandardCharsets.UTF_8).length
                        + "\r\n\r\n"
                        + body;
        OutputStream out = s.getOutputStream();
        out.write(request.repeat(8).getBytes(StandardCharsets.UTF_8));
        out.flush();
        return s;
    }

    /** Segmentation requests answered with {@code status}, as {@code /metrics} counts them. */
    static double served(String status) {
        String series =
                "cohortflow_http_requests_seconds_count{method=\"POST\","
                        + "route=\"/ccs/v1/segmentation\",status=\""
                        + status
                        + "\"}";
        for (String line : http.get("/metrics").body().split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).trim());
            }
        }
        return 0;
    }

    /** Threads blocked writing a response to a client that does not read it. */
    static List<Thread> blockedWriting() {
        List<Thread> out = new ArrayList<>();
        Thread.getAllStackTraces()
                .forEach(
                        (t, stack) -> {
                            boolean waits =
                                    t.getState() == Thread.State.WAITING
                                            || t.getState() == Thread.State.TIMED_WAITING;
                            boolean writes = false;
                            for (StackTraceElement f : stack) {
                                if (f.getClassName().endsWith(".HttpOutput")
                                        && f.getMethodName().startsWith("write")) {
                                    writes = true;
                                    break;
                                }
                            }
                            if (waits && writes) {
                                out.add(t);
                            }
                        });
        return out;
    }

    /** The threads that answer requests or write responses, for a failure's message. */
    static String threads() {
        StringBuilder b = new StringBuilder();
        Thread.getAllStackTraces()
                .forEach(
                        (t, stack) -> {
                            if (t.getName().startsWith("segmentation-answers")
                                    || t.getName().startsWith("JettyServerThreadPool")) {
                                b.append(t.getName()).append(' ').append(t.getState()).append('\n');
                                for (int i = 0; i < Math.min(stack.length, 12); i++) {
                                    b.append("    ").append(stack[i]).append('\n');
                                }
                            }
                        });
        return b.toString();
    }

    @Test
    void two_clients_that_do_not_read_large_answers_delay_no_other_workspace_s_replies()
            throws Exception {
        List<String> users = List.of(UUID.randomUUID().toString(), UUID.randomUUID().toString());
        List<Socket> clients = new ArrayList<>();
        try {
            for (String u : users) {
                large.add(u);
                clients.add(nonReader(u));
            }
            // An answer to each client is being written, and its write waits.
            try {
                Awaitility.await()
                        .atMost(Duration.ofSeconds(20))
                        .until(() -> blockedWriting().size() >= 2);
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                throw new AssertionError("answered " + answered + "\n" + threads(), e);
            }
            List<String> writers = blockedWriting().stream().map(Thread::getName).toList();

            // Another workspace's request is answered, not held behind them until its timeout;
            // each frees its one slot (or the next would be a 429) and is counted, once.
            double before = served("200");
            for (int i = 0; i < 3; i++) {
                Http.Response r =
                        http.post(
                                "/ccs/v1/segmentation?k=other-key",
                                "{\"user_id\":\"" + UUID.randomUUID() + "\"}");
                assertThat(r.status())
                        .as("%s; writes waiting: %s; requests answered: %s", r, writers, answered)
                        .isEqualTo(200);
                assertThat(r.json().get("cohorts").get(0).asText()).isEqualTo("s1");
            }
            assertThat(served("200") - before).isEqualTo(3);
            // A waiting write holds no slot of its workspace either: its request was counted
            // and its slot freed before the write began.
            Http.Response same =
                    http.post(
                            "/ccs/v1/segmentation?k=ci-key",
                            "{\"user_id\":\"" + UUID.randomUUID() + "\"}");
            assertThat(same.status()).as("%s", same).isEqualTo(200);
            // They hold server threads, as any blocking handler would, and nothing else.
            assertThat(writers).noneMatch(n -> n.startsWith("segmentation-answers"));
        } finally {
            for (Socket s : clients) {
                s.close();
            }
        }
    }
}
