package io.cohortflow.core.eval;

import static io.cohortflow.core.Fixture.def;
import static io.cohortflow.core.Fixture.visitors;
import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.core.definition.Definition;
import org.junit.jupiter.api.Test;

class CatalogBuilderTest {
    static final Definition BUYER =
            def(visitors("{\"func\":\"event-exists\",\"evt\":\"Purchase\"}"));
    static final Definition READER =
            def(visitors("{\"func\":\"event-exists\",\"evt\":\"Pageview\"}"));

    static Definition ref(String id) {
        return def(visitors("{\"func\":\"segment-ref\",\"id\":\"" + id + "\"}"));
    }

    @Test
    void an_edit_changes_the_segments_that_reference_it_now_not_those_that_did() {
        CatalogBuilder b = new CatalogBuilder();
        b.put("a", 1, BUYER, 1);
        b.put("b", 1, ref("a"), 2);
        b.put("c", 1, ref("b"), 3);
        b.put("d", 1, READER, 4);
        assertThat(b.put("a", 2, READER, 5).changed()).containsExactly("a", "b", "c");
        assertThat(b.build().changedAt("c")).isEqualTo(5);

        b.put("b", 2, ref("d"), 6); // b no longer reads a; c still reads b
        assertThat(b.put("a", 3, BUYER, 7).changed()).containsExactly("a");
        assertThat(b.put("d", 2, BUYER, 8).changed()).containsExactly("d", "b", "c");
    }

    @Test
    void removing_a_segment_removes_its_referrers_and_a_segment_put_again_keeps_its_number() {
        CatalogBuilder b = new CatalogBuilder();
        b.put("a", 1, BUYER, 1);
        b.put("b", 1, ref("a"), 2);
        b.put("c", 1, ref("b"), 3);
        CatalogBuilder.Change removed = b.remove("a", 4);
        assertThat(removed.changed()).containsExactly("a", "b", "c");
        assertThat(removed.problems()).extracting(p -> p.code()).containsOnly("dependency_removed");
        assertThat(b.build().size()).isZero();

        b.put("c", 2, READER, 5);
        b.put("a", 2, BUYER, 6);
        assertThat(b.build().segment("a").orElseThrow().ordinal()).isZero();
        assertThat(b.build().segment("c").orElseThrow().ordinal()).isEqualTo(2);
        // The referrers that went with "a" are forgotten: c reads nothing now.
        assertThat(b.put("a", 3, READER, 7).changed()).containsExactly("a");
    }

    @Test
    void a_refused_change_leaves_everything_as_it_was() {
        CatalogBuilder b = new CatalogBuilder();
        b.put("a", 1, BUYER, 1);
        b.put("b", 1, ref("a"), 2);
        SegmentCatalog before = b.build();

        CatalogBuilder.Change cycle = b.put("a", 2, ref("b"), 3);
        CatalogBuilder.Change unknown = b.put("x", 1, ref("nowhere"), 4);

        assertThat(cycle.ok()).isFalse();
        assertThat(unknown.ok()).isFalse();
        assertThat(b.build()).isSameAs(before);
        assertThat(b.epoch()).isEqualTo(2);
        assertThat(b.ordinal("x")).isEqualTo(-1); // no number spent on a refused segment
        assertThat(b.ordinalCount()).isEqualTo(2);
        // "a" still has its first definition, and b still follows it.
        assertThat(b.put("a", 2, READER, 5).changed()).containsExactly("a", "b");
    }

    @Test
    void a_built_catalog_is_not_changed_by_later_changes_and_is_built_once_per_burst() {
        CatalogBuilder b = new CatalogBuilder();
        b.put("a", 1, BUYER, 1);
        SegmentCatalog first = b.build();
        assertThat(b.build()).isSameAs(first);

        b.put("a", 2, READER, 2);
        b.put("b", 1, BUYER, 3);
        SegmentCatalog second = b.build();

        assertThat(second).isNotSameAs(first);
        assertThat(first.segment("a").orElseThrow().definition()).isEqualTo(BUYER);
        assertThat(first.segment("b")).isEmpty();
        assertThat(first.epoch()).isEqualTo(1);
        assertThat(second.segment("a").orElseThrow().definition()).isEqualTo(READER);
        assertThat(second.changedSince(1)).containsExactlyInAnyOrder("a", "b");
    }

    @Test
    void a_catalog_changed_through_its_own_api_stays_as_it_was() {
        SegmentCatalog c = SegmentCatalog.empty().put("a", 1, BUYER).catalog();
        SegmentCatalog d = c.put("b", 1, ref("a")).catalog().remove("a").catalog();
        assertThat(c.segments()).extracting(CompiledSegment::id).containsExactly("a");
        assertThat(d.segments()).isEmpty();
        assertThat(d.ordinals().asMap()).containsOnlyKeys("a", "b");
    }
}
