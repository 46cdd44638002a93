package io.cohortflow.service.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cohortflow.core.contract.AppliedRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The Segments API on a real server (random port) over the in-memory log. */
class SegmentsApiTest {
    static TestApp t;
    static Http alice;
    static Http bob;
    static Http reader;
    static Http admin;

    @BeforeAll
    static void start() {
        t = new TestApp();
        alice = t.as("alice");
        bob = t.as("bob");
        reader = t.as("reader");
        admin = t.as("admin");
    }

    @AfterAll
    static void stop() {
        t.close();
    }

    static JsonNode create(Http who, String name, JsonNode def) {
        Http.Response r = who.post("/segments", Defs.body(name, def));
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        return r.json();
    }

    @Test
    void POST_creates_a_segment_and_answers_every_field_with_its_id() {
        JsonNode s = create(alice, "Mobile Device Users", Defs.mobile());
        assertThat(s.get("id").asText()).startsWith("s").contains("_");
        assertThat(s.get("name").asText()).isEqualTo("Mobile Device Users");
        assertThat(s.get("rsid").asText()).isEqualTo("default");
        assertThat(s.get("reportSuiteName").asText()).isEqualTo("Default data view");
        assertThat(s.at("/owner/id").asLong()).isEqualTo(1);
        assertThat(s.at("/owner/name").asText()).isEqualTo("alice Name");
        assertThat(s.at("/owner/login").asText()).isEqualTo("alice@example.com");
        assertThat(s.at("/definition/container/pred/func").asText()).isEqualTo("exists");
        assertThat(s.at("/compatibility/valid").asBoolean()).isTrue();
        assertThat(s.at("/compatibility/supported_products").toString()).contains("streaming");
        assertThat(s.at("/compatibility/validator_version").asText()).isEqualTo("1.0.0");
        assertThat(s.get("created").asText()).isEqualTo(s.get("modified").asText());
        assertThat(s.get("definitionLastModified").asText()).isEqualTo(s.get("created").asText());
        assertThat(s.at("/publishingStatus/published").asBoolean()).isTrue();
        assertThat(s.get("version").asLong()).isEqualTo(1);
        assertThat(s.get("tags")).isEmpty();
    }

    @Test
    void GET_by_id_without_expansion_gives_the_base_fields_only() {
        String id = create(alice, "Base", Defs.mobile()).get("id").asText();
        JsonNode s = alice.get("/segments/" + id).json();
        assertThat(s.get("id").asText()).isEqualTo(id);
        assertThat(s.has("definition")).isFalse();
        assertThat(s.has("compatibility")).isFalse();
        assertThat(s.has("modified")).isFalse();
        assertThat(s.at("/owner/id").asLong()).isEqualTo(1);
        assertThat(s.at("/owner").has("name")).isFalse();
    }

    @Test
    void GET_by_id_with_every_expansion_value_adds_each_field() {
        String id = create(alice, "Expanded", Defs.mobile()).get("id").asText();
        String all =
                "reportSuiteName,ownerFullName,modified,tags,compatibility,definition,publishingStatus,definitionLastModified,categories,activations,propagation";
        JsonNode s = alice.get("/segments/" + id + "?expansion=" + all + "&locale=fr_FR").json();
        for (String f :
                List.of(
                        "reportSuiteName",
                        "modified",
                        "tags",
                        "compatibility",
                        "definition",
                        "publishingStatus",
                        "definitionLastModified",
                        "categories",
                        "activations",
                        "propagation")) {
            assertThat(s.has(f)).as(f).isTrue();
        }
        assertThat(s.at("/owner/name").asText()).isEqualTo("alice Name");
    }

    @Test
    void locale_is_echoed_as_Content_Language_and_an_unknown_locale_gives_400() {
        String id = create(alice, "Locale", Defs.mobile()).get("id").asText();
        assertThat(alice.get("/segments/" + id + "?locale=ja_JP").header("Content-Language"))
                .isEqualTo("ja-JP");
        Http.Response bad = alice.get("/segments/" + id + "?locale=xx_YY");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.json().get("errorCode").asText()).isEqualTo("invalid_parameter");
    }

    @Test
    void PUT_is_a_partial_update_that_keeps_what_is_not_sent() {
        JsonNode s = create(alice, "Partial", Defs.mobile());
        String id = s.get("id").asText();
        Http.Response r = alice.put("/segments/" + id, Defs.map("name", "Renamed"));
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        JsonNode u = r.json();
        assertThat(u.get("name").asText()).isEqualTo("Renamed");
        assertThat(u.get("description").asText()).isEqualTo("about Partial");
        assertThat(u.get("definition")).isEqualTo(s.get("definition"));
        assertThat(u.get("version").asLong()).isEqualTo(2);
        assertThat(u.get("definitionLastModified").asText())
                .isEqualTo(s.get("definitionLastModified").asText());
        assertThat(u.get("created").asText()).isEqualTo(s.get("created").asText());
    }

    @Test
    void PUT_with_a_new_definition_moves_definitionLastModified() throws Exception {
        JsonNode s = create(alice, "Def change", Defs.mobile());
        // Lets the clock move on, so that the new timestamp can differ from the first.
        Thread.sleep(5);
        JsonNode u =
                alice.put(
                                "/segments/" + s.get("id").asText(),
                                Defs.map("definition", Defs.revenue(100)))
                        .json();
        assertThat(u.get("definitionLastModified").asText())
                .isNotEqualTo(s.get("definitionLastModified").asText());
        assertThat(u.at("/definition/container/pred/func").asText()).isEqualTo("range");
    }

    @Test
    void PUT_with_a_stale_version_gives_409() {
        String id = create(alice, "Stale", Defs.mobile()).get("id").asText();
        assertThat(alice.put("/segments/" + id, Defs.map("name", "v2", "version", 1)).status())
                .isEqualTo(200);
        Http.Response r = alice.put("/segments/" + id, Defs.map("name", "v3", "version", 1));
        assertThat(r.status()).isEqualTo(409);
        assertThat(r.json().get("errorCode").asText()).isEqualTo("version_conflict");
    }

    @Test
    void DELETE_hides_a_segment_from_lists_but_keeps_it_readable_by_id() {
        String id = create(alice, "Doomed", Defs.mobile()).get("id").asText();
        Http.Response d = alice.delete("/segments/" + id);
        assertThat(d.status()).isEqualTo(200);
        assertThat(d.json().get("status").asText()).isEqualTo("ok");
        assertThat(d.json().get("message").asText()).isEqualTo("Segment deleted successfully");
        assertThat(alice.get("/segments?segmentFilter=" + id).json()).isEmpty();
        JsonNode s = alice.get("/segments/" + id).json();
        assertThat(s.get("deleted").asBoolean()).isTrue();
        assertThat(alice.delete("/segments/" + id).status()).isEqualTo(404);
        assertThat(alice.put("/segments/" + id, Defs.map("name", "x")).status()).isEqualTo(404);
    }

    @Test
    void GET_an_unknown_segment_gives_404_in_the_error_shape() {
        Http.Response r = alice.get("/segments/s1_nope");
        assertThat(r.status()).isEqualTo(404);
        JsonNode e = r.json();
        assertThat(e.get("errorCode").asText()).isEqualTo("not_found");
        assertThat(e.get("errorDescription").asText()).contains("s1_nope");
        assertThat(e.get("errorId").asText()).hasSize(36);
        assertThat(e.get("status").asInt()).isEqualTo(404);
    }

    @Test
    void an_unknown_path_gives_404_in_the_error_shape() {
        Http.Response r = alice.get("/nothing-here");
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.json().get("errorCode").asText()).isEqualTo("not_found");
    }

    @Test
    void validate_answers_Adobe_shape_with_pointers_for_errors() {
        Http.Response ok = alice.post("/segments/validate?rsid=default", Defs.revenue(100));
        assertThat(ok.status()).isEqualTo(200);
        assertThat(ok.json().get("valid").asBoolean()).isTrue();
        assertThat(ok.json().get("message").asText()).isEqualTo("Segment definition is valid");
        assertThat(ok.json().has("supported_products")).isTrue();
        assertThat(ok.json().get("validator_version").asText()).isEqualTo("1.0.0");
        assertThat(ok.json().get("supported_features").toString()).contains("range");
        JsonNode bad = alice.post("/segments/validate?rsid=default", Defs.unknownFunction()).json();
        assertThat(bad.get("valid").asBoolean()).isFalse();
        assertThat(bad.get("errors").get(0).get("pointer").asText()).startsWith("/container/pred");
    }

    /**
     * A window past the state's horizon ({@code cohortflow.state.horizon}, shared with the job) is
     * batch only: validation judges it by the configured horizon, not the default 90 days.
     */
    @Test
    void validate_judges_windows_by_the_configured_horizon() throws Exception {
        String sixtyDays =
                "{\"func\":\"segment-def\",\"version\":[1,0,0],\"container\":{\"func\":\"container\","
                        + "\"context\":\"hits\",\"window\":{\"count\":60,\"unit\":\"day\"},"
                        + "\"pred\":{\"func\":\"event-exists\",\"evt\":\"Purchase\"}}}";
        JsonNode definition =
                com.fasterxml.jackson.databind.json.JsonMapper.builder()
                        .build()
                        .readTree(sixtyDays);
        JsonNode byDefault = alice.post("/segments/validate?rsid=default", definition).json();
        assertThat(byDefault.get("warnings")).isEmpty();
        TestApp thirtyDays = new TestApp(Duration.ofDays(30));
        try {
            JsonNode short_ =
                    thirtyDays
                            .as("alice")
                            .post("/segments/validate?rsid=default", definition)
                            .json();
            assertThat(short_.get("warnings").get(0).get("code").asText())
                    .isEqualTo("window_exceeds_horizon");
            assertThat(short_.get("warnings").get(0).get("message").asText()).contains("30 days");
            assertThat(short_.get("supported_products").toString()).isEqualTo("[\"batch\"]");
        } finally {
            thirtyDays.close();
        }
    }

    @Test
    void validate_without_rsid_or_with_an_unknown_rsid_gives_400() {
        assertThat(alice.post("/segments/validate", Defs.mobile()).json().get("errorCode").asText())
                .isEqualTo("missing_rsid");
        Http.Response r = alice.post("/segments/validate?rsid=nope", Defs.mobile());
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.json().get("errorCode").asText()).isEqualTo("unknown_rsid");
    }

    @Test
    void estimate_validates_the_draft_like_a_write_and_needs_the_job() {
        Http.Response bad =
                reader.post("/segments/estimate", Defs.body("x", Defs.unknownFunction()));
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.json().get("errorCode").asText()).isEqualTo("invalid_definition");
        assertThat(bad.json().get("errors").get(0).get("pointer").asText())
                .startsWith("/definition/container/pred");
        Http.Response none = reader.post("/segments/estimate", Defs.map("name", "no definition"));
        assertThat(none.status()).isEqualTo(400);
        assertThat(none.json().get("errors").get(0).get("pointer").asText())
                .startsWith("/definition");
        Http.Response sample = reader.post("/segments/estimate?sample=0", Defs.mobile());
        assertThat(sample.status()).isEqualTo(400);
        assertThat(sample.json().get("errorCode").asText()).isEqualTo("invalid_parameter");
        // Valid, as a bare definition or inside a draft segment: this app runs without the job.
        for (JsonNode body : List.of(Defs.mobile(), Defs.body("draft", Defs.mobile()))) {
            Http.Response r = reader.post("/segments/estimate?sample=500", body);
            assertThat(r.status()).as(r.toString()).isEqualTo(503);
            assertThat(r.json().get("errorCode").asText()).isEqualTo("estimate_unavailable");
        }
    }

    @Test
    void POST_with_an_invalid_definition_gives_400_with_pointers_into_the_body() {
        Http.Response r = alice.post("/segments", Defs.body("Broken", Defs.unknownFunction()));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.json().get("errorCode").asText()).isEqualTo("invalid_definition");
        assertThat(r.json().get("errors").get(0).get("pointer").asText())
                .startsWith("/definition/container/pred");
    }

    @Test
    void list_filters_by_name_tags_published_ids_and_rsids() {
        String a = create(bob, "Alpha sports fans", Defs.mobile()).get("id").asText();
        String b = create(bob, "Beta readers", Defs.mobile()).get("id").asText();
        Http.Response w =
                bob.post(
                        "/segments",
                        Defs.map(
                                "name",
                                "Gamma web",
                                "rsid",
                                "web",
                                "definition",
                                Defs.mobile(),
                                "published",
                                false));
        assertThat(w.status()).isEqualTo(200);
        String c = w.json().get("id").asText();
        assertThat(ids(bob.get("/segments?name=SPORTS"))).containsExactly(a);
        assertThat(
                        ids(
                                bob.get(
                                        "/segments?filterByPublishedSegments=false&segmentFilter="
                                                + a
                                                + ","
                                                + b
                                                + ","
                                                + c)))
                .containsExactly(c);
        assertThat(
                        ids(
                                bob.get(
                                        "/segments?filterByPublishedSegments=true&segmentFilter="
                                                + a
                                                + ","
                                                + b
                                                + ","
                                                + c)))
                .containsExactlyInAnyOrder(a, b);
        assertThat(
                        ids(
                                bob.get(
                                        "/segments?filterByPublishedSegments=all&segmentFilter="
                                                + a
                                                + ","
                                                + b
                                                + ","
                                                + c)))
                .hasSize(3);
        assertThat(ids(bob.get("/segments?rsids=web&segmentFilter=" + a + "," + b + "," + c)))
                .containsExactly(c);
        // An unknown data view is an error, not an empty list; an empty filter filters nothing.
        Http.Response unknownView = bob.get("/segments?rsids=web,nope");
        assertThat(unknownView.status()).as(unknownView.toString()).isEqualTo(400);
        assertThat(unknownView.json().get("errorCode").asText()).isEqualTo("unknown_rsid");
        assertThat(ids(bob.get("/segments?rsids=&segmentFilter=" + a + "," + b + "," + c)))
                .hasSize(3);
        assertThat(bob.get("/segments?limit=&page=").status()).isEqualTo(200);
        Http.Response tag =
                bob.put(
                        "/componentmetadata/tags/tagitems",
                        List.of(
                                Defs.map(
                                        "componentType",
                                        "segment",
                                        "componentId",
                                        b,
                                        "tags",
                                        List.of(
                                                Defs.map(
                                                        "name",
                                                        "Reading",
                                                        "description",
                                                        "readers")))));
        assertThat(tag.status()).as(tag.toString()).isEqualTo(200);
        assertThat(ids(bob.get("/segments?tagNames=reading,other"))).containsExactly(b);
        assertThat(bob.get("/segments?filterByPublishedSegments=maybe").status()).isEqualTo(400);
    }

    @Test
    void list_sorts_and_pages() {
        Http carol = t.as("admin");
        List<String> made = new ArrayList<>();
        for (String n : List.of("pear", "Apple", "mango")) {
            made.add(create(carol, "sort-" + n, Defs.mobile()).get("id").asText());
        }
        String filter = "&segmentFilter=" + String.join(",", made);
        assertThat(names(carol.get("/segments?sortProperty=name" + filter)))
                .containsExactly("sort-Apple", "sort-mango", "sort-pear");
        assertThat(names(carol.get("/segments?sortProperty=name&sortDirection=DESC" + filter)))
                .containsExactly("sort-pear", "sort-mango", "sort-Apple");
        // Read as the other enumerated parameters are: any case, trimmed.
        assertThat(names(carol.get("/segments?sortProperty=name&sortDirection=desc%20" + filter)))
                .containsExactly("sort-pear", "sort-mango", "sort-Apple");
        assertThat(names(carol.get("/segments?sortProperty=modified_date" + filter)))
                .containsExactly("sort-pear", "sort-Apple", "sort-mango");
        List<String> byId = new ArrayList<>(made);
        byId.sort(String::compareTo);
        assertThat(ids(carol.get("/segments?sortProperty=id" + filter)))
                .containsExactlyElementsOf(byId);
        Http.Response p1 = carol.get("/segments?sortProperty=name&limit=2&page=1" + filter);
        assertThat(names(p1)).containsExactly("sort-pear");
        assertThat(p1.header("X-Total-Count")).isEqualTo("3");
        assertThat(carol.get("/segments?limit=0").status()).isEqualTo(400);
        assertThat(carol.get("/segments?page=-1").status()).isEqualTo(400);
        assertThat(carol.get("/segments?limit=ten").status()).isEqualTo(400);
        assertThat(carol.get("/segments?sortProperty=size").status()).isEqualTo(400);
        assertThat(carol.get("/segments?sortDirection=UP").status()).isEqualTo(400);
        assertThat(carol.get("/segments?expansion=everything").status()).isEqualTo(400);
        assertThat(carol.get("/segments?includeType=mine").status()).isEqualTo(400);
    }

    @Test
    void list_defaults_to_ten_per_page() {
        for (int i = 0; i < 11; i++) {
            create(admin, "page-" + i, Defs.mobile());
        }
        Http.Response r = admin.get("/segments");
        assertThat(r.json().size()).isEqualTo(10);
        assertThat(Integer.parseInt(r.header("X-Total-Count"))).isGreaterThanOrEqualTo(11);
        assertThat(reader.get("/segments?includeType=templates&limit=3").json().size())
                .isEqualTo(3);
    }

    @Test
    void a_409_is_counted_under_its_status_in_the_metrics() {
        String id = create(alice, "Metered", Defs.mobile()).get("id").asText();
        assertThat(alice.put("/segments/" + id, Defs.map("name", "x", "version", 7)).status())
                .isEqualTo(409);
        assertThat(t.http.get("/metrics").body())
                .containsPattern(
                        "cohortflow_http_requests_seconds_count\\{[^}]*method=\"PUT\",route=\"/segments/\\{id\\}\",status=\"409\"");
    }

    @Test
    void includeType_controls_shared_all_and_templates() {
        String own = create(alice, "incl-own", Defs.mobile()).get("id").asText();
        String bobs = create(bob, "incl-bob", Defs.mobile()).get("id").asText();
        String f = "&segmentFilter=" + own + "," + bobs + ",tpl_cart_abandoners";
        assertThat(ids(alice.get("/segments?x=1".replace("x=1", "limit=100") + f)))
                .containsExactly(own);
        assertThat(ids(alice.get("/segments?includeType=shared&limit=100" + f)))
                .containsExactly(own);
        Http.Response share =
                bob.post(
                        "/componentmetadata/shares",
                        Defs.map(
                                "componentType",
                                "segment",
                                "componentId",
                                bobs,
                                "shareToId",
                                1,
                                "shareToType",
                                "user"));
        assertThat(share.status()).as(share.toString()).isEqualTo(200);
        assertThat(ids(alice.get("/segments?includeType=shared&limit=100" + f)))
                .containsExactlyInAnyOrder(own, bobs);
        assertThat(ids(alice.get("/segments?includeType=templates&limit=100" + f)))
                .containsExactlyInAnyOrder(own, "tpl_cart_abandoners");
        assertThat(alice.get("/segments?includeType=all").status()).isEqualTo(403);
        assertThat(ids(admin.get("/segments?includeType=all&limit=100" + f)))
                .containsExactlyInAnyOrder(own, bobs);
    }

    @Test
    void templates_are_read_only_and_valid() {
        JsonNode tpl =
                reader.get(
                                "/segments/tpl_sport_readers_30d?expansion=compatibility,definition,categories")
                        .json();
        assertThat(tpl.get("template").asBoolean()).isTrue();
        assertThat(tpl.at("/compatibility/valid").asBoolean()).as(tpl.toString()).isTrue();
        for (JsonNode s :
                reader.get("/segments?includeType=templates&expansion=compatibility").json()) {
            assertThat(s.at("/compatibility/valid").asBoolean()).as(s.toString()).isTrue();
        }
        Http.Response put = admin.put("/segments/tpl_sport_readers_30d", Defs.map("name", "mine"));
        assertThat(put.status()).isEqualTo(403);
        assertThat(put.json().get("errorCode").asText()).isEqualTo("template_read_only");
        assertThat(admin.delete("/segments/tpl_sport_readers_30d").status()).isEqualTo(403);
    }

    @Test
    void publish_and_unpublish_flip_the_publishing_status() {
        String id = create(alice, "Pub", Defs.mobile()).get("id").asText();
        JsonNode u = alice.post("/segments/" + id + "/unpublish", null).json();
        assertThat(u.at("/publishingStatus/published").asBoolean()).isFalse();
        assertThat(u.at("/publishingStatus/status").asText()).isEqualTo("unpublished");
        JsonNode p = alice.post("/segments/" + id + "/publish", null).json();
        assertThat(p.at("/publishingStatus/published").asBoolean()).isTrue();
        JsonNode viaPut =
                alice.put(
                                "/segments/" + id,
                                Defs.map("publishingStatus", Defs.map("published", false)))
                        .json();
        assertThat(viaPut.at("/publishingStatus/published").asBoolean()).isFalse();
        Http.Response coerced =
                alice.put(
                        "/segments/" + id,
                        Defs.map("publishingStatus", Defs.map("published", "true")));
        assertThat(coerced.status()).as(coerced.toString()).isEqualTo(400);
        assertThat(coerced.toString()).contains("/publishingStatus/published");
        assertThat(
                        alice.get("/segments/" + id + "?expansion=publishingStatus")
                                .json()
                                .at("/publishingStatus/published")
                                .asBoolean())
                .isFalse();
    }

    @Test
    void categories_are_set_on_create_and_replaced_by_PUT() {
        ObjectNode body = Defs.body("Cats", Defs.mobile());
        body.putArray("categories").add("commerce").add("mobile");
        String id = alice.post("/segments", body).json().get("id").asText();
        assertThat(
                        alice.get("/segments/" + id + "?expansion=categories")
                                .json()
                                .get("categories")
                                .toString())
                .isEqualTo("[\"commerce\",\"mobile\"]");
        alice.put("/segments/" + id, Defs.map("categories", List.of("content")));
        assertThat(
                        alice.get("/segments/" + id + "?expansion=categories")
                                .json()
                                .get("categories")
                                .toString())
                .isEqualTo("[\"content\"]");
    }

    @Test
    void every_edit_is_a_version_and_rollback_restores_one_as_a_new_version() {
        String id = create(alice, "Versioned", Defs.mobile()).get("id").asText();
        alice.put(
                "/segments/" + id, Defs.map("name", "Versioned v2", "definition", Defs.revenue(5)));
        alice.delete("/segments/" + id);
        JsonNode versions = alice.get("/segments/" + id + "/versions").json();
        assertThat(versions).hasSize(3);
        assertThat(versions.get(0).get("version").asLong()).isEqualTo(3);
        assertThat(versions.get(0).get("change").asText()).isEqualTo("delete");
        assertThat(versions.get(0).get("current").asBoolean()).isTrue();
        assertThat(versions.get(2).get("change").asText()).isEqualTo("create");
        JsonNode v1 = alice.get("/segments/" + id + "/versions/1").json();
        assertThat(v1.get("name").asText()).isEqualTo("Versioned");
        assertThat(v1.at("/definition/container/pred/func").asText()).isEqualTo("exists");
        // With the version the caller saw as current, a rollback is refused if someone saved
        // since, as a PUT with its version is.
        Http.Response stale =
                alice.post("/segments/" + id + "/versions/1/rollback", Defs.map("version", 2));
        assertThat(stale.status()).as(stale.toString()).isEqualTo(409);
        assertThat(stale.json().get("errorCode").asText()).isEqualTo("version_conflict");
        assertThat(
                        alice.post(
                                        "/segments/" + id + "/versions/1/rollback",
                                        Defs.map("version", "3"))
                                .status())
                .isEqualTo(400);
        Http.Response rb =
                alice.post("/segments/" + id + "/versions/1/rollback", Defs.map("version", 3));
        assertThat(rb.status()).as(rb.toString()).isEqualTo(200);
        assertThat(rb.json().get("version").asLong()).isEqualTo(4);
        assertThat(rb.json().get("name").asText()).isEqualTo("Versioned");
        assertThat(rb.json().has("deleted")).isFalse();
        assertThat(rb.json().at("/definition/container/pred/func").asText()).isEqualTo("exists");
        assertThat(alice.get("/segments/" + id + "/versions/99").status()).isEqualTo(404);
        assertThat(alice.get("/segments/" + id + "/versions/zero").status()).isEqualTo(400);
        assertThat(alice.post("/segments/" + id + "/versions/3/rollback", null).status())
                .isEqualTo(400);
    }

    @Test
    void versions_beyond_the_cap_are_dropped_oldest_first() {
        String id = create(alice, "Capped", Defs.mobile()).get("id").asText();
        for (int i = 0; i < 7; i++) {
            alice.put("/segments/" + id, Defs.map("name", "Capped " + i));
        }
        JsonNode versions = alice.get("/segments/" + id + "/versions").json();
        assertThat(versions).hasSize(5);
        assertThat(versions.get(0).get("version").asLong()).isEqualTo(8);
        assertThat(versions.get(4).get("version").asLong()).isEqualTo(4);
    }

    @Test
    void propagation_reports_the_offset_and_when_every_subtask_applied_it() {
        JsonNode s = create(alice, "Propagating", Defs.mobile());
        String id = s.get("id").asText();
        JsonNode p = alice.get("/segments/" + id + "/propagation").json();
        assertThat(p.get("applied").asBoolean()).isFalse();
        long offset = p.get("offset").asLong();
        assertThat(offset).isGreaterThanOrEqualTo(0);
        // Both subtasks put it in effect (new events see it), then swept their users.
        for (int subtask = 0; subtask < 2; subtask++) {
            t.propagation.accept(
                    new AppliedRecord(
                            "acme",
                            id,
                            1,
                            offset,
                            "2026-11-23T09:59:5" + subtask + "Z",
                            subtask,
                            2,
                            AppliedRecord.LIVE,
                            null));
        }
        JsonNode live = alice.get("/segments/" + id + "/propagation").json();
        assertThat(live.get("inEffect").asBoolean()).isTrue();
        assertThat(live.get("inEffectAt").asText()).isEqualTo("2026-11-23T09:59:51Z");
        assertThat(live.get("applied").asBoolean()).isFalse();
        assertThat(live.get("subtasksReported").asInt()).isZero();
        t.propagation.accept(
                new AppliedRecord("acme", id, 1, offset, "2026-11-23T10:00:00Z", 0, 2));
        assertThat(alice.get("/segments/" + id + "/propagation").json().get("applied").asBoolean())
                .isFalse();
        t.propagation.accept(
                new AppliedRecord("acme", id, 1, offset, "2026-11-23T10:00:01Z", 1, 2));
        JsonNode done = alice.get("/segments/" + id + "/propagation").json();
        assertThat(done.get("inEffect").asBoolean()).isTrue();
        // Still when it went live, not when it was applied.
        assertThat(done.get("inEffectAt").asText()).isEqualTo("2026-11-23T09:59:51Z");
        assertThat(done.get("applied").asBoolean()).isTrue();
        assertThat(done.get("appliedAt").asText()).isEqualTo("2026-11-23T10:00:01Z");
        assertThat(done.get("subtasksReported").asInt()).isEqualTo(2);
        alice.put("/segments/" + id, Defs.map("name", "edited"));
        assertThat(alice.get("/segments/" + id + "/propagation").json().get("applied").asBoolean())
                .isFalse();
    }

    @Test
    void tags_endpoints_set_search_list_and_remove() {
        String id = create(alice, "Tagged", Defs.mobile()).get("id").asText();
        Http.Response set =
                alice.put(
                        "/componentmetadata/tags/tagitems",
                        List.of(
                                Defs.map(
                                        "componentType",
                                        "segment",
                                        "componentId",
                                        id,
                                        "tags",
                                        List.of(
                                                Defs.map(
                                                        "name",
                                                        "Mobile",
                                                        "description",
                                                        "Mobile-related segments"),
                                                Defs.map("name", "Q4")))));
        assertThat(set.status()).as(set.toString()).isEqualTo(200);
        JsonNode tags = set.json().get(0).get("tags");
        assertThat(tags).hasSize(2);
        long mobileId = tags.get(0).get("id").asLong();
        assertThat(
                        alice.get("/segments/" + id + "?expansion=tags")
                                .json()
                                .at("/tags/0/name")
                                .asText())
                .isEqualTo("Mobile");
        assertThat(
                        alice.get(
                                        "/componentmetadata/tags/search?componentType=segment&componentIds="
                                                + id)
                                .json()
                                .get(0)
                                .get("tags"))
                .hasSize(2);
        assertThat(alice.get("/componentmetadata/tags").json().toString())
                .contains("\"Mobile\"")
                .contains("\"Q4\"");
        assertThat(
                        alice.get("/componentmetadata/tags/tagnames?tagNames=mobile")
                                .json()
                                .get(0)
                                .get("id")
                                .asLong())
                .isEqualTo(mobileId);
        assertThat(
                        alice.delete(
                                        "/componentmetadata/tags?componentType=segment&componentIds="
                                                + id)
                                .status())
                .isEqualTo(200);
        assertThat(alice.get("/segments/" + id + "?expansion=tags").json().get("tags")).isEmpty();
        assertThat(
                        alice.get(
                                        "/componentmetadata/tags/search?componentType=metric&componentIds="
                                                + id)
                                .status())
                .isEqualTo(400);
        assertThat(
                        bob.put(
                                        "/componentmetadata/tags/tagitems",
                                        List.of(
                                                Defs.map(
                                                        "componentType",
                                                        "segment",
                                                        "componentId",
                                                        id,
                                                        "tags",
                                                        List.of())))
                                .status())
                .isEqualTo(403);
    }

    @Test
    void shares_endpoints_share_list_and_unshare() {
        String id = create(alice, "Shared", Defs.mobile()).get("id").asText();
        assertThat(bob.get("/segments/" + id).status()).isEqualTo(403);
        JsonNode share =
                alice.post(
                                "/componentmetadata/shares",
                                Defs.map(
                                        "componentType",
                                        "segment",
                                        "componentId",
                                        id,
                                        "shareToId",
                                        2,
                                        "shareToType",
                                        "user"))
                        .json();
        assertThat(share.get("shareToId").asLong()).isEqualTo(2);
        assertThat(bob.get("/segments/" + id).status()).isEqualTo(200);
        assertThat(bob.get("/componentmetadata/shares/sharedto/me").json().toString()).contains(id);
        assertThat(alice.get("/componentmetadata/shares/component/segment/" + id).json())
                .hasSize(1);
        assertThat(bob.put("/segments/" + id, Defs.map("name", "bob's now")).status())
                .isEqualTo(403);
        assertThat(
                        alice.delete("/componentmetadata/shares/" + share.get("shareId").asLong())
                                .status())
                .isEqualTo(200);
        assertThat(bob.get("/segments/" + id).status()).isEqualTo(403);
        assertThat(alice.delete("/componentmetadata/shares/12345").status()).isEqualTo(404);
        assertThat(
                        alice.post(
                                        "/componentmetadata/shares",
                                        Defs.map(
                                                "componentType",
                                                "segment",
                                                "componentId",
                                                id,
                                                "shareToType",
                                                "group"))
                                .status())
                .isEqualTo(400);
    }

    @Test
    void a_read_key_cannot_write_and_an_admin_can_edit_any_segment() {
        String id = create(alice, "Perms", Defs.mobile()).get("id").asText();
        Http.Response r = reader.post("/segments", Defs.body("nope", Defs.mobile()));
        assertThat(r.status()).isEqualTo(403);
        assertThat(admin.put("/segments/" + id, Defs.map("name", "by admin")).status())
                .isEqualTo(200);
        assertThat(reader.post("/segments/validate?rsid=default", Defs.mobile()).status())
                .isEqualTo(200);
    }

    static List<String> ids(Http.Response r) {
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        List<String> out = new ArrayList<>();
        r.json().forEach(n -> out.add(n.get("id").asText()));
        return out;
    }

    static List<String> names(Http.Response r) {
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        List<String> out = new ArrayList<>();
        r.json().forEach(n -> out.add(n.get("name").asText()));
        return out;
    }
}
