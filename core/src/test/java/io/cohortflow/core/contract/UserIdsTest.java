package io.cohortflow.core.contract;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class UserIdsTest {

    @Test
    void a_uuid_in_any_case_is_one_user_in_lower_case() {
        String lower = "2008c38f-dece-4570-976d-87593ed001c3";

        assertThat(UserIds.uuid("2008C38F-DECE-4570-976D-87593ED001C3")).isEqualTo(lower);
        assertThat(UserIds.uuid("2008c38f-DECE-4570-976d-87593ed001C3")).isEqualTo(lower);
        assertThat(UserIds.uuid(lower)).isEqualTo(lower);
        assertThat(UserIds.canonical("2008C38F-DECE-4570-976D-87593ED001C3")).isEqualTo(lower);
    }

    @Test
    void only_the_36_character_text_form_is_a_uuid() {
        // UUID.fromString takes these; as user ids they would be a second name for one UUID.
        assertThat(UserIds.uuid("1-1-1-1-1")).isNull();
        assertThat(UserIds.uuid("2008c38f-dece-4570-976d-87593ed001c")).isNull();
        assertThat(UserIds.uuid("02008c38f-dece-4570-976d-87593ed001c")).isNull();
        assertThat(UserIds.uuid("2008c38f+dece-4570-976d-87593ed001c3")).isNull();
        assertThat(UserIds.uuid("")).isNull();
    }

    @Test
    void other_ids_are_kept_as_they_are() {
        assertThat(UserIds.canonical("Visitor-42")).isEqualTo("Visitor-42");
        assertThat(UserIds.canonical("1-1-1-1-1")).isEqualTo("1-1-1-1-1");
    }

    @Test
    void an_id_has_1_to_512_characters_and_no_control_character() {
        assertThat(UserIds.problem("visitor-42")).isNull();
        assertThat(UserIds.problem("x".repeat(512))).isNull();
        assertThat(UserIds.problem("")).contains("1 to 512");
        assertThat(UserIds.problem("x".repeat(513))).contains("1 to 512");
        assertThat(UserIds.problem(".")).contains("'.' or '..'");
        assertThat(UserIds.problem("..")).contains("'.' or '..'");
        assertThat(UserIds.problem("...")).isNull();
        assertThat(UserIds.problem(".x")).isNull();
        // A line break in an id split the user across two lines of a CSV export's reader.
        assertThat(UserIds.problem("a\nb")).contains("control");
        assertThat(UserIds.problem("a\tb")).contains("control");
        // Whole characters: an emoji is two chars, half of one is not text.
        assertThat(UserIds.problem("fan-\uD83D\uDE00")).isNull();
        assertThat(UserIds.problem("\uD800x")).contains("unpaired surrogate at 0");
        assertThat(UserIds.problem("x\uDC00")).contains("unpaired surrogate at 1");
        assertThat(UserIds.problem("x\uD83D")).contains("unpaired surrogate at 1");
    }
}
