package io.cohortflow.service.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The tags writes are bounded in the writes one request makes: at most 100 segments named, each
 * once, every one checked before any is written, and no new version for tags a segment has.
 */
class MetadataControllerTest {
    static TestApp t;
    static Http alice;
    static Http bob;

    @BeforeAll
    static void start() {
        t = new TestApp();
        alice = t.as("alice");
        bob = t.as("bob");
    }

    @AfterAll
    static void stop() {
        t.close();
    }

    static String create(Http who, String name) {
        Http.Response r = who.post("/segments", Defs.body(name, Defs.mobile()));
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        return r.json().get("id").asText();
    }

    static long version(String id) {
        return alice.get("/segments/" + id).json().get("version").asLong();
    }

    static int versions(String id) {
        return alice.get("/segments/" + id + "/versions").json().size();
    }

    static Map<String, Object> item(String id, String... tags) {
        List<Map<String, Object>> list = new ArrayList<>();
        for (String tag : tags) {
            list.add(Defs.map("name", tag, "description", "about " + tag));
        }
        return Defs.map("componentType", "segment", "componentId", id, "tags", list);
    }

    static Http.Response put(Http who, List<Map<String, Object>> items) {
        return who.put("/componentmetadata/tags/tagitems", items);
    }

    static Http.Response delete(List<String> ids) {
        return alice.delete(
                "/componentmetadata/tags?componentType=segment&componentIds="
                        + String.join(",", ids));
    }

    @Test
    void PUT_tagitems_with_100_items_sets_each_and_101_gives_400_limit_exceeded_writing_nothing() {
        List<Map<String, Object>> items = new ArrayList<>();
        for (int i = 0; i < 101; i++) {
            items.add(item(create(alice, "Many " + i), "Bulk"));
        }
        String first = (String) items.get(0).get("componentId");
        long before = version(first);

        Http.Response over = put(alice, items);
        assertThat(over.status()).as(over.toString()).isEqualTo(400);
        assertThat(over.json().get("errorCode").asText()).isEqualTo("limit_exceeded");
        assertThat(over.json().get("errorDescription").asText()).contains("at most 100");
        assertThat(over.json().at("/errors/0/code").asText()).isEqualTo("too_many");
        assertThat(version(first)).isEqualTo(before);

        Http.Response within = put(alice, items.subList(0, 100));
        assertThat(within.status()).as(within.toString()).isEqualTo(200);
        assertThat(within.json()).hasSize(100);
        assertThat(version(first)).isEqualTo(before + 1);
    }

    @Test
    void PUT_tagitems_naming_a_segment_twice_gives_400_writing_nothing() {
        String id = create(alice, "Twice");
        long before = version(id);
        Http.Response r = put(alice, List.of(item(id, "A"), item(id, "B")));
        assertThat(r.status()).as(r.toString()).isEqualTo(400);
        assertThat(r.json().get("errorCode").asText()).isEqualTo("invalid_body");
        assertThat(r.json().at("/errors/0/pointer").asText()).isEqualTo("/1/componentId");
        assertThat(r.json().at("/errors/0/code").asText()).isEqualTo("duplicate");
        assertThat(version(id)).isEqualTo(before);
    }

    @Test
    void PUT_tagitems_refused_for_one_segment_writes_none_of_the_others() {
        String own = create(alice, "Own");
        String bobs = create(bob, "Bob's");
        long before = version(own);
        Http.Response r = put(alice, List.of(item(own, "A"), item(bobs, "B")));
        assertThat(r.status()).as(r.toString()).isEqualTo(403);
        assertThat(version(own)).isEqualTo(before);
        assertThat(alice.get("/segments/" + own + "?expansion=tags").json().get("tags")).isEmpty();
    }

    @Test
    void PUT_tagitems_with_the_tags_a_segment_has_answers_them_and_writes_no_version() {
        String id = create(alice, "Same tags");
        Http.Response set = put(alice, List.of(item(id, "Mobile", "Q4")));
        assertThat(set.status()).as(set.toString()).isEqualTo(200);
        long tagged = version(id);
        int kept = versions(id);

        Http.Response again = put(alice, List.of(item(id, "Mobile", "Q4")));
        assertThat(again.status()).as(again.toString()).isEqualTo(200);
        assertThat(again.json()).isEqualTo(set.json());
        assertThat(version(id)).isEqualTo(tagged);
        assertThat(versions(id)).isEqualTo(kept);

        // A changed description is a change.
        Http.Response changed =
                put(
                        alice,
                        List.of(
                                Defs.map(
                                        "componentType",
                                        "segment",
                                        "componentId",
                                        id,
                                        "tags",
                                        List.of(
                                                Defs.map("name", "Mobile", "description", "new"),
                                                Defs.map(
                                                        "name",
                                                        "Q4",
                                                        "description",
                                                        "about Q4")))));
        assertThat(changed.status()).as(changed.toString()).isEqualTo(200);
        assertThat(version(id)).isEqualTo(tagged + 1);
    }

    @Test
    void DELETE_tags_naming_a_segment_three_times_writes_one_version_and_none_when_untagged() {
        String id = create(alice, "Untag");
        assertThat(put(alice, List.of(item(id, "Gone"))).status()).isEqualTo(200);
        long tagged = version(id);

        Http.Response r = delete(List.of(id, id, id));
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        assertThat(version(id)).isEqualTo(tagged + 1);
        assertThat(alice.get("/segments/" + id + "?expansion=tags").json().get("tags")).isEmpty();

        assertThat(delete(List.of(id)).status()).isEqualTo(200);
        assertThat(version(id)).isEqualTo(tagged + 1);
    }

    @Test
    void DELETE_tags_with_more_than_100_ids_gives_400_and_repeats_of_one_count_once() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 101; i++) {
            ids.add("s_missing_" + i);
        }
        Http.Response over = delete(ids);
        assertThat(over.status()).as(over.toString()).isEqualTo(400);
        assertThat(over.json().get("errorCode").asText()).isEqualTo("invalid_parameter");
        assertThat(over.json().get("errorDescription").asText()).contains("at most 100");

        // 150 names of one segment: one segment, one write.
        String id = create(alice, "Repeated");
        assertThat(put(alice, List.of(item(id, "Gone"))).status()).isEqualTo(200);
        long tagged = version(id);
        Http.Response repeated = delete(Collections.nCopies(150, id));
        assertThat(repeated.status()).as(repeated.toString()).isEqualTo(200);
        assertThat(version(id)).isEqualTo(tagged + 1);
    }
}
