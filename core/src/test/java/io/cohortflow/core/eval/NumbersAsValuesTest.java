package io.cohortflow.core.eval;

import static io.cohortflow.core.Fixture.T0;
import static io.cohortflow.core.Fixture.ev;
import static io.cohortflow.core.Fixture.visitors;
import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.core.Fixture;
import io.cohortflow.core.event.Values;
import org.junit.jupiter.api.Test;

/** Numbers read as text and compared in lists the way a user writes and compares them. */
class NumbersAsValuesTest {

    private static String hitWith(String compare) {
        return visitors("{\"func\":\"container\",\"context\":\"hits\",\"pred\":" + compare + "}");
    }

    private static boolean holds(String def, Object value) {
        Fixture f = new Fixture();
        f.define("s", def);
        f.send(ev("A", T0, "x", value));
        return f.member("s");
    }

    @Test
    void a_number_as_text_is_never_in_exponent_form() {
        assertThat(Values.text(12345678.5)).isEqualTo("12345678.5");
        assertThat(Values.text(0.0001)).isEqualTo("0.0001");
        assertThat(Values.text(1e20)).isEqualTo("100000000000000000000");
        assertThat(Values.text(-2.5e-7)).isEqualTo("-0.00000025");
        assertThat(Values.text(3.0)).isEqualTo("3");
        assertThat(Values.text(-0.0)).isEqualTo("0");
        String streq =
                "{\"func\":\"streq\",\"val\":{\"func\":\"attr\",\"name\":\"variables/x\"},\"str\":\"12345678.5\"}";
        assertThat(holds(hitWith(streq), 12345678.5)).isTrue();
        String startsWith =
                "{\"func\":\"starts-with\",\"val\":{\"func\":\"attr\",\"name\":\"variables/x\"},\"str\":\"0.000\"}";
        assertThat(holds(hitWith(startsWith), 0.0001)).isTrue();
    }

    /**
     * A number written where a string is compared (str, a streq-in list) reads as an event's value
     * of it does: Java's own text ("1.0E-4", "42.0") was kept, which no event value equals.
     */
    @Test
    void a_number_written_as_a_string_operand_reads_as_the_events_value_does() {
        for (double v : new double[] {0.0001, 42.0, 12345678.5, -2.5e-7}) {
            String streq =
                    "{\"func\":\"streq\",\"val\":{\"func\":\"attr\",\"name\":\"variables/x\"},\"str\":"
                            + v
                            + "}";
            String inList =
                    "{\"func\":\"streq-in\",\"val\":{\"func\":\"attr\",\"name\":\"variables/x\"},"
                            + "\"list\":[\"other\","
                            + v
                            + "]}";
            for (String def : new String[] {streq, inList}) {
                assertThat(holds(hitWith(def), v)).as(def).isTrue();
                assertThat(holds(hitWith(def), Values.text(v))).as(def).isTrue();
            }
        }
    }

    @Test
    void minus_zero_is_zero_in_a_list_as_in_eq() {
        String inListOfZero =
                "{\"func\":\"eq-in\",\"val\":{\"func\":\"attr\",\"name\":\"variables/x\"},\"list\":[0, 5]}";
        String inListOfMinusZero =
                "{\"func\":\"eq-in\",\"val\":{\"func\":\"attr\",\"name\":\"variables/x\"},\"list\":[-0.0, 5]}";
        String eqMinusZero =
                "{\"func\":\"eq\",\"val\":{\"func\":\"attr\",\"name\":\"variables/x\"},\"num\":-0.0}";
        for (String def : new String[] {inListOfZero, inListOfMinusZero, eqMinusZero}) {
            assertThat(holds(hitWith(def), -0.0)).as(def).isTrue();
            assertThat(holds(hitWith(def), 0.0)).as(def).isTrue();
            assertThat(holds(hitWith(def), "-0")).as(def).isTrue();
        }
        String notInList =
                "{\"func\":\"not-eq-in\",\"val\":{\"func\":\"attr\",\"name\":\"variables/x\"},\"list\":[0]}";
        assertThat(holds(hitWith(notInList), -0.0)).isFalse();
        assertThat(Double.compare(Values.number(-0.0), 0.0)).isZero();
        assertThat(Double.compare(Values.number("-0"), 0.0)).isZero();
    }

    @Test
    void text_is_a_number_only_when_written_as_a_decimal_one() {
        assertThat(Values.number("12")).isEqualTo(12.0);
        assertThat(Values.number("-3.5e2")).isEqualTo(-350.0);
        for (String javaOnly : new String[] {"30d", "1f", "2D", "0x1p3", "7F"}) {
            assertThat(Values.number(javaOnly)).as(javaOnly).isNull();
        }
        String gt =
                "{\"func\":\"gt\",\"val\":{\"func\":\"attr\",\"name\":\"variables/x\"},\"num\":7}";
        assertThat(holds(hitWith(gt), "30d")).isFalse();
        assertThat(holds(hitWith(gt), "30")).isTrue();
    }
}
