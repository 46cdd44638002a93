package io.cohortflow.core.eval;

import static io.cohortflow.core.Fixture.DAY;
import static io.cohortflow.core.Fixture.T0;
import static io.cohortflow.core.Fixture.def;
import static io.cohortflow.core.Fixture.ev;
import static io.cohortflow.core.Fixture.visitors;
import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.core.Fixture;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The names a history-evaluated definition cannot hold without, and the evaluations they save. */
class RequiredNamesTest {
    private static String name(String n) {
        return "{\"func\":\"streq\",\"val\":{\"func\":\"attr\",\"name\":\"variables/name\"},\"str\":\""
                + n
                + "\"}";
    }

    private static String sequence(String... items) {
        return "{\"func\":\"sequence\",\"stream\":[" + String.join(",", items) + "]}";
    }

    private static final String EXCLUDE_NEXT = "{\"func\":\"exclude-next-checkpoint\"}";

    private static List<Set<String>> required(String pred) {
        return RequiredNames.of(def(visitors(pred)).container());
    }

    @Test
    void every_step_of_a_sequence_but_its_exclusions() {
        assertThat(required(sequence(name("A"), EXCLUDE_NEXT, name("X"), name("B"))))
                .containsExactly(Set.of("A"), Set.of("B"));
    }

    @Test
    void conjuncts_yes_alternatives_and_negations_no() {
        String visit =
                "{\"func\":\"container\",\"context\":\"visits\",\"pred\":{\"func\":\"and\",\"preds\":["
                        + "{\"func\":\"event-exists\",\"evt\":{\"func\":\"event\",\"name\":\"metrics/A\"}},"
                        + "{\"func\":\"not\",\"pred\":"
                        + name("N")
                        + "},"
                        + "{\"func\":\"or\",\"preds\":["
                        + sequence(name("B"), name("C"))
                        + ","
                        + name("D")
                        + "]}]}}";
        assertThat(required(visit)).containsExactly(Set.of("A"));
    }

    @Test
    void a_sequence_whose_first_step_never_happened_is_answered_without_the_history() {
        Fixture f = new Fixture();
        f.define("ab", visitors(sequence(name("A"), name("B"))));
        long skipsBefore = f.engine.stats().historySkips();
        f.send(ev("B", T0), ev("B", T0 + DAY));
        assertThat(f.member("ab")).isFalse();
        assertThat(f.engine.stats().historySkips() - skipsBefore).isEqualTo(2);
        f.send(ev("A", T0 + 2 * DAY), ev("B", T0 + 3 * DAY));
        assertThat(f.member("ab")).isTrue();
        f.checkAgreement();
    }
}
