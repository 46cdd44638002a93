package io.cohortflow.job;

import static io.cohortflow.job.TestRecords.DAY;
import static io.cohortflow.job.TestRecords.event;
import static io.cohortflow.job.TestRecords.everPurchased;
import static io.cohortflow.job.TestRecords.threePageviewsIn;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.kafka.KafkaTopics;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.flink.core.execution.JobClient;
import org.apache.kafka.common.IsolationLevel;
import org.junit.jupiter.api.Test;

/** The whole graph on a Flink mini cluster against a real broker. */
class StreamingJobTest extends KafkaJobTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void memberships_follow_events_definitions_and_windows_end_to_end() throws Exception {
        JobConfig c = config("e2e", Map.of());
        // Event times close to now, so none is rejected as from the future.
        long t0 = Instant.now().minus(Duration.ofDays(20)).toEpochMilli();
        long started = System.currentTimeMillis();
        segment(c, "ws", "buyers", 1, 0, true, false, everPurchased());
        JobClient job = start(c);
        try {
            events(c, "ws", "alice", event("Purchase", t0));
            events(
                    c,
                    "ws",
                    "bob",
                    event("Pageview", t0),
                    event("Pageview", t0 + 1000),
                    event("Pageview", t0 + 2000));
            awaitCommitted(c.topics().memberships(), m -> count(m, "user_id", "alice") == 1, WAIT);

            // A definition published after the events: bob, already known, enters.
            segment(c, "ws", "readers", 1, 0, true, false, threePageviewsIn(7));
            awaitCommitted(
                    c.topics().memberships(), m -> count(m, "segment_id", "readers") == 1, WAIT);

            // Deleting "buyers" exits alice.
            segment(c, "ws", "buyers", 2, 1, true, true, everPurchased());
            awaitCommitted(c.topics().memberships(), m -> count(m, "change", "exited") == 1, WAIT);

            // Time passes (another user's later event moves the watermark): bob's window lapses.
            events(c, "ws", "carol", event("Click", t0 + 8 * DAY));
            events(c, "ws", "dave", event("Click", t0 + 8 * DAY));
            List<JsonNode> all =
                    awaitCommitted(
                            c.topics().memberships(), m -> count(m, "change", "exited") == 2, WAIT);
            JsonNode bobExit =
                    all.stream()
                            .filter(
                                    m ->
                                            m.get("user_id").asText().equals("bob")
                                                    && m.get("change").asText().equals("exited"))
                            .findFirst()
                            .orElseThrow();
            assertThat(Instant.parse(bobExit.get("time").asText()).toEpochMilli())
                    .isEqualTo(t0 + 7 * DAY);
            assertNoDuplicates(all);
            // Stamped with the clock when written, not with the 20-day-old event times: the
            // broker's retention (7 days) goes by record timestamps and would delete them.
            assertThat(
                            KafkaTopics.drain(
                                    kafka.bootstrapServers(),
                                    c.topics().memberships(),
                                    IsolationLevel.READ_COMMITTED,
                                    WAIT))
                    .isNotEmpty()
                    .allSatisfy(r -> assertThat(r.timestamp()).isGreaterThanOrEqualTo(started));

            // Each subtask reports each definition live, then applied once its sweep is done.
            List<JsonNode> applied = read(c.topics().applied(), IsolationLevel.READ_UNCOMMITTED);
            for (String id : List.of("buyers", "readers")) {
                for (String status : List.of("live", "applied")) {
                    assertThat(applied)
                            .filteredOn(a -> a.get("id").asText().equals(id))
                            .filteredOn(a -> a.get("status").asText().equals(status))
                            .extracting(a -> a.get("subtask").asInt())
                            .as("%s %s", id, status)
                            .contains(0, 1);
                }
            }
        } finally {
            job.cancel().get();
        }
    }

    @Test
    void on_an_idle_stream_a_one_minute_window_lapses_on_time_with_no_other_traffic()
            throws Exception {
        JobConfig c = config("idle", Map.of(JobConfig.IDLENESS.key(), "PT1S"));
        segment(c, "ws", "just-now", 1, 0, true, false, TestRecords.pageviewInTheLastMinute());
        JobClient job = start(c);
        try {
            long at = System.currentTimeMillis() - 45_000;
            events(c, "ws", "erin", event("Pageview", at));
            // Nothing else arrives: the exit comes when the wall clock passes the window's end.
            List<JsonNode> all =
                    awaitCommitted(
                            c.topics().memberships(),
                            m -> count(m, "change", "exited") == 1,
                            Duration.ofSeconds(90));
            assertThat(all)
                    .extracting(m -> m.get("change").asText())
                    .containsExactly("entered", "exited");
            assertThat(Instant.parse(all.get(1).get("time").asText()).toEpochMilli())
                    .isEqualTo(at + 60_000);
        } finally {
            job.cancel().get();
        }
    }

    @Test
    void malformed_input_goes_to_the_dead_letter_topic_and_the_job_keeps_running()
            throws Exception {
        JobConfig c = config("dlq", Map.of());
        long t0 = Instant.now().minus(Duration.ofDays(1)).toEpochMilli();
        segment(c, "ws", "buyers", 1, 0, true, false, everPurchased());
        JobClient job = start(c);
        try {
            produce(c.topics().events(), "ws/x", "{this is not json");
            produce(c.topics().events(), null, "{\"events\":[]}");
            events(c, "ws", "erin", event("Purchase", t0));
            awaitCommitted(c.topics().memberships(), m -> count(m, "user_id", "erin") == 1, WAIT);
            List<JsonNode> dl = read(c.topics().deadLetter(), IsolationLevel.READ_UNCOMMITTED);
            assertThat(dl)
                    .extracting(n -> n.get("reason").asText())
                    .contains("malformed_json", "invalid_envelope");
            assertThat(job.getJobStatus().get().isGloballyTerminalState()).isFalse();
        } finally {
            job.cancel().get();
        }
    }
}
