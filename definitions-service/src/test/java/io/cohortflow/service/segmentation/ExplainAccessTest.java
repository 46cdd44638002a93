package io.cohortflow.service.segmentation;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.service.api.Defs;
import io.cohortflow.service.api.Http;
import io.cohortflow.service.api.TestApp;
import io.cohortflow.service.api.UsersController;
import io.cohortflow.service.limits.WorkspaceLimits;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /ccs/v1/users/{u}/explain} shows the segment's definition, so it follows the Segments
 * API's access rule: a segment of the workspace the key may not see there is a 403, before the job
 * is asked. Here no job runs: a request that passes the check is a 503 from the missing job.
 */
class ExplainAccessTest {
    static JobClient job;
    static TestApp t;

    @BeforeAll
    static void start() {
        SegmentationConfig config = SegmentationConfig.from(Map.of(), Map.of());
        // Never started: every request to the job fails at once (503).
        job = new JobClient("127.0.0.1:1", "127.0.0.1", config);
        Users users =
                new Users(
                        config,
                        job,
                        new AliasBindings("127.0.0.1:1", "aliases", Duration.ofSeconds(1)));
        t =
                new TestApp(
                        List.of(
                                new UsersController(
                                        users,
                                        TestApp.keys(),
                                        new WorkspaceLimits(100, Duration.ofSeconds(1), 100))));
    }

    @AfterAll
    static void stop() {
        t.close();
    }

    static Http.Response explain(String key, String segment) {
        return t.http.get(
                "/ccs/v1/users/"
                        + UUID.randomUUID()
                        + "/explain?segment="
                        + segment
                        + "&k="
                        + key
                        + "-key");
    }

    @Test
    void explain_of_a_segment_the_key_may_not_see_is_403_as_in_the_segments_api() {
        Http bob = t.as("bob");
        Http.Response created = bob.post("/segments", Defs.body("Bob's", Defs.event("Secret")));
        assertThat(created.status()).as(created.toString()).isEqualTo(200);
        String secret = created.json().get("id").asText();

        for (String key : List.of("alice", "reader")) {
            Http.Response r = explain(key, secret);
            assertThat(r.status()).as(r.toString()).isEqualTo(403);
            assertThat(r.json().at("/error/type").asText()).isEqualTo("forbidden");
            assertThat(r.json().at("/error/code").asInt()).isEqualTo(3001);
        }
        // Its owner and an admin reach the job (none here), and an id the workspace does not have
        // is the job's to answer as unknown: past the check too.
        for (String key : List.of("bob", "admin")) {
            assertThat(explain(key, secret).status()).isEqualTo(503);
        }
        assertThat(explain("alice", "s_no_such_segment").status()).isEqualTo(503);
        // Another workspace's admin: not its segment, the job's to answer (unknown there).
        assertThat(explain("eve", secret).status()).isEqualTo(503);

        Http.Response share =
                bob.post(
                        "/componentmetadata/shares",
                        Defs.map(
                                "componentType",
                                "segment",
                                "componentId",
                                secret,
                                "shareToId",
                                0,
                                "shareToType",
                                "all"));
        assertThat(share.status()).as(share.toString()).isEqualTo(200);
        for (String key : List.of("alice", "reader")) {
            assertThat(explain(key, secret).status()).isEqualTo(503);
        }
    }
}
