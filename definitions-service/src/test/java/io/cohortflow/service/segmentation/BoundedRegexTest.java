package io.cohortflow.service.segmentation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.regex.RegularExpression;
import org.junit.jupiter.api.Test;

class BoundedRegexTest {
    private final RegularExpression costly = new BoundedRegex().getRegularExpression("a.*a.*b");

    /** Matches on a budget draw on it together, each under its own bound. */
    @Test
    void matches_within_a_budget_share_it_and_are_refused_once_it_is_spent() {
        ValidationBudget budget = new ValidationBudget(1_200_000);
        String value = "a".repeat(100); // about 500 000 reads each
        assertThat(BoundedRegex.within(budget, () -> costly.matches(value))).isFalse();
        assertThat(BoundedRegex.within(budget, () -> costly.matches(value))).isFalse();
        assertThatThrownBy(() -> BoundedRegex.within(budget, () -> costly.matches(value)))
                .isInstanceOfSatisfying(
                        BoundedRegex.TooCostly.class, e -> assertThat(e.budget()).isTrue());
        assertThat(budget.exhausted()).isTrue();
        // Spent means spent: even a trivial match is refused now.
        assertThatThrownBy(() -> BoundedRegex.within(budget, () -> costly.matches("aab")))
                .isInstanceOf(BoundedRegex.TooCostly.class);
    }

    /**
     * A schema whose pattern nests 100 000 groups is a 400 at its PUT (the JDK reports the depth),
     * not a stack overflow.
     */
    @Test
    void a_pattern_nested_past_the_stack_is_an_invalid_schema() {
        JsonNode schema =
                io.cohortflow.core.contract.Json.MAPPER
                        .createObjectNode()
                        .put("type", "string")
                        .put("pattern", "(".repeat(100_000) + "a" + ")".repeat(100_000));
        assertThatThrownBy(() -> new SchemaCompiler().check(schema))
                .isInstanceOfSatisfying(
                        io.cohortflow.service.ServiceException.class,
                        e -> {
                            assertThat(e.status()).isEqualTo(400);
                            assertThat(e.code()).isEqualTo("invalid_schema");
                            assertThat(e.detail()).contains("is not a valid regular expression");
                        });
    }

    @Test
    void outside_a_budget_each_match_has_only_its_own_bound() {
        ValidationBudget spent = new ValidationBudget(0);
        assertThatThrownBy(() -> BoundedRegex.within(spent, () -> costly.matches("aab")))
                .isInstanceOf(BoundedRegex.TooCostly.class);
        // The budget was this thread's for the call only.
        for (int i = 0; i < 20; i++) {
            assertThat(costly.matches("a".repeat(190))).isFalse();
        }
        assertThatThrownBy(
                        () ->
                                new BoundedRegex()
                                        .getRegularExpression("^(.*a){10}$")
                                        .matches("a".repeat(40) + "!"))
                .isInstanceOfSatisfying(
                        BoundedRegex.TooCostly.class, e -> assertThat(e.budget()).isFalse());
    }
}
