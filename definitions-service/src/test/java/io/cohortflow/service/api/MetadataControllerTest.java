package io.cohortflow.service.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
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

    static Map<String, Object> item(String id, Map<String, Object> tag) {
        return Defs.map("componentType", "segment", "componentId", id, "tags", List.of(tag));
    }

    static Http.Response put(Http who, List<Map<String, Object>> items) {
        return who.put("/componentmetadata/tags/tagitems", items);
    }

    static Http.Response delete(List<String> ids) {
        return alice.delete(
                "/componentmetadata/tags?componentType=segment&componentIds="
                        + String.join(",", ids));
    }

    /**
     * A read's tags sent back with an edit elsewhere are no change, whatever the tag's id: one
     * below 2^31 is read from the body as an int, the stored one is a long.
     */
    @Test
    void a_read_sent_back_with_its_tags_is_accepted_whatever_the_tag_ids() {
        String small = null;
        for (int i = 0; small == null; i++) {
            if (io.cohortflow.service.segments.SegmentMetadata.tagId("acme", "Tag" + i)
                    <= Integer.MAX_VALUE) {
                small = "Tag" + i;
            }
        }
        String id = create(alice, "Tags sent back");
        assertThat(put(alice, List.of(item(id, small, "Other"))).status()).isEqualTo(200);
        com.fasterxml.jackson.databind.node.ObjectNode read =
                (com.fasterxml.jackson.databind.node.ObjectNode)
                        alice.get("/segments/" + id + "?expansion=tags").json();
        assertThat(read.get("tags")).hasSize(2);
        read.put("name", "Tags sent back, renamed");
        Http.Response r = alice.put("/segments/" + id, read);
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        assertThat(alice.get("/segments/" + id).json().get("name").asText())
                .isEqualTo("Tags sent back, renamed");
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

    static Http.Response share(String id, Object shareToId, String shareToType) {
        return alice.post(
                "/componentmetadata/shares",
                Defs.map(
                        "componentType",
                        "segment",
                        "componentId",
                        id,
                        "shareToId",
                        shareToId,
                        "shareToType",
                        shareToType));
    }

    @Test
    void POST_shares_again_to_the_same_target_answers_the_first_share_and_writes_no_version() {
        String id = create(alice, "Shared twice");
        Http.Response first = share(id, 2, "user");
        assertThat(first.status()).as(first.toString()).isEqualTo(200);
        Http.Response everyone = share(id, 0, "all");
        assertThat(everyone.status()).as(everyone.toString()).isEqualTo(200);
        long shared = version(id);

        Http.Response again = share(id, 2, "user");
        assertThat(again.status()).as(again.toString()).isEqualTo(200);
        assertThat(again.json()).isEqualTo(first.json());
        // shareToId means nothing for all: any one names the same share, whatever it holds.
        assertThat(share(id, 9, "all").json()).isEqualTo(everyone.json());
        Http.Response text = share(id, "x", "all");
        assertThat(text.status()).as(text.toString()).isEqualTo(200);
        assertThat(text.json()).isEqualTo(everyone.json());
        assertThat(version(id)).isEqualTo(shared);
        assertThat(alice.get("/componentmetadata/shares/component/segment/" + id).json())
                .hasSize(2);

        // The shareId first answered still unshares.
        Http.Response unshare =
                alice.delete("/componentmetadata/shares/" + first.json().get("shareId").asLong());
        assertThat(unshare.status()).as(unshare.toString()).isEqualTo(200);
        Http.Response left = alice.get("/componentmetadata/shares/component/segment/" + id);
        assertThat(left.json()).hasSize(1);
        assertThat(left.json().at("/0/shareToType").asText()).isEqualTo("all");
    }

    @Test
    void POST_shares_to_a_user_id_that_is_not_positive_gives_400_at_shareToId_writing_nothing() {
        String id = create(alice, "Shared badly");
        long before = version(id);
        for (Object bad : List.of(-7, 0)) {
            Http.Response r = share(id, bad, "user");
            assertThat(r.status()).as(r.toString()).isEqualTo(400);
            assertThat(r.json().get("errorCode").asText()).isEqualTo("invalid_body");
            assertThat(r.json().at("/errors/0/pointer").asText()).isEqualTo("/shareToId");
        }
        Http.Response text = share(id, "2", "user");
        assertThat(text.status()).as(text.toString()).isEqualTo(400);
        assertThat(text.json().at("/errors/0/pointer").asText()).isEqualTo("/shareToId");
        assertThat(text.json().at("/errors/0/code").asText()).isEqualTo("wrong_type");
        assertThat(version(id)).isEqualTo(before);
    }

    @Test
    void DELETE_share_of_a_deleted_segment_gives_404_deleted_and_writes_no_version() {
        String id = create(alice, "Deleted then unshared");
        long shareId = share(id, 2, "user").json().get("shareId").asLong();
        assertThat(alice.delete("/segments/" + id).status()).isEqualTo(200);
        long deleted = version(id);

        Http.Response r = alice.delete("/componentmetadata/shares/" + shareId);
        assertThat(r.status()).as(r.toString()).isEqualTo(404);
        assertThat(r.json().get("errorCode").asText()).isEqualTo("deleted");
        assertThat(version(id)).isEqualTo(deleted);
        // As sharing it is refused.
        assertThat(share(id, 3, "user").json().get("errorCode").asText()).isEqualTo("deleted");
    }

    @Test
    void PUT_tagitems_with_a_comma_in_a_tag_name_gives_400_at_that_name_writing_nothing() {
        String first = create(alice, "Comma 1");
        String second = create(alice, "Comma 2");
        long before = version(first);
        Http.Response r = put(alice, List.of(item(first, "Fine"), item(second, "Ok", "Q4,2026")));
        assertThat(r.status()).as(r.toString()).isEqualTo(400);
        assertThat(r.json().get("errorCode").asText()).isEqualTo("invalid_body");
        assertThat(r.json().at("/errors/0/pointer").asText()).isEqualTo("/1/tags/1/name");
        assertThat(r.json().at("/errors/0/code").asText()).isEqualTo("invalid_value");
        assertThat(r.json().get("errorDescription").asText()).contains(",");
        assertThat(version(first)).isEqualTo(before);

        // A blank name is refused by the same rule, at its pointer.
        Http.Response blank = put(alice, List.of(item(first, " ")));
        assertThat(blank.status()).as(blank.toString()).isEqualTo(400);
        assertThat(blank.json().at("/errors/0/pointer").asText()).isEqualTo("/0/tags/0/name");
    }

    @Test
    void PUT_tagitems_with_a_tag_field_of_the_wrong_type_or_unknown_gives_400_at_its_pointer() {
        String id = create(alice, "Typed tags");
        long before = version(id);
        Http.Response wrongType =
                put(
                        alice,
                        List.of(
                                Defs.map(
                                        "componentType",
                                        "segment",
                                        "componentId",
                                        id,
                                        "tags",
                                        List.of(Defs.map("name", "A", "description", 5)))));
        assertThat(wrongType.status()).as(wrongType.toString()).isEqualTo(400);
        assertThat(wrongType.json().get("errorCode").asText()).isEqualTo("invalid_body");
        assertThat(wrongType.json().at("/errors/0/pointer").asText())
                .isEqualTo("/0/tags/0/description");
        assertThat(wrongType.json().at("/errors/0/code").asText()).isEqualTo("wrong_type");

        Http.Response unknown =
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
                                                Defs.map("name", "A"),
                                                Defs.map("name", "B", "colour", "red")))));
        assertThat(unknown.status()).as(unknown.toString()).isEqualTo(400);
        assertThat(unknown.json().at("/errors/0/pointer").asText()).isEqualTo("/0/tags/1/colour");
        assertThat(unknown.json().at("/errors/0/code").asText()).isEqualTo("unknown_field");
        assertThat(version(id)).isEqualTo(before);

        // Tags as a read answered them (with their id) can be sent back.
        Http.Response set = put(alice, List.of(item(id, "A")));
        assertThat(set.status()).as(set.toString()).isEqualTo(200);
        Http.Response back =
                put(
                        alice,
                        List.of(
                                Defs.map(
                                        "componentType",
                                        "segment",
                                        "componentId",
                                        id,
                                        "tags",
                                        set.json().get(0).get("tags"))));
        assertThat(back.status()).as(back.toString()).isEqualTo(200);
        assertThat(back.json()).isEqualTo(set.json());
    }

    @Test
    void GET_tags_spells_a_name_as_the_segment_modified_last() {
        // Within one second. (Written before timestamps had three fraction digits, 12:00:45 was
        // "12:00:45Z", which as text sorts after "12:00:45.826Z": the order is the instants'.)
        SettableClock clock = new SettableClock(Instant.parse("2026-03-01T12:00:45Z"));
        try (TestApp app = new TestApp(clock)) {
            Http a = app.as("alice");
            String older = create(a, "Older");
            Map<String, Object> old = Defs.map("name", "Mobile", "description", "old");
            assertThat(put(a, List.of(item(older, old))).status()).isEqualTo(200);
            clock.set(Instant.parse("2026-03-01T12:00:45.826Z"));
            String newer = create(a, "Newer");
            Map<String, Object> nu = Defs.map("name", "mobile", "description", "new");
            assertThat(put(a, List.of(item(newer, nu))).status()).isEqualTo(200);
            assertThat(
                            a.get("/segments/" + older + "?expansion=modified")
                                    .json()
                                    .get("modified")
                                    .asText())
                    .isEqualTo("2026-03-01T12:00:45.000Z");

            Http.Response tags = a.get("/componentmetadata/tags");
            assertThat(tags.status()).as(tags.toString()).isEqualTo(200);
            assertThat(tags.json()).hasSize(1);
            assertThat(tags.json().at("/0/name").asText()).isEqualTo("mobile");
            assertThat(tags.json().at("/0/description").asText()).isEqualTo("new");
        }
    }
}
