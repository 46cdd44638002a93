package io.cohortflow.core.eval;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cohortflow.core.definition.DefinitionParser;
import io.cohortflow.core.event.Event;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Sequences matched as events arrive ({@link SequenceProgress}): the history is not read for them,
 * and a profile stored before progress was held has it replayed once. That the answers equal the
 * reference evaluator's is {@link IncrementalEqualsScratchTest}'s to show.
 */
class SequenceProgressTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long T0 = 1_700_000_000_000L;
    private static final long MINUTE = 60_000L;

    private final SegmentEngine engine = new SegmentEngine(EngineConfig.DEFAULT);
    private final SegmentCatalog catalog = catalog();
    private final ListHistory history = new ListHistory();

    @Test
    void a_sequence_is_matched_without_reading_the_history() {
        UserProfile p = new UserProfile();
        send(p, "Other", T0);
        send(p, "A", T0 + MINUTE);
        send(p, "Other", T0 + 2 * MINUTE);
        assertThat(send(p, "B", T0 + 3 * MINUTE)).isTrue();
        assertThat(engine.stats().historyReads()).isZero();
        assertThat(engine.stats().historyEvaluations()).isZero();
        assertThat(engine.stats().sequenceAdvances()).isPositive();
        // A member keeps no progress.
        assertThat(p.sequences.size()).isZero();
    }

    @Test
    void a_partial_match_out_of_its_bound_does_not_complete_the_sequence() {
        UserProfile p = new UserProfile();
        send(p, "A", T0);
        assertThat(send(p, "B", T0 + 61 * MINUTE)).as("B more than an hour after A").isFalse();
        send(p, "A", T0 + 70 * MINUTE);
        assertThat(send(p, "B", T0 + 80 * MINUTE)).as("the later A is kept").isTrue();
        assertThat(engine.stats().historyReads()).isZero();
    }

    @Test
    void a_profile_stored_before_progress_was_held_has_its_sequences_replayed_once() {
        UserProfile p = new UserProfile();
        send(p, "A", T0);
        // What the previous encoding (version 9) stored: no progress; its trailing count of
        // rows (one byte: none, held) was not there.
        p.sequences.removeIf(row -> true);
        byte[] current = ProfileCodec.toBytes(p);
        assertThat(current[current.length - 1]).isZero();
        byte[] previous = Arrays.copyOf(current, current.length - 1);
        previous[0] = 9;
        UserProfile old = ProfileCodec.fromBytes(previous);
        assertThat(old.sequencesHeld).isFalse();

        assertThat(send(old, "B", T0 + MINUTE)).as("the A stored before counts").isTrue();
        assertThat(old.sequencesHeld).isTrue();
        assertThat(engine.stats().historyEvaluations()).as("replayed once").isEqualTo(1);
    }

    /** Sends one event and answers whether the user is then in the sequence's segment. */
    private boolean send(UserProfile p, String name, long time) {
        engine.onEvents(p, history, catalog, List.of(new Event(name, time, Map.of(), null, "v")));
        return p.isMember(catalog.segment("seq").orElseThrow().ordinal());
    }

    private static SegmentCatalog catalog() {
        String json =
                "{\"func\":\"segment-def\",\"version\":[1,0,0],\"container\":{\"func\":\"container\","
                        + "\"context\":\"visitors\",\"pred\":{\"func\":\"sequence\",\"stream\":["
                        + eq("A")
                        + ",{\"func\":\"time-restriction\",\"limit\":\"within\",\"count\":1,\"unit\":\"hour\"},"
                        + eq("B")
                        + "]}}}";
        try {
            SegmentCatalog.Update u =
                    SegmentCatalog.empty()
                            .put(
                                    "seq",
                                    1,
                                    DefinitionParser.parse(JSON.readTree(json)).definition());
            assertThat(u.problems()).isEmpty();
            assertThat(u.catalog().segment("seq").orElseThrow().sequence()).isNotNull();
            return u.catalog();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String eq(String name) {
        return "{\"func\":\"streq\",\"val\":{\"func\":\"attr\",\"name\":\"variables/name\"},\"str\":\""
                + name
                + "\"}";
    }
}
