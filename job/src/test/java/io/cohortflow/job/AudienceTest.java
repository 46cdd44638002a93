package io.cohortflow.job;

import static io.cohortflow.job.TestRecords.event;
import static io.cohortflow.job.TestRecords.everPurchased;
import static io.cohortflow.job.TestRecords.threePageviewsIn;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.job.kafka.KafkaConnectors;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.kafka.common.IsolationLevel;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Audience sizes are exact: after random traffic (entries, and exits as windows lapse), a task
 * failure mid-stream and a rescale from a savepoint, each segment's size on the audiences topic
 * equals the number of users the memberships topic says are in it.
 */
class AudienceTest extends KafkaJobTest {
    private static final Duration WAIT = Duration.ofSeconds(90);

    @Test
    void sizes_equal_the_members_after_random_traffic_a_failure_and_a_rescale() throws Exception {
        Map<String, String> fast = Map.of(JobConfig.AUDIENCE_SERIES_INTERVAL.key(), "500 ms");
        JobConfig c = config("aud", fast);
        long t0 = Instant.now().minus(Duration.ofDays(30)).toEpochMilli();
        segment(c, "ws", "buyers", 1, 0, true, false, everPurchased());
        segment(c, "ws", "readers", 1, 0, true, false, threePageviewsIn(2));
        Random random = new Random(42);
        Configuration restart = new Configuration();
        restart.setString("restart-strategy.type", "fixed-delay");
        restart.setString("restart-strategy.fixed-delay.attempts", "3");
        restart.setString("restart-strategy.fixed-delay.delay", "200 ms");
        FailingOnce.reset();
        JobClient first =
                start(
                        c,
                        new FailingOnce(
                                SegmentationSettings.of(
                                        c, KafkaConnectors.definitionsEndOffset(c), true),
                                150),
                        restart);
        // 300 users over 20 days of event time: readers enter with three views in two days and
        // exit as time (moved by later users' events) passes their window.
        for (int i = 0; i < 300; i++) {
            long at = t0 + i * Duration.ofHours(1).toMillis() + random.nextInt(1000);
            int views = random.nextInt(4);
            List<String> events = new ArrayList<>();
            for (int v = 0; v < views; v++) {
                events.add(event("Pageview", at + v));
            }
            if (random.nextInt(3) == 0) {
                events.add(event("Purchase", at + 10));
            }
            events.add(event("Ping", at + 20));
            events(c, "ws", "u" + i, events.toArray(String[]::new));
        }
        Map<String, Long> before;
        try {
            before = awaitAudiencesMatchMemberships(c, m -> true);
            assertThat(FailingOnce.failed.get()).isTrue();
            assertThat(read(c.topics().memberships(), IsolationLevel.READ_COMMITTED))
                    .as("readers left as their windows lapsed")
                    .anyMatch(m -> m.get("change").asText().equals("exited"));
        } catch (Throwable t) {
            first.cancel().get();
            throw t;
        }
        String savepoint =
                first.stopWithSavepoint(
                                false,
                                dir.resolve("savepoints").toUri().toString(),
                                SavepointFormatType.CANONICAL)
                        .get();

        // Rescaled to one subtask: the audience state moves with its key groups.
        Map<String, String> one = new HashMap<>(fast);
        one.put(JobConfig.PARALLELISM.key(), "1");
        JobConfig rescaled = config("aud", one);
        Configuration restore = new Configuration();
        restore.setString("execution.state-recovery.path", savepoint);
        JobClient second =
                start(
                        rescaled,
                        new SegmentationFunction(
                                SegmentationSettings.of(
                                        rescaled,
                                        KafkaConnectors.definitionsEndOffset(rescaled),
                                        true)),
                        restore);
        try {
            long later = t0 + Duration.ofDays(20).toMillis();
            for (int i = 0; i < 50; i++) {
                events(
                        c,
                        "ws",
                        "v" + i,
                        event("Purchase", later + i),
                        event("Pageview", later + i + 1),
                        event("Pageview", later + i + 2),
                        event("Pageview", later + i + 3));
            }
            // Until the 50 new buyers are counted (before them, the sizes match the members too).
            long buyersBefore = before.getOrDefault("buyers", 0L);
            Map<String, Long> sizes =
                    awaitAudiencesMatchMemberships(
                            c, m -> m.getOrDefault("buyers", 0L) == buyersBefore + 50);
            assertThat(sizes.get("buyers")).isEqualTo(buyersBefore + 50);
            assertThat(sizes.get("readers")).isGreaterThanOrEqualTo(1);
            // The series add up: entered minus exited over the kept days is the size (all the
            // traffic is within 30 days).
            JsonNode day = latest(c, "day").get("buyers");
            long net = 0;
            for (JsonNode p : day.get("points")) {
                net += p.get("entered").asLong() - p.get("exited").asLong();
            }
            assertThat(net).isEqualTo(sizes.get("buyers"));
            assertThat(latest(c, "minute").get("buyers").get("points")).isNotEmpty();
        } finally {
            second.cancel().get();
        }
    }

    /**
     * Waits until, for every segment, the newest committed size equals the members by the committed
     * memberships (entered minus exited) and those members are {@code complete}, and returns the
     * sizes.
     */
    private Map<String, Long> awaitAudiencesMatchMemberships(
            JobConfig c, java.util.function.Predicate<Map<String, Long>> complete) {
        AtomicReference<Map<String, Long>> sizes = new AtomicReference<>();
        AtomicReference<Map<String, Long>> members = new AtomicReference<>();
        Awaitility.await()
                .atMost(WAIT)
                .pollInterval(Duration.ofMillis(500))
                .alias("audiences equal to the members of the memberships topic")
                .until(
                        () -> {
                            Map<String, Long> m = new TreeMap<>();
                            for (JsonNode r :
                                    read(c.topics().memberships(), IsolationLevel.READ_COMMITTED)) {
                                m.merge(
                                        r.get("segment_id").asText(),
                                        r.get("change").asText().equals("entered") ? 1L : -1L,
                                        Long::sum);
                            }
                            Map<String, Long> s = new TreeMap<>();
                            latest(c, "now").forEach((k, v) -> s.put(k, v.get("size").asLong()));
                            members.set(m);
                            sizes.set(s);
                            return !m.isEmpty() && m.equals(s) && complete.test(m);
                        });
        return sizes.get();
    }

    /** The newest committed audience record of each segment at a granularity. */
    private Map<String, JsonNode> latest(JobConfig c, String granularity) {
        Map<String, JsonNode> out = new TreeMap<>();
        for (JsonNode r : read(c.topics().audiences(), IsolationLevel.READ_COMMITTED)) {
            if (r.get("granularity").asText().equals(granularity)) {
                out.put(r.get("segment_id").asText(), r);
            }
        }
        return out;
    }
}
