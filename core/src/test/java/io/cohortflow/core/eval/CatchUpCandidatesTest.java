package io.cohortflow.core.eval;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cohortflow.core.bench.Workload;
import io.cohortflow.core.definition.Definition;
import io.cohortflow.core.definition.DefinitionParser;
import io.cohortflow.core.event.Event;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A catch-up over many changed segments, looked for from the user's side ({@link
 * CatchUpCandidates}), gives the changes and the profile that evaluating every changed segment
 * gives: after additions of every kind of the workload's mix, edits of segments users are members
 * of, removals, and unrelated segments; and the users then go on the same.
 */
class CatchUpCandidatesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long T0 = 1_700_000_000_000L;

    @Test
    void looking_from_the_user_side_changes_nothing_in_the_answers() {
        SegmentCatalog before = SegmentCatalog.empty().putAll(defs(0, 60, 0), 1).catalog();
        Map<String, Definition> changes = new LinkedHashMap<>(defs(60, 260, 0));
        changes.putAll(defs(0, 20, 500)); // s0..s19 now mean what s500..s519 do
        for (int i = 0; i < 300; i++) {
            changes.put("u" + i, parse(Workload.unrelatedDefinition(i)));
        }
        // True for a user without some events: a negated event, a negated sequence.
        changes.put(
                "never-event3",
                parse(
                        Workload.visitors(
                                "{\"func\":\"not\",\"pred\":{\"func\":\"event-exists\",\"evt\":"
                                        + "{\"func\":\"event\",\"name\":\"metrics/Event3\"}}}")));
        changes.put(
                "never-event1-then-event2",
                parse(
                        Workload.visitors(
                                "{\"func\":\"not\",\"pred\":{\"func\":\"sequence\",\"stream\":["
                                        + Workload.eq("variables/name", "Event1")
                                        + ","
                                        + Workload.eq("variables/name", "Event2")
                                        + "]}}")));
        SegmentCatalog after = before.putAll(changes, 2).catalog();
        // A visitors container needs the visitor present, so no formula holds on an empty
        // profile: the first is reached through the presence counter the user's events moved.
        assertThat(after.holdingOnEmpty()).isEmpty();
        assertThat(after.historyRequiringNothing())
                .extracting(CompiledSegment::id)
                .contains("never-event1-then-event2");
        for (int i = 50; i < 60; i++) {
            after = after.remove("s" + i).catalog();
        }

        SegmentEngine each = new SegmentEngine(EngineConfig.DEFAULT).candidatesPast(1 << 30);
        SegmentEngine candidates = new SegmentEngine(EngineConfig.DEFAULT).candidatesPast(0);
        Random r = new Random(11);
        java.util.Set<String> negations = new java.util.HashSet<>();
        int entered = 0;
        int exited = 0;
        for (int user = 0; user < 300; user++) {
            UserProfile p = new UserProfile();
            ListHistory h = new ListHistory();
            long t = T0 + r.nextInt(86_400_000);
            SegmentEngine first = new SegmentEngine(EngineConfig.DEFAULT);
            int events = 1 + r.nextInt(40);
            for (int i = 0; i < events; i++) {
                t += r.nextInt(3_600_000);
                first.onEvents(p, h, before, List.of(Workload.at(Workload.event(r, 0, 0), t)));
            }
            UserProfile p2 = ProfileCodec.fromBytes(ProfileCodec.toBytes(p));
            ListHistory h2 = copy(h);

            List<MembershipChange> expected = sorted(each.catchUp(p, h, after));
            List<MembershipChange> actual = sorted(candidates.catchUp(p2, h2, after));
            assertThat(actual).as("user %d's changes", user).isEqualTo(expected);
            assertThat(ProfileCodec.toBytes(p2))
                    .as("user %d's profile", user)
                    .isEqualTo(ProfileCodec.toBytes(p));
            for (MembershipChange c : expected) {
                negations.add(c.segmentId());
                if (c.kind() == MembershipChange.Kind.ENTERED) {
                    entered++;
                } else {
                    exited++;
                }
            }
            // And they go on alike.
            for (int i = 0; i < 5; i++) {
                t += r.nextInt(3_600_000);
                Event e = Workload.at(Workload.event(r, 0, 0), t);
                assertThat(sorted(candidates.onEvents(p2, h2, after, List.of(e)).changes()))
                        .isEqualTo(sorted(each.onEvents(p, h, after, List.of(e)).changes()));
            }
            assertThat(ProfileCodec.toBytes(p2)).isEqualTo(ProfileCodec.toBytes(p));
        }
        assertThat(candidates.stats().catchUpsByCandidates()).isEqualTo(300);
        assertThat(each.stats().catchUpsByCandidates()).isZero();
        assertThat(entered).as("users entered changed segments").isPositive();
        assertThat(negations).contains("never-event3", "never-event1-then-event2");
        assertThat(exited).as("users left edited and removed ones").isPositive();
    }

    private static Map<String, Definition> defs(int from, int to, int shift) {
        Map<String, Definition> out = new LinkedHashMap<>();
        for (int i = from; i < to; i++) {
            out.put("s" + i, parse(Workload.definition(i + shift)));
        }
        return out;
    }

    private static Definition parse(String json) {
        try {
            return DefinitionParser.parse(JSON.readTree(json)).definition();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ListHistory copy(ListHistory h) {
        ListHistory out = new ListHistory();
        long sequence = 0;
        for (Event e : h.events()) {
            out.insert(e, sequence++);
        }
        return out;
    }

    private static List<MembershipChange> sorted(List<MembershipChange> changes) {
        List<MembershipChange> out = new ArrayList<>(changes);
        out.sort(
                Comparator.comparing(MembershipChange::segmentId)
                        .thenComparing(MembershipChange::kind)
                        .thenComparingLong(MembershipChange::time));
        return out;
    }
}
