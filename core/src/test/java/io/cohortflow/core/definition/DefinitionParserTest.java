package io.cohortflow.core.definition;

import static io.cohortflow.core.Fixture.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import io.cohortflow.core.Fixture;
import java.util.List;
import org.junit.jupiter.api.Test;

class DefinitionParserTest {

    /** The definition of the Segments API's "High Value Customers" example. */
    static final String SPEC_REVENUE =
            """
            {"container":{"func":"segment","context":"visits","pred":{"func":"range",
              "description":"Revenue greater than 500",
              "val":{"func":"attr","name":"metrics/revenue"},"low":500,"high":null}},
             "func":"segment-def","version":[1,0,0]}""";

    /** The definition of the Segments API's "Mobile Device Users" example. */
    static final String SPEC_MOBILE =
            """
            {"container":{"func":"segment","context":"hits","pred":{"func":"exists",
              "description":"Mobile Device Type exists",
              "val":{"func":"attr","name":"variables/mobiledevicetype"}}},
             "func":"segment-def","version":[1,0,0]}""";

    @Test
    void spec_examples_parse_and_write_back_canonically() {
        for (String s : List.of(SPEC_REVENUE, SPEC_MOBILE)) {
            DefinitionParser.Result r = DefinitionParser.parse(json(s));
            assertThat(r.problems()).isEmpty();
            Definition d = r.definition();
            assertThat(DefinitionParser.parse(DefinitionWriter.write(d)).definition()).isEqualTo(d);
        }
        Definition revenue = DefinitionParser.parse(json(SPEC_REVENUE)).definition();
        assertThat(DefinitionWriter.write(revenue).toString())
                .isEqualTo(
                        "{\"func\":\"segment-def\",\"version\":[1,0,0],\"container\":{\"func\":\"container\","
                                + "\"context\":\"visits\",\"pred\":{\"func\":\"range\",\"val\":{\"func\":\"attr\","
                                + "\"name\":\"metrics/revenue\"},\"low\":500,\"high\":null,"
                                + "\"description\":\"Revenue greater than 500\"}}}");
    }

    @Test
    void both_envelope_spellings_mean_the_same() {
        Definition a =
                Fixture.def(
                        "{\"func\":\"segment\",\"container\":{\"func\":\"segment\",\"context\":\"hits\","
                                + "\"pred\":{\"func\":\"event-exists\",\"evt\":{\"func\":\"event\",\"name\":\"metrics/Pageview\"}}}}");
        Definition b =
                Fixture.def(
                        "{\"func\":\"segment-def\",\"version\":[1,0,0],\"container\":{\"func\":\"container\","
                                + "\"context\":\"hits\",\"pred\":{\"func\":\"event-exists\",\"evt\":{\"func\":\"event\","
                                + "\"name\":\"metrics/Pageview\"}}}}");
        assertThat(a).isEqualTo(b);
    }

    @Test
    void eq_any_of_and_numeric_strings_are_written_as_eq_in_with_numbers() {
        Definition d =
                Fixture.def(
                        Fixture.visitors(
                                "{\"func\":\"eq-any-of\",\"val\":{\"func\":\"attr\",\"name\":\"variables/n\"},\"list\":[\"1\",2.5]}"));
        String out = DefinitionWriter.write(d).toString();
        assertThat(out).contains("\"func\":\"eq-in\"").contains("\"list\":[1,2.5]");
        Definition gt =
                Fixture.def(
                        Fixture.visitors(
                                "{\"func\":\"gt\",\"val\":{\"func\":\"attr\",\"name\":\"metrics/revenue\"},\"num\":\"500\"}"));
        assertThat(DefinitionWriter.write(gt).toString()).contains("\"num\":500");
    }

    @Test
    void windows_at_least_and_plural_units_round_trip() {
        Definition d =
                Fixture.def(
                        "{\"func\":\"segment-def\",\"container\":{\"func\":\"container\",\"context\":\"hits\","
                                + "\"window\":{\"count\":30,\"unit\":\"days\"},\"at_least\":3,"
                                + "\"pred\":{\"func\":\"streq\",\"val\":{\"func\":\"attr\",\"name\":\"variables/category\"},\"str\":\"sport\"}}}");
        assertThat(d.container().window()).isEqualTo(new Window(30, TimeUnit.DAY));
        assertThat(d.container().atLeast()).isEqualTo(3);
        assertThat(DefinitionParser.parse(DefinitionWriter.write(d)).definition()).isEqualTo(d);
    }

    @Test
    void a_misspelt_restriction_gets_a_did_you_mean_with_its_pointer() {
        String s =
                Fixture.visitors(
                        "{\"func\":\"sequence\",\"stream\":["
                                + "{\"func\":\"container\",\"context\":\"hits\",\"pred\":{\"func\":\"event-exists\",\"evt\":\"A\"}},"
                                + "{\"func\":\"ime-restriction\",\"limit\":\"within\",\"count\":1,\"unit\":\"hour\"},"
                                + "{\"func\":\"container\",\"context\":\"hits\",\"pred\":{\"func\":\"event-exists\",\"evt\":\"B\"}}]}");
        DefinitionParser.Result r = DefinitionParser.parse(json(s));
        assertThat(r.ok()).isFalse();
        assertThat(r.problems())
                .anySatisfy(
                        p -> {
                            assertThat(p.code()).isEqualTo("unknown_function");
                            assertThat(p.pointer()).isEqualTo("/container/pred/stream/1/func");
                            assertThat(p.message()).contains("did you mean \"time-restriction\"");
                        });
    }

    @Test
    void every_error_carries_a_pointer_to_its_node() {
        String s =
                Fixture.visitors(
                        "{\"func\":\"and\",\"preds\":[{\"func\":\"streq\",\"val\":{\"func\":\"attr\",\"name\":\"variables/a\"}},"
                                + "{\"func\":\"gt\",\"val\":{\"func\":\"attr\",\"name\":\"pages\"},\"num\":\"many\"}]}");
        DefinitionParser.Result r = DefinitionParser.parse(json(s));
        assertThat(r.problems())
                .extracting(Problem::code, Problem::pointer)
                .contains(
                        org.assertj.core.groups.Tuple.tuple(
                                "missing_field", "/container/pred/preds/0/str"),
                        org.assertj.core.groups.Tuple.tuple(
                                "invalid_value", "/container/pred/preds/1/val/name"),
                        org.assertj.core.groups.Tuple.tuple(
                                "wrong_type", "/container/pred/preds/1/num"));
    }

    @Test
    void unknown_fields_are_warnings_with_hints() {
        DefinitionParser.Result r =
                DefinitionParser.parse(
                        json(
                                "{\"func\":\"segment-def\",\"container\":{\"func\":\"container\",\"contxt\":\"x\",\"context\":\"hits\","
                                        + "\"pred\":{\"func\":\"exists\",\"val\":{\"func\":\"attr\",\"name\":\"variables/a\"}}}}"));
        assertThat(r.ok()).isTrue();
        assertThat(r.problems())
                .singleElement()
                .satisfies(
                        p -> {
                            assertThat(p.isError()).isFalse();
                            assertThat(p.pointer()).isEqualTo("/container/contxt");
                            assertThat(p.message()).contains("did you mean \"context\"");
                        });
        // Adobe's sequence context picks the hits a report returns: no part of a membership.
        DefinitionParser.Result sequence =
                DefinitionParser.parse(
                        json(
                                "{\"func\":\"segment-def\",\"container\":{\"func\":\"container\",\"context\":\"visitors\","
                                        + "\"pred\":{\"func\":\"sequence\",\"context\":\"hits\",\"stream\":["
                                        + "{\"func\":\"event-exists\",\"evt\":\"A\"},{\"func\":\"event-exists\",\"evt\":\"B\"}]}}}"));
        assertThat(sequence.ok()).isTrue();
        assertThat(sequence.problems())
                .extracting(Problem::code, Problem::pointer)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(
                                "ignored_field", "/container/pred/context"));
    }

    @Test
    void restrictions_must_sit_between_checkpoints() {
        String s =
                Fixture.visitors(
                        "{\"func\":\"sequence\",\"stream\":["
                                + "{\"func\":\"time-restriction\",\"limit\":\"within\",\"count\":1,\"unit\":\"hour\"},"
                                + "{\"func\":\"event-exists\",\"evt\":\"A\"}]}");
        assertThat(DefinitionParser.parse(json(s)).problems())
                .extracting(Problem::code)
                .contains("misplaced_restriction");
    }

    @Test
    void a_restriction_before_only_an_excluded_checkpoint_limits_nothing_and_is_an_error() {
        String within =
                "{\"func\":\"time-restriction\",\"limit\":\"within\",\"count\":1,\"unit\":\"hour\"}";
        String a = "{\"func\":\"event-exists\",\"evt\":\"A\"}";
        String b = "{\"func\":\"event-exists\",\"evt\":\"B\"}";
        String exclude = "{\"func\":\"exclude-next-checkpoint\"}";
        String trailing =
                Fixture.visitors(
                        "{\"func\":\"sequence\",\"stream\":["
                                + a
                                + ","
                                + within
                                + ","
                                + exclude
                                + ","
                                + b
                                + "]}");
        assertThat(DefinitionParser.parse(json(trailing)).problems())
                .extracting(Problem::code, Problem::pointer)
                .containsExactly(tuple("misplaced_restriction", "/container/pred/stream/1"));
        // Before an exclusion and then a step, it limits the gap to that step.
        String between =
                Fixture.visitors(
                        "{\"func\":\"sequence\",\"stream\":["
                                + String.join(",", a, within, exclude, b, a)
                                + "]}");
        assertThat(DefinitionParser.parse(json(between)).problems()).isEmpty();
    }

    @Test
    void more_than_six_restrictions_between_two_steps_is_an_error() {
        String within =
                "{\"func\":\"time-restriction\",\"limit\":\"within\",\"count\":1,\"unit\":\"year\"}";
        String a = "{\"func\":\"event-exists\",\"evt\":\"A\"}";
        String six = String.join(",", java.util.Collections.nCopies(6, within));
        String seven = String.join(",", java.util.Collections.nCopies(7, within));
        assertThat(
                        DefinitionParser.parse(
                                        json(
                                                Fixture.visitors(
                                                        "{\"func\":\"sequence\",\"stream\":["
                                                                + String.join(
                                                                        ",", a, six, a, six, a)
                                                                + "]}")))
                                .problems())
                .isEmpty();
        assertThat(
                        DefinitionParser.parse(
                                        json(
                                                Fixture.visitors(
                                                        "{\"func\":\"sequence\",\"stream\":["
                                                                + String.join(",", a, seven, a)
                                                                + "]}")))
                                .problems())
                .extracting(Problem::code, Problem::pointer)
                .containsExactly(tuple("too_many_restrictions", "/container/pred/stream/7"));
    }

    @Test
    void deep_nesting_is_an_error_not_a_stack_overflow() {
        StringBuilder s = new StringBuilder();
        int depth = 5_000;
        for (int i = 0; i < depth; i++) {
            s.append("{\"func\":\"not\",\"pred\":");
        }
        s.append("{\"func\":\"event-exists\",\"evt\":\"A\"}");
        s.append("}".repeat(depth));
        com.fasterxml.jackson.databind.ObjectMapper lenient =
                new com.fasterxml.jackson.databind.ObjectMapper();
        lenient.getFactory()
                .setStreamReadConstraints(
                        com.fasterxml.jackson.core.StreamReadConstraints.builder()
                                .maxNestingDepth(100_000)
                                .build());
        com.fasterxml.jackson.databind.JsonNode n;
        try {
            n = lenient.readTree(Fixture.visitors(s.toString()));
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        DefinitionParser.Result r = DefinitionParser.parse(n);
        assertThat(r.ok()).isFalse();
        assertThat(r.problems()).extracting(Problem::code).contains("nesting_too_deep");
    }

    @Test
    void not_an_object_and_null_are_errors() {
        assertThat(DefinitionParser.parse(null).problems())
                .extracting(Problem::code)
                .containsExactly("wrong_type");
        assertThat(DefinitionParser.parse(json("[1,2]")).problems())
                .extracting(Problem::code)
                .containsExactly("wrong_type");
        assertThat(DefinitionParser.parse(json("{}")).problems())
                .extracting(Problem::code)
                .containsExactly("missing_field");
    }
}
