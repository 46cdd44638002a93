package io.cohortflow.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.contract.Json;
import io.cohortflow.service.segmentation.JobClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole embedded stack, shared by the class: the real broker, the job on a mini cluster with
 * RocksDB, the service with the segmentation API, all through HTTP as a client sees them.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WholeStackEndToEndTest {
    @TempDir static Path data;
    static CohortflowStack stack;
    static final StackClient API = new StackClient(() -> stack);
    static String sport;

    @BeforeAll
    static void start() throws Exception {
        Map<String, String> props = StackClient.testProperties(data);
        props.put("cohortflow.segmentation.timeout", "2000 ms");
        // The job's own limit, tighter than the service's default of five minutes: the service
        // must refuse what the job would dead-letter (it learns the limit from the heartbeats).
        props.put("cohortflow.events.max-future-skew", "PT2M");
        props.putAll(
                Map.ofEntries(
                        Map.entry("cohortflow.api-keys.reader.key", "read-key"),
                        Map.entry("cohortflow.api-keys.reader.org", "acme"),
                        Map.entry("cohortflow.api-keys.reader.role", "read"),
                        Map.entry("cohortflow.api-keys.other.key", "other-key"),
                        Map.entry("cohortflow.api-keys.other.org", "globex"),
                        Map.entry("cohortflow.api-keys.other.role", "admin"),
                        Map.entry("cohortflow.api-keys.limited.key", "limited-key"),
                        Map.entry("cohortflow.api-keys.limited.org", "initech"),
                        Map.entry("cohortflow.api-keys.limited.role", "admin"),
                        Map.entry(
                                "cohortflow.segmentation.workspace.initech.requests-per-second",
                                "2")));
        stack = CohortflowStack.start(LauncherConfig.from(props, Map.of()));
        sport =
                createSegment(
                        "Sport readers",
                        "{\"func\":\"streq\",\"val\":{\"func\":\"attr\",\"name\":\"variables/section\"},\"str\":\"sport\"}",
                        "{\"gam\":true,\"xandr\":false}");
        awaitApplied(sport);
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    // ---- audiences -------------------------------------------------------------------------

    @Test
    void a_segments_audience_is_its_members_now_and_over_time() throws Exception {
        String id =
                createSegment(
                        "Audience readers",
                        "{\"func\":\"streq\",\"val\":{\"func\":\"attr\",\"name\":\"variables/section\"},\"str\":\"audience\"}",
                        "{}");
        awaitApplied(id);
        int members = 7;
        for (int i = 0; i < members; i++) {
            ok(
                    segment(
                            "admin-key",
                            "",
                            userBody(UUID.randomUUID().toString(), event("Pageview", "audience"))));
        }
        // Another user's unrelated event counts for nobody.
        ok(
                segment(
                        "admin-key",
                        "",
                        userBody(UUID.randomUUID().toString(), event("Pageview", "news"))));

        JsonNode audience =
                awaitAudience(
                        id,
                        "granularity=minute",
                        a ->
                                a.get("size").asLong() == members
                                        && a.get("series").size() > 0
                                        && a.get("series")
                                                        .get(a.get("series").size() - 1)
                                                        .get("size")
                                                        .asLong()
                                                == members);
        assertThat(audience.get("asOf").asText()).isNotEmpty();
        long entered = 0;
        for (JsonNode p : audience.get("series")) {
            entered += p.get("entered").asLong();
        }
        assertThat(entered).isEqualTo(members);
        assertThat(audience.get("series").size()).isEqualTo(24 * 60);

        JsonNode one =
                ok(
                        send(
                                adobe(
                                        HttpRequest.newBuilder(
                                                uri(
                                                        "/segments/"
                                                                + id
                                                                + "?expansion=audienceSize")))));
        assertThat(one.get("audienceSize").asLong()).isEqualTo(members);
        JsonNode listed =
                ok(
                        send(
                                adobe(
                                        HttpRequest.newBuilder(
                                                uri(
                                                        "/segments?expansion=audienceSize&name=Audience%20readers")))));
        assertThat(listed.get(0).get("audienceSize").asLong()).isEqualTo(members);
        // Each row's last day comes with the list: one request, not one per row.
        awaitAudience(
                id,
                "granularity=hour",
                a -> a.get("series").size() > 0 && a.get("size").asLong() == members);
        JsonNode withDay =
                ok(
                        send(
                                adobe(
                                        HttpRequest.newBuilder(
                                                uri(
                                                        "/segments?expansion=audienceLastDay&name=Audience%20readers")))));
        assertThat(withDay.get(0).at("/audienceLastDay/entered").asLong()).isEqualTo(members);
        assertThat(withDay.get(0).at("/audienceLastDay/exited").asLong()).isZero();

        HttpResponse<String> badGranularity =
                send(
                        adobe(
                                HttpRequest.newBuilder(
                                        uri("/segments/" + id + "/audience?granularity=week"))));
        assertThat(badGranularity.statusCode()).isEqualTo(400);
        HttpResponse<String> backwards =
                send(
                        adobe(
                                HttpRequest.newBuilder(
                                        uri(
                                                "/segments/"
                                                        + id
                                                        + "/audience?from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z"))));
        assertThat(backwards.statusCode()).isEqualTo(400);

        // Deleted, its members leave it, and the audience follows.
        assertThat(
                        send(adobe(
                                        HttpRequest.newBuilder(
                                                        uri("/segments/" + id + "?force=true"))
                                                .DELETE()))
                                .statusCode())
                .isEqualTo(200);
        awaitAudience(id, "granularity=day", a -> a.get("size").asLong() == 0);
    }

    @Test
    void a_drafts_estimate_over_everyone_is_the_count_publishing_it_gives() throws Exception {
        String pred =
                "{\"func\":\"streq\",\"val\":{\"func\":\"attr\",\"name\":\"variables/section\"},\"str\":\"estimated\"}";
        int members = 12;
        for (int i = 0; i < 30; i++) {
            String section = i < members ? "estimated" : "not-estimated";
            ok(
                    segment(
                            "admin-key",
                            "",
                            userBody(UUID.randomUUID().toString(), event("Pageview", section))));
        }
        String draft = "{\"name\":\"Draft\",\"definition\":" + StackClient.definition(pred) + "}";
        JsonNode all = estimate(draft, "sample=100000");
        assertThat(all.get("exact").asBoolean()).isTrue();
        assertThat(all.get("size").asLong()).isEqualTo(members);
        assertThat(all.get("interval").get("low").asLong()).isEqualTo(members);
        assertThat(all.get("interval").get("high").asLong()).isEqualTo(members);
        long population = all.get("sample").get("population").asLong();
        assertThat(population).isGreaterThanOrEqualTo(30);
        assertThat(all.get("sample").get("users").asLong()).isEqualTo(population);
        assertThat(all.get("sample").get("subtasks").asInt()).isEqualTo(2);

        // The command line's client says the same.
        Path draftFile = java.nio.file.Files.createTempFile(data, "draft", ".json");
        java.nio.file.Files.writeString(draftFile, draft);
        Cli cli =
                Cli.run(
                        "segments",
                        "estimate",
                        draftFile.toString(),
                        "--sample",
                        "100000",
                        "--url",
                        "http://127.0.0.1:" + stack.httpPort(),
                        "--api-key",
                        "admin-key",
                        "--org",
                        "acme");
        assertThat(cli.code).as(cli.err).isZero();
        assertThat(Json.MAPPER.readTree(cli.out).get("size").asLong()).isEqualTo(members);

        // A sample of ten: an estimate with an interval, over the same population.
        JsonNode some = estimate(draft, "sample=10");
        assertThat(some.get("exact").asBoolean()).isFalse();
        assertThat(some.get("sample").get("users").asLong()).isEqualTo(10);
        assertThat(some.get("sample").get("population").asLong()).isEqualTo(population);
        long low = some.get("interval").get("low").asLong();
        long high = some.get("interval").get("high").asLong();
        assertThat(some.get("size").asLong()).isBetween(low, high);
        assertThat(high).isLessThanOrEqualTo(population);

        // Published, the same definition holds as many members as the estimate said.
        String id = createSegment("Estimated readers", pred, "{}");
        awaitApplied(id);
        awaitAudience(id, "granularity=day", a -> a.get("size").asLong() == members);

        HttpResponse<String> invalid =
                send(
                        adobe(HttpRequest.newBuilder(uri("/segments/estimate")))
                                .POST(StackClient.body("{\"func\":\"segment-def\"}")));
        assertThat(invalid.statusCode()).isEqualTo(400);
        assertThat(Json.MAPPER.readTree(invalid.body()).get("errorCode").asText())
                .isEqualTo("invalid_definition");
    }

    /** {@code POST /segments/estimate?<query>}, waiting while the job starts (503). */
    static JsonNode estimate(String body, String query) throws Exception {
        HttpResponse<String> r =
                Awaitility.await()
                        .atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(250))
                        .alias("an estimate")
                        .until(
                                () ->
                                        send(
                                                adobe(
                                                                HttpRequest.newBuilder(
                                                                        uri(
                                                                                "/segments/estimate?"
                                                                                        + query)))
                                                        .POST(StackClient.body(body))),
                                answer -> answer.statusCode() != 503);
        return ok(r);
    }

    static JsonNode awaitAudience(
            String id, String query, java.util.function.Predicate<JsonNode> done) {
        return Awaitility.await()
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(250))
                .alias("the audience of " + id + " as expected")
                .until(
                        () ->
                                ok(
                                        send(
                                                adobe(
                                                        HttpRequest.newBuilder(
                                                                uri(
                                                                        "/segments/"
                                                                                + id
                                                                                + "/audience?"
                                                                                + query))))),
                        done);
    }

    // ---- the command line's segments client --------------------------------------------------

    @Test
    void the_segments_client_creates_finds_and_validates_with_exit_codes(@TempDir Path dir)
            throws Exception {
        String url = "http://127.0.0.1:" + stack.httpPort();
        String[] auth = {"--url", url, "--api-key", "admin-key", "--org", "acme"};
        Path segment =
                java.nio.file.Files.writeString(
                        dir.resolve("segment.json"),
                        "{\"name\":\"CLI readers\",\"rsid\":\"default\",\"definition\":"
                                + StackClient.definition(
                                        "{\"func\":\"streq\",\"val\":{\"func\":\"attr\","
                                                + "\"name\":\"variables/section\"},\"str\":\"cli\"}")
                                + "}");
        Cli created =
                Cli.run(concat(new String[] {"segments", "create", segment.toString()}, auth));
        assertThat(created.code).as(created.err).isZero();
        String id = Json.MAPPER.readTree(created.out).get("id").asText();

        Cli got = Cli.run(concat(new String[] {"segments", "get", id}, auth));
        assertThat(got.code).isZero();
        assertThat(Json.MAPPER.readTree(got.out).get("name").asText()).isEqualTo("CLI readers");

        Cli listed = Cli.run(concat(new String[] {"segments", "list", "--name", "cli read"}, auth));
        assertThat(listed.code).isZero();
        assertThat(Json.MAPPER.readTree(listed.out))
                .extracting(n -> n.get("id").asText())
                .containsExactly(id);

        assertThat(
                        Cli.run(
                                        concat(
                                                new String[] {
                                                    "segments", "validate", segment.toString()
                                                },
                                                auth))
                                .code)
                .isZero();
        Path bad =
                java.nio.file.Files.writeString(
                        dir.resolve("bad.json"),
                        "{\"func\":\"segment-def\",\"version\":[1,0,0],\"container\":{\"func\":\"container\","
                                + "\"context\":\"visitors\",\"pred\":{\"func\":\"streq-typo\"}}}");
        Cli invalid = Cli.run(concat(new String[] {"segments", "validate", bad.toString()}, auth));
        assertThat(invalid.code).isEqualTo(1);
        assertThat(Json.MAPPER.readTree(invalid.out).get("valid").asBoolean()).isFalse();

        Cli missing = Cli.run(concat(new String[] {"segments", "get", "s0_nothing"}, auth));
        assertThat(missing.code).isEqualTo(1);
        assertThat(missing.err).contains("errorCode");
    }

    @Test
    void exported_members_are_the_segments_members_and_page_through_the_api(@TempDir Path dir)
            throws Exception {
        String pred =
                "{\"func\":\"streq\",\"val\":{\"func\":\"attr\",\"name\":\"variables/section\"},\"str\":\"exported\"}";
        String id = createSegment("Exported readers", pred, "{}");
        awaitApplied(id);
        java.util.Set<String> expected = new java.util.TreeSet<>();
        for (int i = 0; i < 7; i++) {
            String user = UUID.randomUUID().toString();
            boolean member = i < 5;
            if (member) {
                expected.add(user);
            }
            ok(
                    segment(
                            "admin-key",
                            "",
                            userBody(user, event("Pageview", member ? "exported" : "news"))));
        }
        awaitAudience(id, "granularity=day", a -> a.get("size").asLong() == 5);
        HttpResponse<String> none =
                send(adobe(HttpRequest.newBuilder(uri("/segments/" + id + "/members"))));
        assertThat(none.statusCode()).isEqualTo(404);
        assertThat(none.body()).contains("no_export").contains("export-members");

        // The command beside the running system: a savepoint through the job's REST endpoint.
        Path config = dir.resolve("cohortflow.properties");
        java.nio.file.Files.writeString(
                config,
                LauncherConfig.DATA_DIR.key() + "=" + data.toString().replace("\\", "/") + "\n");
        Cli export = Cli.run("export-members", "--config", config.toString(), "--segment", id);
        assertThat(export.code).as(export.err).isZero();
        assertThat(export.err).contains("taking a savepoint");
        assertThat(export.out).contains("exported 5 members");

        java.util.Set<String> paged = new java.util.TreeSet<>();
        String cursor = null;
        do {
            JsonNode page =
                    ok(
                            send(
                                    adobe(
                                            HttpRequest.newBuilder(
                                                    uri(
                                                            "/segments/"
                                                                    + id
                                                                    + "/members?limit=2"
                                                                    + (cursor == null
                                                                            ? ""
                                                                            : "&cursor="
                                                                                    + cursor))))));
            page.get("members").forEach(m -> paged.add(m.get("userId").asText()));
            cursor = page.get("nextCursor").isNull() ? null : page.get("nextCursor").asText();
        } while (cursor != null);
        assertThat(paged).isEqualTo(expected);
    }

    /** One run of the command line, its exit code and what it printed. */
    record Cli(int code, String out, String err) {
        static Cli run(String... args) {
            java.io.StringWriter out = new java.io.StringWriter();
            java.io.StringWriter err = new java.io.StringWriter();
            picocli.CommandLine cli = Cohortflow.commandLine();
            cli.setOut(new java.io.PrintWriter(out, true));
            cli.setErr(new java.io.PrintWriter(err, true));
            int code = cli.execute(args);
            return new Cli(code, out.toString(), err.toString());
        }
    }

    static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    // ---- state, lookups, activations --------------------------------------------------------

    @Test
    void state_persists_across_requests_and_an_empty_event_list_is_a_pure_lookup()
            throws Exception {
        String user = UUID.randomUUID().toString();
        JsonNode first = ok(segment("admin-key", "", userBody(user, event("Pageview", "news"))));
        assertThat(first.get("user_id").asText()).isEqualTo(user);
        assertThat(cohorts(first)).doesNotContain(sport);
        JsonNode second = ok(segment("admin-key", "", userBody(user, event("Pageview", "sport"))));
        assertThat(cohorts(second)).contains(sport);
        JsonNode lookup =
                ok(segment("admin-key", "", "{\"user_id\":\"" + user + "\",\"events\":[]}"));
        assertThat(cohorts(lookup)).contains(sport);
        JsonNode noEvents = ok(segment("admin-key", "", "{\"user_id\":\"" + user + "\"}"));
        assertThat(cohorts(noEvents)).contains(sport);
        assertThat(noEvents.has("activations")).isFalse();
    }

    @Test
    void a_sequence_of_two_named_events_takes_in_those_who_did_them_in_time() throws Exception {
        String id =
                createSegment(
                        "Viewed then bought within an hour",
                        "{\"func\":\"sequence\",\"stream\":["
                                + "{\"func\":\"event-exists\",\"evt\":{\"func\":\"event\","
                                + "\"name\":\"metrics/View\"}},"
                                + "{\"func\":\"time-restriction\",\"limit\":\"within\","
                                + "\"count\":1,\"unit\":\"hour\"},"
                                + "{\"func\":\"event-exists\",\"evt\":{\"func\":\"event\","
                                + "\"name\":\"metrics/Buy\"}}]}",
                        "{}");
        awaitApplied(id);
        Instant now = Instant.now();
        // One request per event, so the job answers the Buy from the state the View left.
        String inTime = UUID.randomUUID().toString();
        String late = UUID.randomUUID().toString();
        for (String[] step :
                new String[][] {
                    {inTime, "View", "PT20M"},
                    {inTime, "Buy", "PT10M"},
                    {late, "View", "PT3H"},
                    {late, "Buy", "PT10M"}
                }) {
            String event =
                    "{\"name\":\""
                            + step[1]
                            + "\",\"time\":\""
                            + now.minus(Duration.parse(step[2]))
                            + "\",\"properties\":{}}";
            ok(segment("admin-key", "", userBody(step[0], event)));
        }
        assertThat(cohorts(ok(segment("admin-key", "", "{\"user_id\":\"" + inTime + "\"}"))))
                .contains(id);
        assertThat(cohorts(ok(segment("admin-key", "", "{\"user_id\":\"" + late + "\"}"))))
                .as("bought three hours after viewing")
                .doesNotContain(id);
    }

    @Test
    void a_visit_container_takes_in_those_who_did_both_in_one_visit() throws Exception {
        String id =
                createSegment(
                        "Viewed and bought in one visit",
                        "{\"func\":\"container\",\"context\":\"visits\",\"pred\":"
                                + "{\"func\":\"and\",\"preds\":["
                                + "{\"func\":\"event-exists\",\"evt\":{\"func\":\"event\","
                                + "\"name\":\"metrics/View\"}},"
                                + "{\"func\":\"event-exists\",\"evt\":{\"func\":\"event\","
                                + "\"name\":\"metrics/Buy\"}}]}}",
                        "{}");
        awaitApplied(id);
        Instant now = Instant.now();
        // One request per event, so the job answers each from the state the one before left: a
        // visit that starts, one read from the newest events, and one resumed after another.
        String oneVisit = UUID.randomUUID().toString();
        String twoVisits = UUID.randomUUID().toString();
        String resumed = UUID.randomUUID().toString();
        String first = UUID.randomUUID().toString();
        String second = UUID.randomUUID().toString();
        for (String[] step :
                new String[][] {
                    {oneVisit, "View", first, "PT30M"},
                    {oneVisit, "Scroll", first, "PT20M"},
                    {oneVisit, "Buy", first, "PT10M"},
                    {twoVisits, "View", first, "PT30M"},
                    {twoVisits, "Buy", second, "PT10M"},
                    {resumed, "View", first, "PT30M"},
                    {resumed, "View", second, "PT20M"}, // marks the second visit
                    {resumed, "Buy", first, "PT10M"}
                }) {
            String event =
                    "{\"name\":\""
                            + step[1]
                            + "\",\"time\":\""
                            + now.minus(Duration.parse(step[3]))
                            + "\",\"session_id\":\""
                            + step[2]
                            + "\",\"properties\":{}}";
            ok(segment("admin-key", "", userBody(step[0], event)));
        }
        assertThat(cohorts(ok(segment("admin-key", "", "{\"user_id\":\"" + oneVisit + "\"}"))))
                .contains(id);
        assertThat(cohorts(ok(segment("admin-key", "", "{\"user_id\":\"" + twoVisits + "\"}"))))
                .as("viewed in one visit, bought in another")
                .doesNotContain(id);
        assertThat(cohorts(ok(segment("admin-key", "", "{\"user_id\":\"" + resumed + "\"}"))))
                .as("bought in the visit they came back to")
                .contains(id);
    }

    @Test
    void a_user_id_in_capitals_is_the_same_user_as_in_lower_case() throws Exception {
        String user = UUID.randomUUID().toString();
        JsonNode upper =
                ok(
                        segment(
                                "admin-key",
                                "",
                                userBody(
                                        user.toUpperCase(Locale.ROOT),
                                        event("Pageview", "sport"))));
        assertThat(upper.get("user_id").asText()).isEqualTo(user);
        assertThat(cohorts(upper)).contains(sport);

        JsonNode lower = ok(segment("admin-key", "", "{\"user_id\":\"" + user + "\"}"));
        assertThat(cohorts(lower)).contains(sport);
    }

    @Test
    void answers_come_straight_from_the_job_to_the_waiting_replica() throws Exception {
        JobClient job = stack.segmentation().jobClient();
        assertThat(job.directRepliesAddress()).isNotNull();
        long before = job.repliesHeardDirect();
        // The job opens its connection to the replica on the first reply it sends there, which
        // takes the topic meanwhile: every answer is right whichever way it came.
        for (int i = 0; i < 10; i++) {
            String user = UUID.randomUUID().toString();
            JsonNode r = ok(segment("admin-key", "", userBody(user, event("Pageview", "sport"))));
            assertThat(r.get("user_id").asText()).isEqualTo(user);
            assertThat(cohorts(r)).contains(sport);
        }
        assertThat(job.repliesHeardDirect() - before).isGreaterThanOrEqualTo(5);

        // The listener answers requests and nothing else: a heartbeat sent to it announces no
        // limits (those come from the topic, which only the job writes to).
        JobClient.EventTimeLimits limits = job.eventTimeLimits();
        String address = job.directRepliesAddress();
        int colon = address.lastIndexOf(':');
        try (java.net.Socket s =
                new java.net.Socket(
                        address.substring(0, colon),
                        Integer.parseInt(address.substring(colon + 1)))) {
            java.nio.ByteBuffer frame =
                    io.cohortflow.core.contract.ReplyFrames.encode(
                            io.cohortflow.core.contract.Heartbeat.key(9),
                            Json.bytes(
                                    new io.cohortflow.core.contract.Heartbeat(
                                            9, Instant.now().toString(), 1L, 1L, 1)));
            s.getOutputStream().write(frame.array(), frame.position(), frame.remaining());
            s.getOutputStream().flush();
        }
        Thread.sleep(500);
        assertThat(job.eventTimeLimits()).isEqualTo(limits);
    }

    @Test
    void activations_map_each_enabled_platform_to_the_users_cohorts() throws Exception {
        String user = UUID.randomUUID().toString();
        JsonNode r =
                ok(
                        segment(
                                "admin-key",
                                "&activations=true",
                                userBody(user, event("Pageview", "sport"))));
        assertThat(r.get("activations").get("gam")).extracting(JsonNode::asText).contains(sport);
        assertThat(r.get("activations").has("xandr")).isFalse();
    }

    @Test
    void only_the_keys_workspace_segments_are_evaluated() throws Exception {
        String user = UUID.randomUUID().toString();
        JsonNode r = ok(segment("other-key", "", userBody(user, event("Pageview", "sport"))));
        assertThat(cohorts(r)).isEmpty();
    }

    @Test
    void the_key_is_accepted_in_the_X_Api_Key_header() throws Exception {
        HttpResponse<String> r =
                send(
                        HttpRequest.newBuilder(uri("/ccs/v1/segmentation"))
                                .header("X-Api-Key", "admin-key")
                                .POST(body("{\"user_id\":\"" + UUID.randomUUID() + "\"}")));
        assertThat(r.statusCode()).isEqualTo(200);
    }

    @Test
    void a_workspace_over_its_requests_a_second_gets_429_and_the_others_are_answered()
            throws Exception {
        String user = UUID.randomUUID().toString();
        // Five quick requests span at most two one-second windows: at most four are answered.
        List<HttpResponse<String>> answers = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            answers.add(segment("limited-key", "", userBody(user, event("Pageview", "news"))));
        }
        assertThat(answers).extracting(HttpResponse::statusCode).contains(200, 429);
        HttpResponse<String> refused =
                answers.stream().filter(r -> r.statusCode() == 429).findFirst().orElseThrow();
        JsonNode error = Json.MAPPER.readTree(refused.body()).get("error");
        assertThat(error.get("type").asText()).isEqualTo("too_many_requests");
        assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
        long answered = answers.stream().filter(r -> r.statusCode() == 200).count();
        assertThat(answered).isBetween(2L, 4L);
        // Another workspace is answered meanwhile.
        ok(segment("admin-key", "", userBody(UUID.randomUUID().toString())));
    }

    @Test
    void a_retry_with_the_same_idempotency_key_gets_the_first_answer_and_counts_nothing_twice()
            throws Exception {
        String twoSport =
                createSegment(
                        "Two sport pages",
                        "{\"func\":\"container\",\"context\":\"hits\",\"at_least\":2,\"pred\":"
                                + "{\"func\":\"streq\",\"val\":{\"func\":\"attr\",\"name\":\"variables/section\"},\"str\":\"sport\"}}",
                        "{}");
        awaitApplied(twoSport);
        String user = UUID.randomUUID().toString();
        String body = userBody(user, event("Pageview", "sport"));
        String key = "retry-" + UUID.randomUUID();
        HttpResponse<String> firstResponse = keyed(key, body);
        assertThat(firstResponse.headers().firstValue("Idempotent-Replayed")).isEmpty();
        JsonNode first = ok(firstResponse);
        assertThat(cohorts(first)).contains(sport).doesNotContain(twoSport);
        // The client did not hear the answer and sends the same request again.
        HttpResponse<String> retryResponse = keyed(key, body);
        assertThat(retryResponse.headers().firstValue("Idempotent-Replayed")).hasValue("true");
        JsonNode retry = ok(retryResponse);
        assertThat(cohorts(retry)).isEqualTo(cohorts(first));
        // One sport page so far, not two: the next one makes two.
        JsonNode next = ok(segment("admin-key", "", userBody(user, event("Pageview", "sport"))));
        assertThat(cohorts(next)).contains(twoSport);

        HttpResponse<String> bad = keyed("x".repeat(129), body);
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(Json.MAPPER.readTree(bad.body()).at("/error/type").asText())
                .isEqualTo("invalid_request");
    }

    static HttpResponse<String> keyed(String key, String json) throws Exception {
        return send(
                HttpRequest.newBuilder(uri("/ccs/v1/segmentation?k=admin-key"))
                        .header("Idempotency-Key", key)
                        .POST(body(json)));
    }

    // ---- identity ---------------------------------------------------------------------------

    @Test
    void an_alias_gets_a_new_user_once_and_resolves_to_it_afterwards() throws Exception {
        String alias = "{\"alias\":{\"tag\":\"email_sha256\",\"id\":\"" + UUID.randomUUID() + "\"}";
        JsonNode first =
                ok(
                        segment(
                                "admin-key",
                                "",
                                alias + ",\"events\":[" + event("Pageview", "sport") + "]}"));
        String user = first.get("user_id").asText();
        assertThat(UUID.fromString(user).toString()).isEqualTo(user);
        JsonNode again = ok(segment("admin-key", "", alias + "}"));
        assertThat(again.get("user_id").asText()).isEqualTo(user);
        assertThat(cohorts(again)).contains(sport);
    }

    @Test
    void prioritised_aliases_take_the_user_of_the_strongest_bound_alias_and_bind_the_others()
            throws Exception {
        String a = UUID.randomUUID().toString();
        String b = UUID.randomUUID().toString();
        String c = UUID.randomUUID().toString();
        String userA = ok(segment("admin-key", "", aliasBody("crm", a))).get("user_id").asText();
        String userB = ok(segment("admin-key", "", aliasBody("cookie", b))).get("user_id").asText();
        assertThat(userA).isNotEqualTo(userB);
        // crm (priority 0) outranks cookie (priority 1); the unbound device id joins crm's user.
        String body =
                "{\"aliases\":[{\"priority\":1,\"tag\":\"cookie\",\"id\":\""
                        + b
                        + "\"},{\"priority\":0,\"tag\":\"crm\",\"id\":\""
                        + a
                        + "\"},{\"priority\":2,\"tag\":\"device\",\"id\":\""
                        + c
                        + "\"}]}";
        assertThat(ok(segment("admin-key", "", body)).get("user_id").asText()).isEqualTo(userA);
        assertThat(ok(segment("admin-key", "", aliasBody("device", c))).get("user_id").asText())
                .isEqualTo(userA);
        // A binding is never moved: cookie stays with its first user.
        assertThat(ok(segment("admin-key", "", aliasBody("cookie", b))).get("user_id").asText())
                .isEqualTo(userB);
    }

    @Test
    void prioritised_aliases_none_of_them_bound_mint_one_user_for_all() throws Exception {
        String a = UUID.randomUUID().toString();
        String b = UUID.randomUUID().toString();
        String body =
                "{\"aliases\":[{\"priority\":0,\"tag\":\"crm\",\"id\":\""
                        + a
                        + "\"},{\"priority\":1,\"tag\":\"cookie\",\"id\":\""
                        + b
                        + "\"}]}";
        String user = ok(segment("admin-key", "", body)).get("user_id").asText();
        assertThat(ok(segment("admin-key", "", aliasBody("crm", a))).get("user_id").asText())
                .isEqualTo(user);
        assertThat(ok(segment("admin-key", "", aliasBody("cookie", b))).get("user_id").asText())
                .isEqualTo(user);
    }

    // ---- schemas and validation -------------------------------------------------------------

    static final String ARTICLE_SCHEMA =
            "{\"type\":\"object\",\"properties\":{\"properties\":{\"type\":\"object\","
                    + "\"required\":[\"section\",\"words\"],"
                    + "\"properties\":{\"words\":{\"type\":\"integer\"}}}}}";

    @Test
    void event_schemas_are_created_read_listed_replaced_and_deleted() throws Exception {
        String name = "Schema" + UUID.randomUUID().toString().substring(0, 8);
        HttpResponse<String> created = schema("PUT", name, "admin-key", ARTICLE_SCHEMA);
        assertThat(created.statusCode()).isEqualTo(201);
        assertThat(Json.MAPPER.readTree(created.body()).get("version").asLong()).isEqualTo(1);
        assertThat(schema("GET", name, "read-key", null).statusCode()).isEqualTo(200);
        HttpResponse<String> list = send(HttpRequest.newBuilder(uri("/schemas?k=read-key")).GET());
        assertThat(list.body()).contains(name);
        HttpResponse<String> replaced = schema("PUT", name, "admin-key", "{\"type\":\"object\"}");
        assertThat(replaced.statusCode()).isEqualTo(200);
        assertThat(Json.MAPPER.readTree(replaced.body()).get("version").asLong()).isEqualTo(2);
        assertThat(schema("PUT", name, "read-key", "{}").statusCode()).isEqualTo(403);
        assertThat(schema("DELETE", name, "admin-key", null).statusCode()).isEqualTo(204);
        HttpResponse<String> gone = schema("GET", name, "admin-key", null);
        assertThat(gone.statusCode()).isEqualTo(404);
        assertErrorBody(gone, 404, "not_found");
        assertThat(schema("GET", name, "other-key", null).statusCode()).isEqualTo(404);
    }

    @Test
    void a_schema_that_is_not_json_schema_is_refused() throws Exception {
        HttpResponse<String> r = schema("PUT", "Broken", "admin-key", "{\"type\":42}");
        assertErrorBody(r, 400, "invalid_schema");
    }

    @Test
    void synchronous_validation_refuses_an_event_that_breaks_its_schema_naming_it()
            throws Exception {
        assertThat(schema("PUT", "Article", "admin-key", ARTICLE_SCHEMA).statusCode())
                .isIn(200, 201);
        String user = UUID.randomUUID().toString();
        String good =
                "{\"name\":\"Article\",\"time\":\""
                        + Instant.now()
                        + "\",\"properties\":{\"section\":\"sport\",\"words\":300}}";
        String bad =
                "{\"name\":\"Article\",\"time\":\""
                        + Instant.now()
                        + "\",\"properties\":{\"section\":\"sport\",\"words\":\"many\"}}";
        HttpResponse<String> r =
                segment(
                        "admin-key",
                        "&synchronous-validation=true",
                        "{\"user_id\":\"" + user + "\",\"events\":[" + good + "," + bad + "]}");
        JsonNode e = assertErrorBody(r, 400, "schema_violation");
        assertThat(e.get("message").asText()).contains("events[1]");
        assertThat(e.get("cause").asText()).contains("events[1]").contains("words");
        // Nothing was applied: the user is still unknown to the job.
        assertThat(cohorts(ok(segment("admin-key", "", "{\"user_id\":\"" + user + "\"}"))))
                .isEmpty();
        assertThat(
                        ok(segment(
                                        "admin-key",
                                        "&synchronous-validation=true",
                                        "{\"user_id\":\"" + user + "\",\"events\":[" + good + "]}"))
                                .get("cohorts"))
                .extracting(JsonNode::asText)
                .contains(sport);
    }

    @Test
    void without_synchronous_validation_an_invalid_event_is_segmented_then_dead_lettered()
            throws Exception {
        assertThat(schema("PUT", "Article", "admin-key", ARTICLE_SCHEMA).statusCode())
                .isIn(200, 201);
        String user = UUID.randomUUID().toString();
        String bad =
                "{\"name\":\"Article\",\"time\":\""
                        + Instant.now()
                        + "\",\"properties\":{\"section\":\"sport\"}}";
        JsonNode r =
                ok(
                        segment(
                                "admin-key",
                                "",
                                "{\"user_id\":\"" + user + "\",\"events\":[" + bad + "]}"));
        assertThat(cohorts(r)).contains(sport);
        List<JsonNode> letters =
                Awaitility.await()
                        .atMost(Duration.ofSeconds(20))
                        .pollInterval(Duration.ofMillis(200))
                        .until(() -> deadLetters(user), l -> !l.isEmpty());
        assertThat(letters).hasSize(1);
        assertThat(letters.get(0).get("reason").asText()).isEqualTo("schema_violation");
        assertThat(letters.get(0).get("detail").asText()).contains("words");
        assertThat(letters.get(0).get("value").asText()).contains("\"Article\"");
    }

    // ---- bad requests -----------------------------------------------------------------------

    @Test
    void bad_requests_get_400_with_the_spec_error_body() throws Exception {
        String user = "\"user_id\":\"" + UUID.randomUUID() + "\"";
        StringBuilder eleven = new StringBuilder();
        for (int i = 0; i < 11; i++) {
            eleven.append(i == 0 ? "" : ",").append(event("Pageview", "x"));
        }
        Map<String, String> cases =
                Map.ofEntries(
                        Map.entry("{" + user + ",\"events\":[" + eleven + "]}", "too_many_events"),
                        Map.entry("{\"events\":[]}", "invalid_user_identifier"),
                        Map.entry(
                                "{" + user + ",\"alias\":{\"tag\":\"t\",\"id\":\"i\"}}",
                                "invalid_user_identifier"),
                        Map.entry("{\"user_id\":\"not-a-uuid\"}", "invalid_user_identifier"),
                        Map.entry("{\"alias\":{\"tag\":\"t\"}}", "invalid_user_identifier"),
                        Map.entry(
                                "{\"aliases\":[{\"tag\":\"t\",\"id\":\"i\"}]}",
                                "invalid_user_identifier"),
                        Map.entry("{\"aliases\":[]}", "invalid_user_identifier"),
                        Map.entry(
                                "{\"aliases\":[{\"priority\":-1,\"tag\":\"t\",\"id\":\"i\"}]}",
                                "invalid_user_identifier"),
                        Map.entry(
                                "{" + user + ",\"events\":[{\"name\":\"P\",\"properties\":{}}]}",
                                "invalid_event"),
                        Map.entry(
                                "{"
                                        + user
                                        + ",\"events\":[{\"name\":\"P\",\"time\":\"yesterday\",\"properties\":{}}]}",
                                "invalid_event"),
                        Map.entry(
                                "{"
                                        + user
                                        + ",\"events\":[{\"name\":\"P\",\"time\":\"2024-01-15T10:30:00Z\"}]}",
                                "invalid_event"),
                        Map.entry(
                                "{"
                                        + user
                                        + ",\"events\":[{\"name\":\"P\",\"time\":\"2024-01-15T10:30:00Z\",\"properties\":{},\"view_id\":\"v1\"}]}",
                                "invalid_event"),
                        Map.entry(
                                "{"
                                        + user
                                        + ",\"events\":[{\"name\":\"P\",\"time\":\""
                                        + Instant.now().plus(Duration.ofHours(1))
                                        + "\",\"properties\":{}}]}",
                                "invalid_event"),
                        Map.entry("{" + user + ",\"userid\":\"x\"}", "invalid_request"),
                        Map.entry("{" + user + ",", "malformed_json"),
                        Map.entry("[]", "invalid_request"));
        for (Map.Entry<String, String> c : cases.entrySet()) {
            HttpResponse<String> r = segment("admin-key", "", c.getKey());
            assertThat(r.statusCode()).as(c.getKey()).isEqualTo(400);
            assertErrorBody(r, 400, c.getValue());
        }
        // An empty list of aliases says nothing, as null does: the user_id is the one given.
        HttpResponse<String> unusedAliases =
                segment("admin-key", "", "{" + user + ",\"aliases\":[],\"alias\":null}");
        assertThat(unusedAliases.statusCode()).as(unusedAliases.body()).isEqualTo(200);
        assertErrorBody(
                segment("admin-key", "&activations=maybe", "{" + user + "}"),
                400,
                "invalid_parameter");
        assertErrorBody(
                segment("admin-key", "&activation=true", "{" + user + "}"),
                400,
                "unknown_parameter");
    }

    @Test
    void an_event_past_the_jobs_own_future_limit_is_refused_by_the_service() throws Exception {
        String body =
                "{\"user_id\":\""
                        + UUID.randomUUID()
                        + "\",\"events\":[{\"name\":\"P\",\"time\":\""
                        + Instant.now().plus(Duration.ofMinutes(3))
                        + "\",\"properties\":{}}]}";
        // Until the job's first heartbeat the service applies its own five minutes.
        HttpResponse<String> r =
                Awaitility.await()
                        .atMost(Duration.ofSeconds(10))
                        .until(() -> segment("admin-key", "", body), x -> x.statusCode() == 400);
        assertErrorBody(r, 400, "invalid_event");
        assertThat(r.body()).contains("more than PT2M in the future");
    }

    @Test
    void a_missing_or_unknown_key_gets_401_with_the_spec_error_body() throws Exception {
        String body = "{\"user_id\":\"" + UUID.randomUUID() + "\"}";
        assertErrorBody(
                send(HttpRequest.newBuilder(uri("/ccs/v1/segmentation")).POST(body(body))),
                401,
                "missing_api_key");
        assertErrorBody(segment("nope", "", body), 401, "invalid_api_key");
    }

    @Test
    void the_latency_benchmarks_read_the_segmentation_tasks_checkpoint_pauses() {
        // What the benchmarks print beside each rate, read from this stack's Flink statistics.
        long from = System.currentTimeMillis();
        CheckpointPauses p =
                Awaitility.await()
                        .atMost(Duration.ofSeconds(30))
                        .until(
                                () ->
                                        CheckpointPauses.read(
                                                HttpClient.newHttpClient(),
                                                stack.flinkUiUrl(),
                                                from,
                                                System.currentTimeMillis()),
                                c -> c.pauses() > 0);
        assertThat(p.row()).matches("\\d+: \\d+ / \\d+ / \\d+, align \\d+");
    }

    // ---- the job away -----------------------------------------------------------------------

    @Test
    @Order(Integer.MAX_VALUE)
    void with_the_job_stopped_requests_get_503_and_succeed_again_once_it_is_back()
            throws Exception {
        String user = UUID.randomUUID().toString();
        ok(segment("admin-key", "", userBody(user, event("Pageview", "sport"))));
        stack.stopJob();
        try {
            HttpResponse<String> r = segment("admin-key", "", "{\"user_id\":\"" + user + "\"}");
            JsonNode e = assertErrorBody(r, 503, "segmentation_unavailable");
            assertThat(r.headers().firstValue("Retry-After")).isPresent();
            assertThat(e.get("message").asText()).contains("did not answer");
        } finally {
            stack.startJob();
        }
        // Restored from the stop's savepoint: the user's state is still there.
        JsonNode back = awaitOk("{\"user_id\":\"" + user + "\"}", Duration.ofSeconds(60));
        assertThat(cohorts(back)).contains(sport);
    }

    // ---- helpers ----------------------------------------------------------------------------

    static String event(String name, String section) {
        return "{\"name\":\""
                + name
                + "\",\"time\":\""
                + Instant.now()
                + "\",\"session_id\":\""
                + UUID.randomUUID()
                + "\",\"properties\":{\"section\":\""
                + section
                + "\"}}";
    }

    static String userBody(String user, String... events) {
        return "{\"user_id\":\"" + user + "\",\"events\":[" + String.join(",", events) + "]}";
    }

    static String aliasBody(String tag, String id) {
        return "{\"alias\":{\"tag\":\"" + tag + "\",\"id\":\"" + id + "\"}}";
    }

    static List<String> cohorts(JsonNode r) {
        return StackClient.cohorts(r);
    }

    static URI uri(String path) {
        return API.uri(path);
    }

    static HttpRequest.BodyPublisher body(String s) {
        return StackClient.body(s);
    }

    static HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
        return API.send(b);
    }

    static HttpResponse<String> segment(String key, String query, String json) throws Exception {
        return API.segment(key, query, json);
    }

    static HttpResponse<String> schema(String method, String name, String key, String json)
            throws Exception {
        return send(
                HttpRequest.newBuilder(uri("/schemas/" + name + "?k=" + key))
                        .method(
                                method,
                                json == null ? HttpRequest.BodyPublishers.noBody() : body(json)));
    }

    static JsonNode ok(HttpResponse<String> r) throws Exception {
        return StackClient.ok(r);
    }

    static JsonNode awaitOk(String json, Duration timeout) throws Exception {
        return API.awaitOk(json, timeout);
    }

    /** The spec's HttpErrorResponse: request_id and error{type,status_code,status,code,...}. */
    static JsonNode assertErrorBody(HttpResponse<String> r, int status, String type)
            throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        JsonNode b = Json.MAPPER.readTree(r.body());
        assertThat(b.get("request_id").asText()).isNotBlank();
        JsonNode e = b.get("error");
        assertThat(e.get("type").asText()).as(r.body()).isEqualTo(type);
        assertThat(e.get("status_code").asInt()).isEqualTo(status);
        assertThat(e.get("status").asText()).isNotBlank();
        assertThat(e.get("code").isInt()).isTrue();
        assertThat(e.get("message").asText()).isNotBlank();
        assertThat(e.get("docs").asText()).startsWith("http");
        return e;
    }

    static String createSegment(String name, String pred, String activations) throws Exception {
        return API.createSegment(name, pred, activations);
    }

    static HttpRequest.Builder adobe(HttpRequest.Builder b) {
        return StackClient.adobe(b);
    }

    static void awaitApplied(String id) throws Exception {
        API.awaitApplied(id);
    }

    static List<JsonNode> deadLetters(String user) throws Exception {
        return API.deadLetters(user);
    }
}
