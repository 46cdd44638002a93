package io.cohortflow.job.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.config.CommonSettings;
import io.cohortflow.core.contract.Json;
import io.cohortflow.job.CohortflowJob;
import io.cohortflow.job.JobConfig;
import io.cohortflow.job.TestRecords;
import io.cohortflow.kafka.CohortflowTopics;
import io.cohortflow.kafka.EmbeddedKafka;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * How long a membership change takes to become visible to a {@code read_committed} consumer of the
 * memberships topic, the exactly-once path (transactions commit when a checkpoint completes). For
 * each checkpoint interval given, on the embedded broker with the job on a mini cluster (RocksDB,
 * parallelism 2): a producer sends events at a steady rate, each making a new user enter a segment,
 * and a {@code read_committed} consumer times each entry from the send of its event. Prints p50 /
 * p95 / p99 / max per interval ({@code FIGURE} lines).
 *
 * <p>System properties: {@code intervals} (ISO durations, comma-separated, default PT1S,PT10S),
 * {@code rate} (events/s, default 2000), {@code seconds} (default 30); {@code cohortflow.*} set the
 * job's own settings.
 */
public final class VisibilityBench {
    private static final int RATE = Integer.getInteger("rate", 2000);
    private static final int SECONDS = Integer.getInteger("seconds", 30);

    public static void main(String[] args) throws Exception {
        List<String> figures = new ArrayList<>();
        for (String interval : System.getProperty("intervals", "PT1S,PT10S").split(",")) {
            String f = run(Duration.parse(interval.trim()));
            System.out.println("FIGURE " + f);
            figures.add(f);
        }
        System.out.println();
        System.out.println("==== membership visibility (read_committed) ====");
        figures.forEach(System.out::println);
    }

    private static String run(Duration interval) throws Exception {
        Path dir = Files.createTempDirectory("bench-visibility");
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            Map<String, String> s = new HashMap<>();
            s.put(CommonSettings.KAFKA_BOOTSTRAP_SERVERS.key(), kafka.bootstrapServers());
            s.put(JobConfig.CHECKPOINT_DIR.key(), dir.toUri().toString());
            s.put(JobConfig.CHECKPOINT_INTERVAL.key(), interval.toString());
            s.put(JobConfig.PARALLELISM.key(), "2");
            // The job's settings from the command line (-Dcohortflow.job.state-local-dir=...).
            for (String name : System.getProperties().stringPropertyNames()) {
                if (name.startsWith("cohortflow.")) {
                    s.put(name, System.getProperty(name));
                }
            }
            JobConfig c = JobConfig.from(s);
            CohortflowTopics.ensure(kafka.bootstrapServers(), c.topics(), 2);
            Map<String, Object> pc = new HashMap<>();
            pc.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
            pc.put(ProducerConfig.LINGER_MS_CONFIG, "0");
            try (KafkaProducer<String, String> p =
                    new KafkaProducer<>(pc, new StringSerializer(), new StringSerializer())) {
                p.send(
                                new ProducerRecord<>(
                                        c.topics().definitions(),
                                        "ws/buyers",
                                        TestRecords.segmentJson(
                                                "ws",
                                                "buyers",
                                                1,
                                                0,
                                                true,
                                                false,
                                                TestRecords.everPurchased())))
                        .get();
                Configuration conf = CohortflowJob.flinkConfiguration(c);
                int rest = freePort();
                conf.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
                conf.set(RestOptions.PORT, rest);
                StreamExecutionEnvironment env =
                        StreamExecutionEnvironment.getExecutionEnvironment(conf);
                CohortflowJob.onKafka(c).build(env);
                JobClient job = env.executeAsync("visibility-" + interval);
                try {
                    String visibility = measure(kafka, c, p, interval);
                    return visibility + "; " + checkpoints(rest, job.getJobID().toString());
                } finally {
                    job.cancel().get();
                }
            }
        }
    }

    private static String measure(
            EmbeddedKafka kafka, JobConfig c, KafkaProducer<String, String> p, Duration interval)
            throws Exception {
        Map<String, Long> sent = new ConcurrentHashMap<>();
        List<Long> latencies = new ArrayList<>();
        Properties cc = new Properties();
        cc.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        cc.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        cc.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "10");
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(cc, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = new ArrayList<>();
            consumer.partitionsFor(c.topics().memberships())
                    .forEach(i -> parts.add(new TopicPartition(i.topic(), i.partition())));
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            // Warm-up: the job running and the segment live before the clock starts.
            String warm = "warm";
            send(p, c, warm, sent);
            long deadline = System.currentTimeMillis() + 120_000;
            while (!seen(consumer, warm, sent, null) && System.currentTimeMillis() < deadline) {
                Thread.sleep(10);
            }
            int total = RATE * SECONDS;
            long start = System.nanoTime();
            int produced = 0;
            while (produced < total || sent.size() > 0) {
                long due = (System.nanoTime() - start) * RATE / 1_000_000_000L;
                while (produced < total && produced < due) {
                    send(p, c, "u" + produced++, sent);
                }
                seen(consumer, null, sent, latencies);
                if (System.nanoTime() - start > Duration.ofSeconds(SECONDS + 120).toNanos()) {
                    break; // some never came: reported as lost
                }
            }
            long[] l = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
            return String.format(
                    "checkpoint interval %s, %d events/s for %d s: %d memberships visible to read_committed, latency from send p50 %d ms, p95 %d ms, p99 %d ms, max %d ms; %d not seen",
                    interval,
                    RATE,
                    SECONDS,
                    l.length,
                    pct(l, 50),
                    pct(l, 95),
                    pct(l, 99),
                    l.length == 0 ? -1 : l[l.length - 1],
                    sent.size());
        }
    }

    private static void send(
            KafkaProducer<String, String> p, JobConfig c, String user, Map<String, Long> sent) {
        sent.put(user, System.currentTimeMillis());
        p.send(
                new ProducerRecord<>(
                        c.topics().events(),
                        "ws/" + user,
                        TestRecords.envelope(
                                "ws",
                                user,
                                null,
                                TestRecords.event(
                                        "Purchase",
                                        Instant.now().minusSeconds(1).toEpochMilli()))));
    }

    /** Polls once; times each entry seen. Returns whether {@code wanted} was among them. */
    private static boolean seen(
            KafkaConsumer<byte[], byte[]> consumer,
            String wanted,
            Map<String, Long> sent,
            List<Long> latencies)
            throws Exception {
        boolean found = false;
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(20))) {
            long now = System.currentTimeMillis();
            String user = Json.MAPPER.readTree(r.value()).get("user_id").asText();
            Long at = sent.remove(user);
            found |= user.equals(wanted);
            if (at != null && latencies != null) {
                latencies.add(now - at);
            }
        }
        return found;
    }

    private static int freePort() {
        return io.cohortflow.kafka.FreePorts.next();
    }

    /**
     * The checkpoints of the run as Flink's REST API summarises them: a membership waits for the
     * next checkpoint to start and then for it to complete, so its duration is the part of the
     * latency the interval does not explain.
     */
    private static String checkpoints(int port, String job) throws Exception {
        HttpResponse<String> r =
                HttpClient.newHttpClient()
                        .send(
                                HttpRequest.newBuilder(
                                                URI.create(
                                                        "http://127.0.0.1:"
                                                                + port
                                                                + "/jobs/"
                                                                + job
                                                                + "/checkpoints"))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
        JsonNode body = Json.MAPPER.readTree(r.body());
        JsonNode duration = body.path("summary").path("end_to_end_duration");
        JsonNode size = body.path("summary").path("checkpointed_size");
        java.util.Set<String> failures = new java.util.TreeSet<>();
        JsonNode latestFailed = body.path("latest").path("failed");
        if (latestFailed.has("failure_message")) {
            failures.add(latestFailed.path("failure_message").asText());
        }
        for (JsonNode h : body.path("history")) {
            if ("FAILED".equals(h.path("status").asText())) {
                failures.add(h.path("failure_message").asText());
            }
        }
        return String.format(
                "checkpoints completed %d, failed %d, duration p50 %d ms, p99 %d ms, max %d ms,"
                        + " checkpointed size avg %d KB%s",
                body.path("counts").path("completed").asLong(),
                body.path("counts").path("failed").asLong(),
                duration.path("p50").asLong(),
                duration.path("p99").asLong(),
                duration.path("max").asLong(),
                size.path("avg").asLong() / 1024,
                failures.isEmpty() ? "" : "; failed: " + String.join(" | ", failures));
    }

    private static long pct(long[] sorted, int p) {
        return sorted.length == 0
                ? -1
                : sorted[Math.min(sorted.length - 1, sorted.length * p / 100)];
    }
}
