package io.cohortflow.rehearsal;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.core.contract.Json;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import org.awaitility.Awaitility;

/**
 * The service's APIs as the rehearsal's tests call them (the fault tests and the soak): the
 * rehearsal's credentials, a 30 s timeout, a segment created and awaited until the job applied it.
 */
final class RehearsalService {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private final RehearsalCluster cluster;

    RehearsalService(RehearsalCluster cluster) {
        this.cluster = cluster;
    }

    /** A Segments API request with the rehearsal's admin credentials. */
    HttpRequest.Builder adobe(String path) {
        return HttpRequest.newBuilder(cluster.service(path))
                .header("x-api-key", RehearsalCluster.API_KEY)
                .header("Authorization", "Bearer " + RehearsalCluster.API_KEY)
                .header("x-gw-ims-org-id", RehearsalCluster.ORG);
    }

    /** {@code POST /ccs/v1/segmentation} with {@code body}, and an Idempotency-Key if given. */
    HttpRequest.Builder segmentation(String body, String idempotencyKey) {
        HttpRequest.Builder b =
                HttpRequest.newBuilder(
                                cluster.service(
                                        "/ccs/v1/segmentation?k=" + RehearsalCluster.API_KEY))
                        .POST(HttpRequest.BodyPublishers.ofString(body));
        return idempotencyKey == null ? b : b.header("Idempotency-Key", idempotencyKey);
    }

    /** A segmentation request body: one page view of {@code user} in {@code section}, now. */
    static String pageview(String user, String section) {
        return "{\"user_id\":\""
                + user
                + "\",\"events\":[{\"name\":\"Pageview\",\"time\":\""
                + Instant.now()
                + "\",\"properties\":{\"section\":\""
                + section
                + "\"}}]}";
    }

    /** Sends {@code b} as JSON with a 30 s timeout. */
    static HttpResponse<String> send(HttpRequest.Builder b)
            throws IOException, InterruptedException {
        return HTTP.send(
                b.header("Content-Type", "application/json")
                        .timeout(Duration.ofSeconds(30))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** A visitors segment definition around {@code predicate}. */
    static String definition(String predicate) {
        return "{\"func\":\"segment-def\",\"version\":[1,0,0],\"container\":{\"func\":\"container\","
                + "\"context\":\"visitors\",\"pred\":"
                + predicate
                + "}}";
    }

    /** Creates a segment of {@code predicate} (asserting the service took it); its id. */
    String createSegment(String name, String predicate) throws Exception {
        HttpResponse<String> r =
                send(
                        adobe("/segments")
                                .POST(
                                        HttpRequest.BodyPublishers.ofString(
                                                "{\"name\":\""
                                                        + name
                                                        + "\",\"rsid\":\"default\",\"definition\":"
                                                        + definition(predicate)
                                                        + "}")));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Json.MAPPER.readTree(r.body()).get("id").asText();
    }

    /** Waits (at most 2 minutes) until the job reports segment {@code id} applied. */
    void awaitApplied(String id) {
        Awaitility.await("the job applies " + id)
                .atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofMillis(500))
                .until(
                        () ->
                                Json.MAPPER
                                        .readTree(
                                                send(adobe("/segments/" + id + "/propagation"))
                                                        .body())
                                        .path("applied")
                                        .asBoolean());
    }
}
