package io.cohortflow.core.validation;

import static io.cohortflow.core.Fixture.json;
import static io.cohortflow.core.Fixture.visitors;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;

import io.cohortflow.core.Fixture;
import io.cohortflow.core.definition.Definition;
import io.cohortflow.core.definition.Problem;
import io.cohortflow.core.eval.EngineConfig;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DefinitionValidatorTest {
    private final DefinitionValidator validator =
            new DefinitionValidator(Guardrails.DEFAULT, EngineConfig.DEFAULT);

    private ValidationResult validate(String def) {
        return validator.validate(json(def), DefinitionValidator.Target.standalone());
    }

    @Test
    void a_valid_definition_answers_in_adobes_shape() {
        ValidationResult v =
                validate(
                        visitors(
                                "{\"func\":\"range\",\"val\":{\"func\":\"attr\",\"name\":\"metrics/revenue\"},\"low\":100,\"high\":null}"));
        assertThat(v.valid()).isTrue();
        assertThat(v.message()).isEqualTo("Segment definition is valid");
        assertThat(v.supportedProducts()).containsExactly("streaming", "batch", "sync");
        assertThat(v.validatorVersion()).isEqualTo("1.0.0");
        assertThat(v.supportedFeatures())
                .contains(
                        "function_range",
                        "function_attr",
                        "function_container",
                        "function_segment_def");
        assertThat(v.errors()).isEmpty();
        assertThat(v.evaluation()).isEqualTo("incremental");
    }

    @Test
    void at_least_on_one_hit_or_one_visit_is_an_error() {
        String checkpoint =
                visitors(
                        "{\"func\":\"sequence\",\"stream\":[{\"func\":\"container\",\"context\":\"visits\","
                                + "\"at_least\":2,\"pred\":{\"func\":\"event-exists\",\"evt\":\"A\"}},"
                                + "{\"func\":\"event-exists\",\"evt\":\"B\"}]}");
        assertThat(validate(checkpoint).errors())
                .extracting(Problem::code, Problem::pointer)
                .containsExactly(tuple("invalid_value", "/container/pred/stream/0/at_least"));
        String hitInHit =
                "{\"func\":\"segment-def\",\"version\":[1,0,0],\"container\":{\"func\":\"container\","
                        + "\"context\":\"hits\",\"pred\":{\"func\":\"container\",\"context\":\"hits\","
                        + "\"at_least\":2,\"pred\":{\"func\":\"event-exists\",\"evt\":\"A\"}}}}";
        assertThat(validate(hitInHit).errors())
                .extracting(Problem::code, Problem::pointer)
                .containsExactly(tuple("invalid_value", "/container/pred/at_least"));
        String visitInVisit =
                visitors(
                        "{\"func\":\"container\",\"context\":\"visits\",\"pred\":{\"func\":\"container\","
                                + "\"context\":\"visits\",\"at_least\":2,\"pred\":{\"func\":\"event-exists\","
                                + "\"evt\":\"A\"}}}");
        assertThat(validate(visitInVisit).errors())
                .extracting(Problem::code, Problem::pointer)
                .containsExactly(tuple("invalid_value", "/container/pred/pred/at_least"));
        // Hits in a visitor may be counted.
        assertThat(
                        validate(
                                        visitors(
                                                "{\"func\":\"container\",\"context\":\"hits\",\"at_least\":2,"
                                                        + "\"pred\":{\"func\":\"event-exists\",\"evt\":\"A\"}}"))
                                .valid())
                .isTrue();
    }

    @Test
    void sequences_are_evaluated_over_history() {
        ValidationResult v =
                validate(
                        visitors(
                                "{\"func\":\"sequence\",\"stream\":[{\"func\":\"event-exists\",\"evt\":\"A\"},{\"func\":\"event-exists\",\"evt\":\"B\"}]}"));
        assertThat(v.valid()).isTrue();
        assertThat(v.evaluation()).isEqualTo("history");
        assertThat(v.supportedFeatures()).contains("function_sequence", "function_event_exists");
    }

    @Test
    void a_larger_context_inside_a_smaller_one_is_an_error_with_its_pointer() {
        ValidationResult v =
                validate(
                        "{\"func\":\"segment-def\",\"container\":{\"func\":\"container\",\"context\":\"hits\",\"pred\":"
                                + "{\"func\":\"container\",\"context\":\"visitors\",\"pred\":{\"func\":\"event-exists\",\"evt\":\"A\"}}}}");
        assertThat(v.valid()).isFalse();
        assertThat(v.supportedProducts()).isEmpty();
        assertThat(v.errors())
                .singleElement()
                .satisfies(
                        p -> {
                            assertThat(p.code()).isEqualTo("context_nesting");
                            assertThat(p.pointer()).isEqualTo("/container/pred/context");
                        });
    }

    @Test
    void string_comparisons_on_metrics_are_type_errors() {
        ValidationResult v =
                validate(
                        visitors(
                                "{\"func\":\"contains\",\"val\":{\"func\":\"attr\",\"name\":\"metrics/revenue\"},\"str\":\"1\"}"));
        assertThat(v.errors()).extracting(Problem::code).containsExactly("type_mismatch");
    }

    @Test
    void negated_comparisons_in_a_visitor_container_warn_about_their_scope() {
        ValidationResult v =
                validate(
                        visitors(
                                "{\"func\":\"not-streq\",\"val\":{\"func\":\"attr\",\"name\":\"variables/category\"},\"str\":\"news\"}"));
        assertThat(v.valid()).isTrue();
        assertThat(v.warnings()).extracting(Problem::code).containsExactly("negation_scope");
        // not-exists is tested per hit too: any hit without the attribute satisfies it.
        ValidationResult absent =
                validate(
                        visitors(
                                "{\"func\":\"not-exists\",\"val\":{\"func\":\"attr\",\"name\":\"variables/coupon\"}}"));
        assertThat(absent.warnings())
                .extracting(Problem::code, Problem::pointer)
                .containsExactly(tuple("negation_scope", "/container/pred/func"));
        // not-event-exists is a unit's: no event of the name in it.
        assertThat(validate(visitors("{\"func\":\"not-event-exists\",\"evt\":\"A\"}")).warnings())
                .isEmpty();
    }

    @Test
    void guardrails_are_errors_or_warnings_as_configured() {
        StringBuilder deep = new StringBuilder("{\"func\":\"event-exists\",\"evt\":\"A\"}");
        for (int i = 0; i < 15; i++) {
            deep = new StringBuilder("{\"func\":\"not\",\"pred\":" + deep + "}");
        }
        String def = visitors(deep.toString());
        assertThat(validate(def).errors()).extracting(Problem::code).containsExactly("too_deep");
        DefinitionValidator lenient =
                new DefinitionValidator(
                        new Guardrails(12, 10, 20, 200, 1000, Problem.Severity.WARNING),
                        EngineConfig.DEFAULT);
        ValidationResult v = lenient.validate(json(def), DefinitionValidator.Target.standalone());
        assertThat(v.valid()).isTrue();
        assertThat(v.warnings()).extracting(Problem::code).containsExactly("too_deep");
    }

    @Test
    void too_many_sequence_steps_is_reported() {
        StringBuilder stream = new StringBuilder();
        for (int i = 0; i < 11; i++) {
            stream.append(i == 0 ? "" : ",").append("{\"func\":\"event-exists\",\"evt\":\"A\"}");
        }
        ValidationResult v =
                validate(visitors("{\"func\":\"sequence\",\"stream\":[" + stream + "]}"));
        assertThat(v.errors()).extracting(Problem::code).containsExactly("too_many_sequence_steps");
    }

    @Test
    void references_resolve_and_cycles_are_rejected() {
        Definition a = Fixture.def(visitors("{\"func\":\"segment-ref\",\"id\":\"b\"}"));
        Map<String, Definition> store = Map.of("a", a);
        ValidationResult cyclic =
                validator.validate(
                        json(visitors("{\"func\":\"segment-ref\",\"id\":\"a\"}")),
                        new DefinitionValidator.Target("b", store::get, null));
        assertThat(cyclic.errors())
                .singleElement()
                .satisfies(
                        p -> {
                            assertThat(p.code()).isEqualTo("segment_cycle");
                            assertThat(p.message()).contains("b -> a -> b");
                        });
        ValidationResult unknown = validate(visitors("{\"func\":\"segment-ref\",\"id\":\"nope\"}"));
        assertThat(unknown.errors()).extracting(Problem::code).containsExactly("unknown_segment");
    }

    @Test
    void attributes_no_schema_declares_are_warned_about() {
        ValidationResult v =
                validator.validate(
                        json(
                                visitors(
                                        "{\"func\":\"streq\",\"val\":{\"func\":\"attr\",\"name\":\"variables/catgory\"},\"str\":\"sport\"}")),
                        new DefinitionValidator.Target(
                                null, id -> null, Set.of("category", "url")));
        assertThat(v.valid()).isTrue();
        assertThat(v.warnings())
                .singleElement()
                .satisfies(
                        p -> {
                            assertThat(p.code()).isEqualTo("unknown_attribute");
                            assertThat(p.pointer()).isEqualTo("/container/pred/val/name");
                        });
    }

    @Test
    void a_window_beyond_the_horizon_is_batch_only() {
        ValidationResult v =
                validate(
                        "{\"func\":\"segment-def\",\"container\":{\"func\":\"container\",\"context\":\"visitors\","
                                + "\"window\":{\"count\":1,\"unit\":\"year\"},\"pred\":{\"func\":\"event-exists\",\"evt\":\"A\"}}}");
        assertThat(v.valid()).isTrue();
        assertThat(v.supportedProducts()).containsExactly("batch");
        assertThat(v.unsupportedProducts())
                .extracting(ValidationResult.ProductReason::product)
                .containsExactly("streaming", "sync");
        assertThat(v.unsupportedProducts().get(0).reason()).contains("horizon");
    }

    @Test
    void invalid_json_shapes_give_errors_not_exceptions() {
        ValidationResult v =
                validator.validate(
                        json("\"just a string\""), DefinitionValidator.Target.standalone());
        assertThat(v.valid()).isFalse();
        assertThat(v.message()).contains("JSON object");
    }

    /** An or of {@code n} references to {@code id}. */
    private static String refs(String id, int n) {
        StringBuilder preds = new StringBuilder();
        for (int i = 0; i < n; i++) {
            preds.append(i == 0 ? "" : ",")
                    .append("{\"func\":\"segment-ref\",\"id\":\"")
                    .append(id)
                    .append("\"}");
        }
        return visitors("{\"func\":\"or\",\"preds\":[" + preds + "]}");
    }

    @Test
    void
            references_that_expand_exponentially_are_refused_at_the_reference_that_crossed_the_limit() {
        // 25 tiny leaves, then three levels of 25 references each: 25^3 = 15 625 leaves inlined,
        // although every single definition is far below the per-definition guardrails.
        Map<String, Definition> store = new HashMap<>();
        StringBuilder leaves = new StringBuilder();
        for (int i = 0; i < 25; i++) {
            store.put(
                    "leaf" + i,
                    Fixture.def(visitors("{\"func\":\"event-exists\",\"evt\":\"E" + i + "\"}")));
            leaves.append(i == 0 ? "" : ",")
                    .append("{\"func\":\"segment-ref\",\"id\":\"leaf" + i + "\"}");
        }
        store.put("l1", Fixture.def(visitors("{\"func\":\"or\",\"preds\":[" + leaves + "]}")));
        store.put("l2", Fixture.def(refs("l1", 25)));
        DefinitionValidator.Target target = new DefinitionValidator.Target(null, store::get, null);

        // l1 inlines to 52 nodes (its container, its or, 25 leaves of 2): 2 + 19 * 52 = 990 fit
        // the default 1 000, a 20th reference crosses it.
        assertThat(validator.validate(json(refs("l1", 19)), target).valid()).isTrue();
        assertThat(validator.validate(json(refs("l1", 20)), target).errors())
                .extracting(Problem::code, Problem::pointer)
                .containsExactly(tuple("too_many_resolved_predicates", "/container/pred/preds/19"));
        ValidationResult top = validator.validate(json(refs("l2", 25)), target);

        assertThat(top.valid()).isFalse();
        assertThat(top.errors())
                .singleElement()
                .satisfies(
                        p -> {
                            assertThat(p.code()).isEqualTo("too_many_resolved_predicates");
                            assertThat(p.pointer()).isEqualTo("/container/pred/preds/0");
                            assertThat(p.message()).contains("1000");
                        });
    }

    @Test
    void the_resolved_size_limit_is_configurable_and_bounded_by_the_jobs_backstop() {
        Map<String, Definition> store =
                Map.of("a", Fixture.def(visitors("{\"func\":\"event-exists\",\"evt\":\"A\"}")));
        DefinitionValidator tight =
                new DefinitionValidator(
                        Guardrails.DEFAULT.withMaxResolvedPredicates(10), EngineConfig.DEFAULT);
        ValidationResult v =
                tight.validate(
                        json(refs("a", 5)), new DefinitionValidator.Target(null, store::get, null));
        assertThat(v.errors())
                .extracting(Problem::code, Problem::pointer)
                .containsExactly(tuple("too_many_resolved_predicates", "/container/pred/preds/4"));
        assertThatThrownBy(() -> Guardrails.DEFAULT.withMaxResolvedPredicates(10_001))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("10000");
    }

    @Test
    void a_reference_the_target_refuses_is_an_error_with_the_targets_code_at_the_reference() {
        Map<String, Definition> store =
                Map.of("draft", Fixture.def(visitors("{\"func\":\"event-exists\",\"evt\":\"A\"}")));
        ValidationResult v =
                validator.validate(
                        json(refs("draft", 1)),
                        new DefinitionValidator.Target(
                                null,
                                store::get,
                                null,
                                id ->
                                        Problem.error(
                                                "unpublished_segment", "", id + " is a draft")));
        assertThat(v.errors())
                .singleElement()
                .satisfies(
                        p -> {
                            assertThat(p.code()).isEqualTo("unpublished_segment");
                            assertThat(p.pointer()).isEqualTo("/container/pred/preds/0");
                            assertThat(p.message()).isEqualTo("draft is a draft");
                        });
    }

    /** {@code n} nested nots around an event. */
    private static String nots(int n, String inner) {
        String pred = inner;
        for (int i = 0; i < n; i++) {
            pred = "{\"func\":\"not\",\"pred\":" + pred + "}";
        }
        return pred;
    }

    private static String ref(String id) {
        return "{\"func\":\"segment-ref\",\"id\":\"" + id + "\"}";
    }

    /** A definition whose top container has {@code context}, around one predicate. */
    private static String top(String context, String pred) {
        return "{\"func\":\"segment-def\",\"version\":[1,0,0],\"container\":{\"func\":\"container\","
                + "\"context\":\""
                + context
                + "\",\"pred\":"
                + pred
                + "}}";
    }

    private static String container(String context, String pred) {
        return "{\"func\":\"container\",\"context\":\"" + context + "\",\"pred\":" + pred + "}";
    }

    @Test
    void a_reference_nesting_the_inlined_definition_past_the_depth_guardrail_is_too_deep_at_it() {
        // Eleven levels alone, twelve (the limit) referenced from a visitors container.
        Map<String, Definition> store =
                Map.of(
                        "deep",
                        Fixture.def(
                                visitors(nots(9, "{\"func\":\"event-exists\",\"evt\":\"A\"}"))));
        DefinitionValidator.Target target = new DefinitionValidator.Target(null, store::get, null);
        assertThat(validator.validate(json(visitors(ref("deep"))), target).valid()).isTrue();

        // Three levels as written, thirteen inlined.
        ValidationResult v = validator.validate(json(visitors(nots(1, ref("deep")))), target);

        assertThat(v.valid()).isFalse();
        assertThat(v.errors())
                .singleElement()
                .satisfies(
                        p -> {
                            assertThat(p.code()).isEqualTo("too_deep");
                            assertThat(p.pointer()).isEqualTo("/container/pred/pred");
                            assertThat(p.message())
                                    .contains("segment deep inlined here")
                                    .contains("limit is 12");
                        });
    }

    @Test
    void
            aggregates_of_referenced_segments_count_towards_the_guardrail_at_the_reference_crossing_it() {
        StringBuilder fifteen = new StringBuilder();
        for (int i = 0; i < 15; i++) {
            fifteen.append(i == 0 ? "" : ",")
                    .append(
                            "{\"func\":\"gt\",\"val\":{\"func\":\"attr\",\"name\":\"metrics/revenue\"},\"num\":")
                    .append(i)
                    .append("}");
        }
        Map<String, Definition> store =
                Map.of(
                        "money",
                        Fixture.def(visitors("{\"func\":\"or\",\"preds\":[" + fifteen + "]}")));
        DefinitionValidator.Target target = new DefinitionValidator.Target(null, store::get, null);

        ValidationResult v = validator.validate(json(refs("money", 3)), target);

        // 15 fit the limit of 20; the second reference brings 30.
        assertThat(v.errors())
                .extracting(Problem::code, Problem::pointer)
                .containsExactly(tuple("too_many_aggregates", "/container/pred/preds/1"));
        assertThat(v.errors().get(0).message())
                .contains("45 aggregate comparisons")
                .contains("segment money, inlined here");
        DefinitionValidator lenient =
                new DefinitionValidator(
                        new Guardrails(12, 10, 20, 200, 1000, Problem.Severity.WARNING),
                        EngineConfig.DEFAULT);
        ValidationResult warned = lenient.validate(json(refs("money", 3)), target);
        assertThat(warned.valid()).isTrue();
        assertThat(warned.warnings())
                .extracting(Problem::code)
                .containsExactly("too_many_aggregates");
    }

    @Test
    void a_referenced_segment_is_a_checkpoint_of_its_own_context() {
        String event = "{\"func\":\"event-exists\",\"evt\":\"A\"}";
        Map<String, Definition> store =
                Map.of(
                        "visit", Fixture.def(top("visits", event)),
                        "hit", Fixture.def(top("hits", event)),
                        "visitor", Fixture.def(top("visitors", event)));
        DefinitionValidator.Target target = new DefinitionValidator.Target(null, store::get, null);
        String then = ",{\"func\":\"event-exists\",\"evt\":\"B\"}";

        // Inlined, a visits segment is a visit checkpoint and a hits segment a hit checkpoint.
        for (String id : List.of("visit", "hit")) {
            ValidationResult v =
                    validator.validate(
                            json(
                                    visitors(
                                            "{\"func\":\"sequence\",\"stream\":["
                                                    + ref(id)
                                                    + then
                                                    + "]}")),
                            target);
            assertThat(v.errors()).as(id).isEmpty();
        }
        // A visitor is no checkpoint, and a visit none within one visit.
        assertThat(
                        validator
                                .validate(
                                        json(
                                                visitors(
                                                        "{\"func\":\"sequence\",\"stream\":["
                                                                + ref("visitor")
                                                                + then
                                                                + "]}")),
                                        target)
                                .errors())
                .extracting(Problem::code, Problem::pointer)
                .containsExactly(tuple("context_nesting", "/container/pred/stream/0"));
        assertThat(
                        validator
                                .validate(
                                        json(
                                                top(
                                                        "visits",
                                                        "{\"func\":\"sequence\",\"stream\":["
                                                                + ref("visit")
                                                                + then
                                                                + "]}")),
                                        target)
                                .errors())
                .extracting(Problem::code, Problem::pointer)
                .containsExactly(tuple("context_nesting", "/container/pred/stream/0"));
    }

    @Test
    void a_referenced_sequence_past_the_steps_guardrail_is_reported_at_the_reference() {
        // Stored under looser guardrails: what is evaluated is judged by today's.
        StringBuilder stream = new StringBuilder();
        for (int i = 0; i < 11; i++) {
            stream.append(i == 0 ? "" : ",").append("{\"func\":\"event-exists\",\"evt\":\"A\"}");
        }
        Map<String, Definition> store =
                Map.of(
                        "long",
                        Fixture.def(
                                visitors("{\"func\":\"sequence\",\"stream\":[" + stream + "]}")));

        ValidationResult v =
                validator.validate(
                        json(refs("long", 2)),
                        new DefinitionValidator.Target(null, store::get, null));

        assertThat(v.errors())
                .extracting(Problem::code, Problem::pointer)
                .containsExactly(
                        tuple("too_many_sequence_steps", "/container/pred/preds/0"),
                        tuple("too_many_sequence_steps", "/container/pred/preds/1"));
    }

    @Test
    void the_predicate_count_of_the_inlined_definition_is_bounded_by_the_resolved_limit_only() {
        // 150 predicates each: 300 inlined pass maxPredicates (200, one definition as written),
        // since the inlined whole has its own limit, maxResolvedPredicates.
        StringBuilder many = new StringBuilder();
        for (int i = 0; i < 148; i++) {
            many.append(i == 0 ? "" : ",").append("{\"func\":\"event-exists\",\"evt\":\"A\"}");
        }
        Map<String, Definition> store =
                Map.of("big", Fixture.def(visitors("{\"func\":\"or\",\"preds\":[" + many + "]}")));
        assertThat(
                        validator
                                .validate(
                                        json(refs("big", 2)),
                                        new DefinitionValidator.Target(null, store::get, null))
                                .valid())
                .isTrue();
    }

    @Test
    void a_reference_whose_segment_became_visitors_level_is_a_context_error_at_the_reference() {
        // r counts hits of s in a visit: s was a hits segment when r was written.
        Definition r = Fixture.def(visitors(container("visits", ref("s"))));
        Map<String, Definition> before =
                Map.of("s", Fixture.def(top("hits", "{\"func\":\"event-exists\",\"evt\":\"A\"}")));
        Map<String, Definition> after =
                Map.of(
                        "s",
                        Fixture.def(top("visitors", "{\"func\":\"event-exists\",\"evt\":\"A\"}")));

        assertThat(validator.inlinedProblems(r, "r", before::get)).isEmpty();
        assertThat(validator.inlinedProblems(r, "r", after::get))
                .extracting(Problem::code, Problem::pointer)
                .containsExactly(tuple("context_nesting", "/container/pred/pred"));
    }

    @Test
    void a_context_error_deeper_in_the_references_is_reported_at_the_reference_that_brings_it_in() {
        // r counts hits of s, s of t: t, now a visitors segment, sits two references down.
        Map<String, Definition> store =
                Map.of(
                        "s",
                        Fixture.def(top("hits", ref("t"))),
                        "t",
                        Fixture.def(top("visitors", "{\"func\":\"event-exists\",\"evt\":\"A\"}")));
        String r = visitors(container("visits", ref("s")));

        ValidationResult v =
                validator.validate(json(r), new DefinitionValidator.Target("r", store::get, null));

        assertThat(v.errors())
                .singleElement()
                .satisfies(
                        p -> {
                            assertThat(p.code()).isEqualTo("context_nesting");
                            assertThat(p.pointer()).isEqualTo("/container/pred/pred");
                            assertThat(p.message())
                                    .contains("segment s inlined here")
                                    .contains("visitors container cannot sit inside a hits");
                        });
        assertThat(validator.inlinedProblems(Fixture.def(r), "r", store::get))
                .extracting(Problem::code, Problem::pointer)
                .containsExactly(tuple("context_nesting", "/container/pred/pred"));
    }

    @Test
    void a_segment_counting_hits_is_an_error_where_a_reference_puts_it_in_one_hit() {
        // At least two hits of a visitor; inside a hits container there is one.
        Map<String, Definition> store =
                Map.of(
                        "twice",
                        Fixture.def(
                                "{\"func\":\"segment-def\",\"version\":[1,0,0],\"container\":{\"func\":\"container\","
                                        + "\"context\":\"hits\",\"at_least\":2,\"pred\":{\"func\":\"event-exists\",\"evt\":\"A\"}}}"));
        DefinitionValidator.Target target = new DefinitionValidator.Target(null, store::get, null);
        assertThat(validator.validate(json(visitors(ref("twice"))), target).valid()).isTrue();

        ValidationResult v =
                validator.validate(json(visitors(container("hits", ref("twice")))), target);

        assertThat(v.errors())
                .extracting(Problem::code, Problem::pointer)
                .containsExactly(tuple("invalid_value", "/container/pred/pred"));
    }

    @Test
    void problems_of_a_referrer_as_written_are_not_inlined_problems() {
        // Too deep as written (and so refused when written): not the reference's doing.
        Map<String, Definition> store =
                Map.of("a", Fixture.def(visitors("{\"func\":\"event-exists\",\"evt\":\"A\"}")));
        Definition deep = Fixture.def(visitors(nots(15, ref("a"))));
        assertThat(
                        validator
                                .validate(
                                        json(visitors(nots(15, ref("a")))),
                                        new DefinitionValidator.Target(null, store::get, null))
                                .errors())
                .extracting(Problem::code, Problem::pointer)
                .containsExactly(tuple("too_deep", "/container/pred" + "/pred".repeat(11)));
        assertThat(validator.inlinedProblems(deep, null, store::get)).isEmpty();
    }
}
