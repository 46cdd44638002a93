package io.cohortflow.service.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Segments API's writes on a real server over the in-memory log: a write that changes nothing
 * writes no version; what a write expects of the current version (the body's {@code version},
 * {@code If-Match}) is checked first; the bodies of a PUT and a rollback say one thing or are
 * refused; timestamps have one format.
 */
class SegmentWritesTest {
    static TestApp t;
    static Http alice;

    /** Every expansion a read can ask for: what a client that sends back a read holds. */
    static final String EVERYTHING =
            "reportSuiteName,ownerFullName,modified,tags,compatibility,definition,publishingStatus,"
                    + "definitionLastModified,categories,activations,propagation,audienceSize,"
                    + "audienceLastDay";

    @BeforeAll
    static void start() {
        t = new TestApp();
        alice = t.as("alice");
    }

    @AfterAll
    static void stop() {
        t.close();
    }

    static String create(String name, JsonNode def) {
        Http.Response r = alice.post("/segments", Defs.body(name, def));
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        return r.json().get("id").asText();
    }

    static long version(String id) {
        return alice.get("/segments/" + id).json().get("version").asLong();
    }

    static int versions(String id) {
        return alice.get("/segments/" + id + "/versions").json().size();
    }

    static Http.Response ok(Http.Response r) {
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        return r;
    }

    static JsonNode firstError(Http.Response r) {
        return r.json().get("errors").get(0);
    }

    static void assertInvalidBody(Http.Response r, String pointer, String code) {
        assertThat(r.status()).as(r.toString()).isEqualTo(400);
        assertThat(r.json().get("errorCode").asText()).isEqualTo("invalid_body");
        assertThat(firstError(r).get("pointer").asText()).as(r.toString()).isEqualTo(pointer);
        assertThat(firstError(r).get("code").asText()).as(r.toString()).isEqualTo(code);
    }

    static Http ifMatch(String value) {
        return alice.header("If-Match", value);
    }

    // ---- writes that change nothing ----

    @Test
    void
            a_PUT_publish_or_unpublish_that_changes_nothing_writes_no_version_and_answers_the_segment() {
        String id = create("Unchanged", Defs.mobile());
        JsonNode read = alice.get("/segments/" + id + "?expansion=" + EVERYTHING).json();

        // The same name, the same definition, what a read answered sent back whole, a publish
        // of a published segment: the segment as it is, no new version.
        JsonNode same = ok(alice.put("/segments/" + id, Defs.map("name", "Unchanged"))).json();
        assertThat(same.get("version").asLong()).isEqualTo(1);
        assertThat(same.get("modified").asText()).isEqualTo(read.get("modified").asText());
        assertThat(same.get("name").asText()).isEqualTo("Unchanged");
        ok(alice.put("/segments/" + id, Defs.map("definition", Defs.mobile())));
        ok(alice.put("/segments/" + id, read));
        Http.Response publish = ok(alice.post("/segments/" + id + "/publish", null));
        assertThat(publish.json().get("version").asLong()).isEqualTo(1);
        assertThat(publish.header("ETag")).isEqualTo("\"1\"");
        assertThat(versions(id)).isEqualTo(1);

        // A real change is one version; repeating it (by any of the three ways) is none.
        JsonNode off = ok(alice.post("/segments/" + id + "/unpublish", null)).json();
        assertThat(off.get("version").asLong()).isEqualTo(2);
        ok(alice.post("/segments/" + id + "/unpublish", null));
        ok(alice.put("/segments/" + id, Defs.map("published", false)));
        ok(
                alice.put(
                        "/segments/" + id,
                        Defs.map("publishingStatus", Defs.map("published", false))));
        assertThat(versions(id)).isEqualTo(2);
        assertThat(version(id)).isEqualTo(2);

        // A stale expectation is refused even for a write that would change nothing.
        Http.Response stale =
                alice.put("/segments/" + id, Defs.map("name", "Unchanged", "version", 1));
        assertThat(stale.status()).as(stale.toString()).isEqualTo(409);
        assertThat(stale.json().get("errorCode").asText()).isEqualTo("version_conflict");
        // 2^64 + 2 is not the current version 2 (its low 64 bits): a bad body, not a match.
        Http.Response wrapped =
                alice.put(
                        "/segments/" + id,
                        Defs.map(
                                "name",
                                "Wrapped",
                                "version",
                                new java.math.BigInteger("18446744073709551618")));
        assertThat(wrapped.status()).as(wrapped.toString()).isEqualTo(400);
        assertThat(wrapped.json().get("errorCode").asText()).isEqualTo("invalid_body");
        Http.Response staleTag = ifMatch("\"1\"").post("/segments/" + id + "/unpublish", null);
        assertThat(staleTag.status()).as(staleTag.toString()).isEqualTo(412);
        assertThat(versions(id)).isEqualTo(2);
    }

    // ---- the version a write expects ----

    @Test
    void
            a_stale_version_on_an_unpublish_is_a_version_conflict_even_when_published_segments_reference_it() {
        String base = create("Referenced", Defs.event("B"));
        create("Refers to it", Defs.refs(List.of(base)));
        Http.Response r =
                alice.put("/segments/" + base, Defs.map("published", false, "version", 7));
        assertThat(r.status()).as(r.toString()).isEqualTo(409);
        assertThat(r.json().get("errorCode").asText()).isEqualTo("version_conflict");
        Http.Response tagged =
                ifMatch("\"7\"").put("/segments/" + base, Defs.map("published", false));
        assertThat(tagged.status()).as(tagged.toString()).isEqualTo(412);
        Http.Response published = ifMatch("\"7\"").post("/segments/" + base + "/unpublish", null);
        assertThat(published.status()).as(published.toString()).isEqualTo(412);
        // Current, it meets the referrers' check.
        Http.Response current =
                alice.put("/segments/" + base, Defs.map("published", false, "version", 1));
        assertThat(current.status()).isEqualTo(409);
        assertThat(current.json().get("errorCode").asText()).isEqualTo("referenced_segment");
    }

    @Test
    void GET_and_every_write_answer_carry_the_version_as_a_strong_ETag() {
        Http.Response created = alice.post("/segments", Defs.body("Tagged", Defs.mobile()));
        assertThat(created.header("ETag")).isEqualTo("\"1\"");
        String id = created.json().get("id").asText();
        assertThat(alice.get("/segments/" + id).header("ETag")).isEqualTo("\"1\"");
        assertThat(alice.put("/segments/" + id, Defs.map("name", "v2")).header("ETag"))
                .isEqualTo("\"2\"");
        assertThat(alice.post("/segments/" + id + "/unpublish", null).header("ETag"))
                .isEqualTo("\"3\"");
        assertThat(alice.post("/segments/" + id + "/publish", null).header("ETag"))
                .isEqualTo("\"4\"");
        assertThat(alice.post("/segments/" + id + "/versions/1/rollback", null).header("ETag"))
                .isEqualTo("\"5\"");
        assertThat(alice.delete("/segments/" + id).header("ETag")).isEqualTo("\"6\"");
        assertThat(alice.get("/segments/" + id).header("ETag")).isEqualTo("\"6\"");
        // An error carries none.
        assertThat(alice.put("/segments/" + id, Defs.map("name", "x")).header("ETag")).isNull();
    }

    @Test
    void an_If_Match_that_names_another_version_is_412_and_writes_nothing() {
        String id = create("Conditional", Defs.mobile());
        ok(alice.put("/segments/" + id, Defs.map("name", "Conditional v2")));
        String path = "/segments/" + id;
        List<Http.Response> refused =
                List.of(
                        ifMatch("\"1\"").put(path, Defs.map("name", "lost update")),
                        ifMatch("\"1\"").delete(path),
                        ifMatch("\"1\"").post(path + "/unpublish", null),
                        ifMatch("\"1\"").post(path + "/publish", null),
                        ifMatch("\"1\"").post(path + "/versions/1/rollback", null),
                        // If-Match compares strongly: a weak tag matches nothing.
                        ifMatch("W/\"2\"").put(path, Defs.map("name", "lost update")),
                        ifMatch("\"1\", \"3\"").put(path, Defs.map("name", "lost update")));
        for (Http.Response r : refused) {
            assertThat(r.status()).as(r.toString()).isEqualTo(412);
            JsonNode e = r.json();
            assertThat(e.get("errorCode").asText()).isEqualTo("precondition_failed");
            assertThat(e.get("status").asInt()).isEqualTo(412);
            assertThat(e.get("errorId").asText()).hasSize(36);
            assertThat(e.get("errorDescription").asText()).contains("version 2");
        }
        JsonNode after = alice.get(path).json();
        assertThat(after.get("version").asLong()).isEqualTo(2);
        assertThat(after.get("name").asText()).isEqualTo("Conditional v2");
        assertThat(versions(id)).isEqualTo(2);

        // The current tag, in a list or alone, or *, lets the write through.
        Http.Response put = ifMatch("\"1\", \"2\"").put(path, Defs.map("name", "Conditional v3"));
        assertThat(put.status()).as(put.toString()).isEqualTo(200);
        assertThat(put.header("ETag")).isEqualTo("\"3\"");
        assertThat(ifMatch("*").post(path + "/unpublish", null).status()).isEqualTo(200);
        assertThat(ifMatch("\"4\"").post(path + "/versions/3/rollback", null).status())
                .isEqualTo(200);
        assertThat(ifMatch("\"5\"").delete(path).status()).isEqualTo(200);
        assertThat(version(id)).isEqualTo(6);

        // Not a list of entity tags: a 400 saying so, rather than a condition that never holds.
        Http.Response unquoted = ifMatch("6").post(path + "/versions/5/rollback", null);
        assertThat(unquoted.status()).as(unquoted.toString()).isEqualTo(400);
        assertThat(unquoted.json().get("errorCode").asText()).isEqualTo("invalid_header");
        assertThat(version(id)).isEqualTo(6);
    }

    // ---- bodies ----

    @Test
    void a_rollback_body_with_an_unknown_field_or_a_version_below_1_is_400_with_a_pointer() {
        String id = create("Rolled", Defs.mobile());
        ok(alice.put("/segments/" + id, Defs.map("name", "Rolled v2")));
        String rollback = "/segments/" + id + "/versions/1/rollback";
        assertInvalidBody(
                alice.post(rollback, Defs.map("versoin", 1)), "/versoin", "unknown_field");
        assertInvalidBody(alice.post(rollback, Defs.map("version", 0)), "/version", "wrong_type");
        assertInvalidBody(alice.post(rollback, Defs.map("version", -2)), "/version", "wrong_type");
        assertInvalidBody(alice.post(rollback, Defs.map("version", 2.5)), "/version", "wrong_type");
        assertThat(version(id)).isEqualTo(2);
        // The console's body.
        assertThat(ok(alice.post(rollback, Defs.map("version", 2))).json().get("version").asLong())
                .isEqualTo(3);
    }

    /**
     * Javalin answers 304 with no body whenever If-None-Match equals the ETag sent, whatever the
     * method: a write that happened lost its answer, and a read of fields that change without a new
     * version (compatibility) kept a client's stale copy.
     */
    @Test
    void if_none_match_answers_304_only_for_a_read_the_version_alone_describes() {
        String id = create("Cached", Defs.mobile());
        Http cached = alice.header("If-None-Match", "\"2\"");
        Http.Response put = cached.put("/segments/" + id, Defs.map("name", "Cached v2"));
        assertThat(put.status()).as(put.toString()).isEqualTo(200);
        assertThat(put.json().get("version").asLong()).isEqualTo(2);
        assertThat(version(id)).isEqualTo(2);

        Http.Response live = cached.get("/segments/" + id + "?expansion=compatibility");
        assertThat(live.status()).as(live.toString()).isEqualTo(200);
        assertThat(live.json().get("compatibility")).isNotNull();

        Http.Response plain = cached.get("/segments/" + id + "?expansion=definition");
        assertThat(plain.status()).as(plain.toString()).isEqualTo(304);
        assertThat(alice.get("/segments/" + id).header("ETag")).isEqualTo("\"2\"");
    }

    /** A record written before timestamps had a fixed format is answered in it all the same. */
    @Test
    void a_stored_timestamp_of_another_spelling_is_answered_with_three_fraction_digits() {
        assertThat(io.cohortflow.service.Timestamps.answer("2025-11-30T09:00:00Z"))
                .isEqualTo("2025-11-30T09:00:00.000Z");
        assertThat(io.cohortflow.service.Timestamps.answer("2025-11-30T09:00:00.123456Z"))
                .isEqualTo("2025-11-30T09:00:00.123Z");
        assertThat(io.cohortflow.service.Timestamps.answer("not a time")).isEqualTo("not a time");
    }

    /** A platform named "" was stored, and the segmentation API's replies then named it so. */
    @Test
    void an_activation_platform_with_a_blank_name_is_400_at_its_pointer() {
        String id = create("Activated", Defs.mobile());
        assertInvalidBody(
                alice.put("/segments/" + id, Defs.map("activations", Defs.map("", true))),
                "/activations/",
                "invalid_value");
        assertInvalidBody(
                alice.put("/segments/" + id, Defs.map("activations", Defs.map(" ", true))),
                "/activations/ ",
                "invalid_value");
        assertThat(version(id)).isEqualTo(1);
        ok(alice.put("/segments/" + id, Defs.map("activations", Defs.map("gam", true))));
    }

    @Test
    void publishingStatus_that_contradicts_published_or_edits_by_a_read_only_field_is_400() {
        String id = create("Status", Defs.mobile());
        String path = "/segments/" + id;
        assertInvalidBody(
                alice.put(
                        path,
                        Defs.map(
                                "published",
                                true,
                                "publishingStatus",
                                Defs.map("published", false))),
                "/publishingStatus/published",
                "conflicting_value");
        assertInvalidBody(
                alice.put(
                        path,
                        Defs.map("publishingStatus", Defs.map("published", false, "state", 1))),
                "/publishingStatus/state",
                "unknown_field");
        // status follows published: sent alone to change it, it would be ignored.
        assertInvalidBody(
                alice.put(path, Defs.map("publishingStatus", Defs.map("status", "unpublished"))),
                "/publishingStatus/status",
                "read_only_field");
        assertInvalidBody(
                alice.put(path, Defs.map("publishingStatus", Defs.map("status", "draft"))),
                "/publishingStatus/status",
                "read_only_field");
        ObjectNode create = Defs.body("Created unpublished?", Defs.mobile());
        create.putObject("publishingStatus").put("status", "unpublished");
        assertInvalidBody(
                alice.post("/segments", create), "/publishingStatus/status", "read_only_field");
        assertThat(version(id)).isEqualTo(1);

        // What a read answered, as it is or with published changed in it, goes through.
        ObjectNode read = (ObjectNode) alice.get(path + "?expansion=" + EVERYTHING).json();
        assertThat(ok(alice.put(path, read)).json().get("version").asLong()).isEqualTo(1);
        ((ObjectNode) read.get("publishingStatus")).put("published", false);
        JsonNode off = ok(alice.put(path, read)).json();
        assertThat(off.at("/publishingStatus/published").asBoolean()).isFalse();
        assertThat(off.at("/publishingStatus/status").asText()).isEqualTo("unpublished");
        JsonNode on =
                ok(alice.put(
                                path,
                                Defs.map(
                                        "published",
                                        true,
                                        "publishingStatus",
                                        Defs.map("published", true, "status", "published"))))
                        .json();
        assertThat(on.at("/publishingStatus/published").asBoolean()).isTrue();
    }

    // ---- timestamps ----

    @Test
    void timestamps_always_have_three_fraction_digits_as_the_spec_shows() {
        TestApp fixed =
                new TestApp(Clock.fixed(Instant.parse("2023-07-15T10:30:00Z"), ZoneOffset.UTC));
        try {
            Http a = fixed.as("alice");
            JsonNode s = ok(a.post("/segments", Defs.body("On the second", Defs.mobile()))).json();
            assertThat(s.get("created").asText()).isEqualTo("2023-07-15T10:30:00.000Z");
            assertThat(s.get("modified").asText()).isEqualTo("2023-07-15T10:30:00.000Z");
            assertThat(s.get("definitionLastModified").asText())
                    .isEqualTo("2023-07-15T10:30:00.000Z");
            String id = s.get("id").asText();
            JsonNode share =
                    ok(a.post(
                                    "/componentmetadata/shares",
                                    Defs.map(
                                            "componentType",
                                            "segment",
                                            "componentId",
                                            id,
                                            "shareToId",
                                            2,
                                            "shareToType",
                                            "user")))
                            .json();
            assertThat(share.get("created").asText()).isEqualTo("2023-07-15T10:30:00.000Z");
            assertThat(
                            a.get("/segments/" + id + "/versions")
                                    .json()
                                    .get(0)
                                    .get("modified")
                                    .asText())
                    .isEqualTo("2023-07-15T10:30:00.000Z");
        } finally {
            fixed.close();
        }
    }
}
