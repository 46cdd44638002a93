package io.cohortflow.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.config.CommonSettings;
import io.cohortflow.core.contract.Json;
import io.cohortflow.job.JobConfig;
import io.cohortflow.job.backfill.Backfill;
import io.cohortflow.job.backfill.BackfillOptions;
import io.cohortflow.kafka.KafkaTopics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.flink.configuration.Configuration;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The documented local flow of docs/backfill.md on the embedded stack: a backfill against the
 * running stack's broker, a restart naming its savepoint (users are answered from the backfilled
 * state, live events count on top), and a further restart with the setting still there, which keeps
 * the job's own newer state instead of going back to the backfill.
 */
class BootstrapFromBackfillTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir Path data;
    @TempDir Path work;

    @Test
    void the_stack_starts_from_a_backfill_once_then_from_its_own_state() throws Exception {
        String fan = UUID.randomUUID().toString();
        String reader = UUID.randomUUID().toString();
        long t = Instant.now().minus(Duration.ofDays(3)).toEpochMilli();
        Path history = Files.createDirectories(work.resolve("history"));
        Files.writeString(
                history.resolve("events.jsonl"),
                envelope(fan, "sport", t) + "\n" + envelope(reader, "news", t) + "\n");
        String savepoint = work.resolve("bootstrap").toUri().toString();
        // The backfill reads its definitions from a file in another order than the topic's: the
        // job it bootstraps must still read its profiles under the backfill's numbers.
        Path definitions = work.resolve("definitions.jsonl");
        Files.writeString(definitions, readers("news") + "\n" + readers("sport") + "\n");

        try (CohortflowStack stack = CohortflowStack.start(config(Map.of()))) {
            define(stack, List.of(readers("sport"), readers("news")));
            JobConfig job =
                    JobConfig.from(
                            Map.of(
                                    CommonSettings.KAFKA_BOOTSTRAP_SERVERS.key(),
                                    stack.bootstrapServers()));
            Backfill.run(
                    new BackfillOptions(
                            List.of(history.toString()),
                            null,
                            Long.MIN_VALUE,
                            Instant.now().toEpochMilli(),
                            null,
                            work.resolve("out").toString(),
                            false,
                            false,
                            savepoint,
                            definitions.toString(),
                            null,
                            io.cohortflow.job.backfill.BackfillOptions.JSON_LINES),
                    job,
                    new Configuration());
        }
        assertThat(lines(work.resolve("out").resolve("memberships")))
                .hasSize(2)
                .anySatisfy(l -> assertThat(l).contains(fan, "sport-readers"))
                .anySatisfy(l -> assertThat(l).contains(reader, "news-readers"));

        Map<String, String> bootstrap = Map.of(JobConfig.BOOTSTRAP_MANIFEST.key(), savepoint);
        try (CohortflowStack stack = CohortflowStack.start(config(bootstrap))) {
            assertThat(cohorts(stack, fan, null)).containsExactly("sport-readers");
            assertThat(cohorts(stack, reader, null)).containsExactly("news-readers");
            // The audience counts start from the backfilled members, not from zero.
            awaitAudience(stack, 1);
            // A live event on top of the backfilled history.
            assertThat(cohorts(stack, reader, event("sport")))
                    .containsExactlyInAnyOrder("news-readers", "sport-readers");
            awaitAudience(stack, 2);
            stack.stopJob(); // a final savepoint: the job's own state, newer than the backfill
        }
        assertThat(data.resolve("bootstrap-used")).hasContent(savepoint);

        try (CohortflowStack stack = CohortflowStack.start(config(bootstrap))) {
            // Started from its own savepoint: the live event is still counted.
            assertThat(cohorts(stack, reader, null))
                    .containsExactlyInAnyOrder("news-readers", "sport-readers");
            assertThat(cohorts(stack, fan, null)).containsExactly("sport-readers");
        }
    }

    /** Waits until the newest committed size of sport-readers on the audiences topic is this. */
    private static void awaitAudience(CohortflowStack stack, long size) {
        Awaitility.await()
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(250))
                .until(
                        () -> {
                            long last = -1;
                            for (String v :
                                    KafkaTopics.drainValues(
                                            stack.bootstrapServers(),
                                            stack.topics().audiences(),
                                            IsolationLevel.READ_COMMITTED)) {
                                var r = Json.MAPPER.readTree(v);
                                if (r.get("segment_id").asText().equals("sport-readers")
                                        && r.get("granularity").asText().equals("now")) {
                                    last = r.get("size").asLong();
                                }
                            }
                            return last == size;
                        });
    }

    private LauncherConfig config(Map<String, String> extra) {
        Map<String, String> props = StackClient.testProperties(data);
        props.putAll(extra);
        return LauncherConfig.from(props, Map.of());
    }

    private static List<String> lines(Path dir) throws Exception {
        List<String> out = new java.util.ArrayList<>();
        try (var files = Files.walk(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                out.addAll(Files.readAllLines(f));
            }
        }
        return out;
    }

    /** "Readers of {@code section}", a segment record as the service writes it. */
    private static String readers(String section) {
        return "{\"workspace\":\"acme\",\"id\":\""
                + section
                + "-readers\",\"version\":1,\"replaces\":0,"
                + "\"published\":true,\"deleted\":false,\"name\":\"Readers\","
                + "\"definition\":{\"func\":\"segment-def\",\"version\":[1,0,0],"
                + "\"container\":{\"func\":\"container\",\"context\":\"visitors\","
                + "\"pred\":{\"func\":\"streq\",\"val\":{\"func\":\"attr\","
                + "\"name\":\"variables/section\"},\"str\":\""
                + section
                + "\"}}}}";
    }

    /** The records on the definitions topic, in this order. */
    private static void define(CohortflowStack stack, List<String> records) throws Exception {
        try (KafkaProducer<String, String> p =
                new KafkaProducer<>(
                        Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers()),
                        new StringSerializer(),
                        new StringSerializer())) {
            for (String record : records) {
                String id = Json.MAPPER.readTree(record).get("id").asText();
                p.send(
                                new ProducerRecord<>(
                                        stack.topics().definitions(),
                                        "acme/" + id + "@1/" + UUID.randomUUID(),
                                        record))
                        .get();
            }
        }
    }

    private static String envelope(String user, String section, long time) {
        return "{\"workspace\":\"acme\",\"user_id\":\""
                + user
                + "\",\"events\":["
                + event(section, time)
                + "]}";
    }

    /** A live event: after the cut-over (the backfill's end), so the job counts it. */
    private static String event(String section) {
        return event(section, Instant.now().toEpochMilli());
    }

    private static String event(String section, long time) {
        return "{\"name\":\"Pageview\",\"time\":\""
                + Instant.ofEpochMilli(time)
                + "\",\"properties\":{\"section\":\""
                + section
                + "\"}}";
    }

    /** The user's cohorts through the segmentation API, waiting while the job is starting. */
    private static List<String> cohorts(CohortflowStack stack, String user, String event)
            throws Exception {
        String body =
                "{\"user_id\":\"" + user + "\",\"events\":[" + (event == null ? "" : event) + "]}";
        HttpRequest request =
                HttpRequest.newBuilder(
                                URI.create(
                                        "http://127.0.0.1:"
                                                + stack.httpPort()
                                                + "/ccs/v1/segmentation?k=admin-key"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build();
        HttpResponse<String> r =
                Awaitility.await()
                        .atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(250))
                        .until(
                                () -> HTTP.send(request, HttpResponse.BodyHandlers.ofString()),
                                answer -> answer.statusCode() != 503);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode cohorts = Json.MAPPER.readTree(r.body()).get("cohorts");
        return Json.MAPPER.convertValue(
                cohorts,
                Json.MAPPER.getTypeFactory().constructCollectionType(List.class, String.class));
    }
}
