package io.cohortflow.core.contract;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SegmentRecordTest {
    @Test
    void a_record_applies_when_it_replaces_the_version_held_and_is_the_next() {
        assertThat(SegmentRecord.follows(1, 2, 1)).isTrue();
        assertThat(SegmentRecord.follows(1, 2, 2)).as("a write that lost a race").isFalse();
        assertThat(SegmentRecord.follows(1, 3, 1)).as("not the next version").isFalse();
        assertThat(SegmentRecord.follows(0, 2, 1)).isFalse();
    }

    @Test
    void a_reader_holding_nothing_applies_the_first_record_it_reads_as_after_compaction() {
        assertThat(SegmentRecord.follows(0, 1, 0)).as("a segment's first version").isTrue();
        assertThat(SegmentRecord.follows(45, 46, 0)).as("the oldest version kept").isTrue();
        assertThat(SegmentRecord.follows(0, 0, 0)).as("no version 0").isFalse();
    }

    @Test
    void a_reader_that_missed_compacted_versions_applies_the_next_it_reads() {
        assertThat(SegmentRecord.follows(20, 21, 10)).as("versions 11 to 20 compacted").isTrue();
        assertThat(SegmentRecord.follows(20, 22, 10)).as("not a version's successor").isFalse();
        assertThat(SegmentRecord.follows(9, 10, 10)).as("a write that lost a race").isFalse();
    }
}
