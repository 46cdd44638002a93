package io.cohortflow.core.event;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class EventJsonTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final EventLimits SMALL = new EventLimits(10, 5, 20, 6, 2, 400);

    private static JsonNode event(String time, String properties) throws IOException {
        return JSON.readTree(
                "{\"name\":\"P\",\"time\":" + time + ",\"properties\":" + properties + "}");
    }

    private static EventJson.Parsed parse(String time, String properties) throws IOException {
        return EventJson.parse(event(time, properties), SMALL);
    }

    @Test
    void a_time_before_1970_is_refused_as_a_number_and_as_a_string() throws IOException {
        assertThat(parse("-86400000", "{}").errors())
                .containsExactly(
                        "time: before 1970-01-01T00:00:00Z, the earliest accepted event time");
        assertThat(parse("\"1969-12-31T00:00:00Z\"", "{}").errors())
                .containsExactly(
                        "time: before 1970-01-01T00:00:00Z, the earliest accepted event time");
        assertThat(parse("0", "{}").event().time()).isZero();
    }

    @Test
    void half_a_character_in_a_name_a_property_name_or_a_value_is_refused() throws IOException {
        assertThat(
                        EventJson.parse(
                                        JSON.readTree(
                                                "{\"name\":\"P\\ud800\",\"time\":0,\"properties\":{}}"))
                                .errors())
                .containsExactly("name: whole characters only (an unpaired surrogate at 1)");
        // Jackson's parser refuses some of these in a name; a tree built otherwise may hold any.
        com.fasterxml.jackson.databind.node.ObjectNode halfKey = JSON.createObjectNode();
        halfKey.put("name", "P").put("time", 0).putObject("properties").put("a\udc00", 1);
        assertThat(EventJson.parse(halfKey).errors())
                .containsExactly(
                        "properties: a property name: whole characters only (an unpaired surrogate at 1)");
        assertThat(parse("0", "{\"b\":[\"x\",\"\\ud800\"]}").errors())
                .containsExactly(
                        "properties.b[1]: whole characters only (an unpaired surrogate at 0)");
        // A pair is one character, and whole.
        assertThat(parse("0", "{\"a\":\"\\ud83d\\ude00\"}").errors()).isEmpty();
    }

    @Test
    void view_and_session_ids_are_uuids_in_their_text_form_read_in_lower_case() throws IOException {
        String upper = "6F1C2D3E-4A5B-4C6D-8E9F-0A1B2C3D4E5F";
        JsonNode ok =
                JSON.readTree(
                        "{\"name\":\"P\",\"time\":0,\"properties\":{},\"session_id\":\""
                                + upper
                                + "\",\"view_id\":\""
                                + upper.toLowerCase(java.util.Locale.ROOT)
                                + "\"}");
        Event e = EventJson.parse(ok).event();
        assertThat(e.sessionId()).isEqualTo(upper.toLowerCase(java.util.Locale.ROOT));
        assertThat(e.viewId()).isEqualTo(e.sessionId());
        for (String lenient : new String[] {"1-1-1-1-1", "0-0-0-0-00000000000000000000000000000"}) {
            JsonNode n =
                    JSON.readTree(
                            "{\"name\":\"P\",\"time\":0,\"properties\":{},\"session_id\":\""
                                    + lenient
                                    + "\"}");
            assertThat(EventJson.parse(n).errors())
                    .as(lenient)
                    .singleElement()
                    .asString()
                    .startsWith("session_id: must be a UUID");
        }
    }

    @Test
    void times_from_the_year_3000_or_a_long_are_refused_without_an_exception() throws IOException {
        assertThat(parse("\"3000-01-01T00:00:00Z\"", "{}").errors())
                .containsExactly(
                        "time: after 2999-12-31T23:59:59.999Z, the latest accepted event time");
        assertThat(parse("\"+300000000-01-01T00:00:00Z\"", "{}").errors())
                .singleElement()
                .asString()
                .startsWith("time: must be an ISO 8601");
        assertThat(parse("\"-300000000-01-01T00:00:00Z\"", "{}").ok()).isFalse();
        assertThat(parse("123456789012345678901234567890", "{}").errors())
                .singleElement()
                .asString()
                .startsWith("time: must be an ISO 8601");
        assertThat(parse("9223372036854775807", "{}").ok()).isFalse();
    }

    @Test
    void each_size_limit_is_named_in_its_error() throws IOException {
        assertThat(parse("0", "{\"a\":\"123456789012345678901\"}").errors())
                .containsExactly("properties.a: longer than 20 characters");
        assertThat(parse("0", "{\"abcdef\":1}").errors())
                .containsExactly("properties: a property name is longer than 5 characters");
        assertThat(parse("0", "{\"a\":[1,2,3,4,5,6,7]}").errors())
                .containsExactly("properties: more than 6 values");
        assertThat(parse("0", "{\"a\":{\"b\":{\"c\":1}}}").errors())
                .containsExactly("properties.a.b: nested deeper than 2 levels");
        assertThat(parse("0", "{\"a\":1e999}").errors())
                .containsExactly("properties.a: a number out of range");
        assertThat(
                        EventJson.parse(
                                        JSON.readTree(
                                                "{\"name\":\"12345678901\",\"time\":0,"
                                                        + "\"properties\":{}}"),
                                        SMALL)
                                .errors())
                .containsExactly("name: longer than 10 characters");
        String big = "{\"a\":\"" + "x".repeat(19) + "\",\"b\":\"" + "x".repeat(19) + "\"}";
        EventLimits tight = new EventLimits(10, 5, 20, 6, 2, 60);
        assertThat(EventJson.parse(event("0", big), tight).errors())
                .containsExactly("the event is larger than 60 characters of JSON");
    }

    @Test
    void an_event_within_the_limits_parses() throws IOException {
        EventJson.Parsed p =
                parse("\"2024-01-15T10:30:00Z\"", "{\"a\":[1,\"x\"],\"b\":{\"c\":true}}");
        assertThat(p.errors()).isEmpty();
        assertThat(p.event().properties()).containsKey("a");
    }
}
