package io.cohortflow.servicedist;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.core.config.CommonSettings;
import io.cohortflow.core.config.Settings;
import io.cohortflow.core.contract.TopicNames;
import io.cohortflow.kafka.CohortflowTopics;
import io.cohortflow.kafka.EmbeddedKafka;
import io.cohortflow.service.CohortflowServer;
import io.cohortflow.service.config.ApiKeySettings;
import io.cohortflow.service.config.ServiceConfig;
import io.cohortflow.service.segmentation.SegmentationConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The container's entry point against a real (embedded) broker: probes answer, and the segmentation
 * API is mounted and talks to Kafka (no job runs here, so a request times out with the
 * job-not-running answer rather than a 404).
 */
class CohortflowServiceTest {
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static EmbeddedKafka kafka;
    private static CohortflowServer service;

    @BeforeAll
    static void start() {
        kafka = EmbeddedKafka.start();
        CohortflowTopics.ensure(kafka.bootstrapServers(), TopicNames.DEFAULT, 2);
        service =
                CohortflowService.start(
                        Settings.of(
                                Map.of(
                                        ServiceConfig.PORT.key(),
                                        "0",
                                        CommonSettings.KAFKA_BOOTSTRAP_SERVERS.key(),
                                        kafka.bootstrapServers()),
                                Map.of(
                                        ApiKeySettings.ENV_API_KEY,
                                        "test-key",
                                        ApiKeySettings.ENV_ORG,
                                        "acme",
                                        SegmentationConfig.TIMEOUT.envName(),
                                        "300 ms")));
    }

    @AfterAll
    static void stop() {
        if (service != null) {
            service.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void liveness_and_readiness_probes_answer_200_once_started() throws Exception {
        assertThat(get("/health").statusCode()).isEqualTo(200);
        HttpResponse<String> ready = get("/ready");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).contains("\"ready\":true");
    }

    @Test
    void segmentation_without_a_key_is_401_so_the_api_is_mounted() throws Exception {
        assertThat(post("/ccs/v1/segmentation", "{\"user_id\":\"u1\"}").statusCode())
                .isEqualTo(401);
    }

    @Test
    void segmentation_request_goes_to_kafka_and_times_out_without_a_job() throws Exception {
        HttpResponse<String> r =
                post(
                        "/ccs/v1/segmentation?k=test-key",
                        "{\"user_id\":\"2008c38f-dece-4570-976d-87593ed001c3\"}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(503); // "not running" is a 503
        assertThat(r.body()).contains("not running");
    }

    @Test
    void properties_file_is_read_and_trimmed(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("service.properties");
        Files.writeString(f, "cohortflow.service.port = 9000 \n");
        assertThat(ServiceConfig.from(Settings.load(f, Map.of())).port()).isEqualTo(9000);
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(String path, String body) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(uri(path))
                        .timeout(Duration.ofSeconds(10))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static URI uri(String path) {
        return URI.create("http://127.0.0.1:" + service.port() + path);
    }
}
