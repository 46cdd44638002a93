package io.cohortflow.core.eval;

import static io.cohortflow.core.Fixture.HOUR;
import static io.cohortflow.core.Fixture.MINUTE;
import static io.cohortflow.core.Fixture.T0;
import static io.cohortflow.core.Fixture.visitors;
import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.core.Fixture;
import io.cohortflow.core.definition.Pred;
import io.cohortflow.core.event.Event;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Sequences of two named steps answered from the user's newest event times ({@link PairSequence}):
 * which definitions are such pairs, and answers equal to evaluation from scratch at every step
 * (late events, ties, the history cap and horizon, lapses, calendar units, the history in chunks
 * and through the codec), with the history read for none of the answers so given.
 */
class PairSequenceTest {
    private static String exists(String name) {
        return "{\"func\":\"container\",\"context\":\"hits\",\"pred\":{\"func\":\"event-exists\","
                + "\"evt\":{\"func\":\"event\",\"name\":\"metrics/"
                + name
                + "\"}}}";
    }

    private static String nameIn(String... names) {
        return "{\"func\":\"streq-in\",\"val\":{\"func\":\"attr\",\"name\":\"variables/name\"},"
                + "\"list\":[\""
                + String.join("\",\"", names)
                + "\"]}";
    }

    private static String within(int count, String unit) {
        return "{\"func\":\"time-restriction\",\"limit\":\"within\",\"count\":"
                + count
                + ",\"unit\":\""
                + unit
                + "\"}";
    }

    private static String sequence(String... items) {
        return visitors("{\"func\":\"sequence\",\"stream\":[" + String.join(",", items) + "]}");
    }

    private static final Map<String, String> PAIRS =
            new TreeMap<>(
                    Map.of(
                            "a-b-hour",
                            sequence(exists("A"), within(1, "hour"), exists("B")),
                            "ac-b",
                            sequence(nameIn("A", "C"), exists("B")),
                            "b-a-month",
                            sequence(exists("B"), within(1, "month"), exists("A")),
                            "c-ab-day",
                            sequence(exists("C"), within(1, "day"), nameIn("A", "B"))));

    private static final Map<String, String> NOT_PAIRS =
            Map.of(
                    "same name",
                    sequence(exists("A"), within(1, "hour"), exists("A")),
                    "three steps",
                    sequence(exists("A"), exists("B"), exists("C")),
                    "after",
                    sequence(exists("A"), after(), exists("B")),
                    "a property",
                    sequence(exists("A"), catIs("x")),
                    "an exclusion",
                    sequence(exists("A"), "{\"func\":\"exclude-next-checkpoint\"}", exists("C")));

    private static String after() {
        return "{\"func\":\"time-restriction\",\"limit\":\"after\",\"count\":1,\"unit\":\"hour\"}";
    }

    private static String catIs(String cat) {
        return "{\"func\":\"streq\",\"val\":{\"func\":\"attr\",\"name\":\"variables/cat\"},"
                + "\"str\":\""
                + cat
                + "\"}";
    }

    @Test
    void pairs_are_two_named_steps_at_most_a_time_apart() {
        for (Map.Entry<String, String> d : PAIRS.entrySet()) {
            assertThat(PairSequence.of((Pred.Container) Fixture.def(d.getValue()).container()))
                    .as(d.getKey())
                    .isNotNull();
        }
        for (Map.Entry<String, String> d : NOT_PAIRS.entrySet()) {
            assertThat(PairSequence.of((Pred.Container) Fixture.def(d.getValue()).container()))
                    .as(d.getKey())
                    .isNull();
        }
    }

    @Test
    void the_answers_equal_evaluation_from_scratch_without_reading_the_history() {
        long answered = 0;
        for (int run = 0; run < 150; run++) {
            answered += runOnce(new Random(7_000 + run));
        }
        assertThat(answered).as("answers from the newest times").isGreaterThan(1_000);
    }

    private static long runOnce(Random r) {
        // A short horizon and a small cap, so both take events in most runs.
        Fixture f = new Fixture(new EngineConfig(Duration.ofDays(3), 12, Duration.ofMinutes(5)));
        f.chunked = r.nextBoolean();
        PAIRS.forEach(f::define);
        f.define("not a pair", NOT_PAIRS.get("same name"));
        long t = T0;
        String[] names = {"A", "B", "C", "D"};
        for (int step = 0; step < 80; step++) {
            int action = r.nextInt(20);
            if (action == 0) {
                t += r.nextInt(3) * Duration.ofDays(1).toMillis();
                f.advanceTo(t);
            } else if (action == 1 && f.profile.nextExpiry() != Long.MAX_VALUE) {
                t = Math.max(t, f.profile.nextExpiry());
                f.advanceTo(f.profile.nextExpiry());
            } else {
                // Mostly in order, some at the same instant, some a restriction's length on, some
                // late.
                long at;
                int when = r.nextInt(10);
                if (when == 0) {
                    at = t - r.nextInt(5) * HOUR;
                } else if (when == 1) {
                    at = t;
                } else if (when == 2) {
                    t += r.nextBoolean() ? HOUR : Duration.ofDays(1).toMillis(); // to the limit
                    at = t;
                } else {
                    t += r.nextInt(4) == 0 ? r.nextInt(30) * HOUR : r.nextInt(40) * MINUTE;
                    at = t;
                }
                EngineStats stats = f.engine.stats();
                long reads = stats.historyReads();
                long evaluations = stats.historyEvaluations();
                long pairs = stats.pairAnswers();
                f.send(new Event(names[r.nextInt(names.length)], at, Map.of(), null, "s"));
                if (stats.historyEvaluations() == evaluations && stats.pairAnswers() > pairs) {
                    assertThat(stats.historyReads()).as("answered from the times").isEqualTo(reads);
                }
            }
            f.profile = ProfileCodec.fromBytes(ProfileCodec.toBytes(f.profile));
            f.checkAgreement();
        }
        return f.engine.stats().pairAnswers();
    }

    @Test
    void a_profile_stored_before_the_times_were_kept_learns_them_at_its_next_read()
            throws Exception {
        Fixture f = new Fixture();
        f.define("a-b-hour", PAIRS.get("a-b-hour"));
        f.send(new Event("A", T0, Map.of(), null, "s"));
        f.profile = ProfileCodec.fromBytes(PreviousProfileCodec.writeVersion12(f.profile));
        assertThat(f.profile.names.newest("A")).isEqualTo(NameCounts.UNKNOWN);
        EngineStats stats = f.engine.stats();
        stats.reset();
        f.send(new Event("B", T0 + 2 * HOUR, Map.of(), null, "s"));
        assertThat(stats.pairAnswers()).as("the time of A not known").isZero();
        assertThat(stats.historyReads()).isEqualTo(1);
        assertThat(f.member("a-b-hour")).isFalse();
        assertThat(f.profile.names.newest("A")).as("learnt from the read").isEqualTo(T0);
        f.send(new Event("A", T0 + 3 * HOUR, Map.of(), null, "s"));
        stats.reset();
        f.send(new Event("B", T0 + 3 * HOUR + 10 * MINUTE, Map.of(), null, "s"));
        assertThat(stats.pairAnswers()).isEqualTo(1);
        assertThat(stats.historyReads()).isZero();
        assertThat(f.member("a-b-hour")).isTrue();
    }
}
