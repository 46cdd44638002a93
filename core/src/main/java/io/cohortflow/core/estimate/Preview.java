package io.cohortflow.core.estimate;

import io.cohortflow.core.definition.Definition;
import io.cohortflow.core.definition.SegmentResolver;
import io.cohortflow.core.definition.Visitor;
import io.cohortflow.core.eval.CompiledSegment;
import io.cohortflow.core.eval.EngineConfig;
import io.cohortflow.core.eval.Explanation;
import io.cohortflow.core.eval.ListHistory;
import io.cohortflow.core.eval.Membership;
import io.cohortflow.core.eval.MembershipChange;
import io.cohortflow.core.eval.SegmentCatalog;
import io.cohortflow.core.eval.SegmentEngine;
import io.cohortflow.core.eval.UserProfile;
import io.cohortflow.core.event.Event;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What a draft would do for one user given their events, statelessly: the events go through a new
 * profile with core's engine as the job applies a request's events, then the user's lapses up to
 * the preview instant are applied as the job's timers would (see {@link
 * SegmentEngine#lapsesThrough}). Nothing is stored anywhere.
 */
public final class Preview {
    /** The most events one preview request may carry, over all its users. */
    public static final int MAX_EVENTS = 1_000;

    /**
     * The most users one preview request may carry. Each gets a profile of its own and an
     * explanation of the whole draft, whether or not it has events: the events' cap alone let a
     * request of thousands of users without events build millions of explanation nodes.
     */
    public static final int MAX_USERS = 100;

    /**
     * The most explanation nodes one preview answers over all its users: its users times the
     * draft's {@link #nodes}, so the answer is bounded whatever the draft. At least {@link
     * SegmentResolver#MAX_RESOLVED_NODES}, the most a resolved draft may have, so that one user's
     * preview of any valid draft always fits.
     */
    public static final int MAX_EXPLAINED_NODES = SegmentResolver.MAX_RESOLVED_NODES;

    /**
     * How many lapses past the preview instant are followed to find when a membership would end
     * without new events: each moves the user's clock to the next instant something expires, so a
     * membership that ends does so within a few; one that never ends stops the search at once.
     */
    static final int MAX_LAPSES = 1_000;

    /** An event the engine did not apply, by its index among the user's events. */
    public record Ignored(int index, String reason) {}

    /**
     * One user's preview.
     *
     * @param member whether the user is a member at {@code at}
     * @param enteredAt when the current membership began, or null for a non-member
     * @param lapsesAt when the membership would end with no further events, or null when it would
     *     not (a non-member, or a membership nothing ends, such as "ever purchased")
     * @param changes every entry and exit from the first event up to {@code at}, in order
     * @param explanation the draft's predicates at {@code at} (its root's truth is {@code member})
     */
    public record Result(
            long at,
            boolean member,
            @Nullable Long enteredAt,
            @Nullable Long lapsesAt,
            List<MembershipChange> changes,
            List<Ignored> ignored,
            Explanation explanation) {}

    private final EngineConfig config;

    public Preview(EngineConfig config) {
        this.config = config;
    }

    /**
     * A resolved draft compiled once, to preview it for many users: compiling is the same work for
     * each of them.
     */
    public static final class Compiled {
        private final Drafts.Alone alone;
        private final int nodes;

        private Compiled(Drafts.Alone alone, int nodes) {
            this.alone = alone;
            this.nodes = nodes;
        }

        /** See {@link Preview#nodes}. */
        public int nodes() {
            return nodes;
        }
    }

    /**
     * Compiles a resolved draft (no {@code segment-ref} left: see {@code SegmentResolver}) for
     * {@link #preview(Compiled, List, long)}.
     *
     * @throws IllegalArgumentException when the draft does not compile
     */
    public static Compiled compile(Definition draft) {
        return new Compiled(Drafts.alone(draft), nodes(draft));
    }

    /**
     * The predicates of a draft, the checkpoints of its sequences included: at most the nodes of
     * one user's explanation of it (a container's predicate is explained on one witness unit).
     */
    public static int nodes(Definition draft) {
        int[] n = {0};
        Visitor.walk(draft.container(), p -> n[0]++);
        return n[0];
    }

    /**
     * Previews a resolved draft (no {@code segment-ref} left: see {@code SegmentResolver}) for one
     * user's events at instant {@code at}. Events more than the engine's future skew past {@code
     * at} are ignored, as the job ignores events that far ahead of its clock.
     *
     * @throws IllegalArgumentException when the draft does not compile
     */
    public Result preview(Definition draft, List<Event> events, long at) {
        return preview(compile(draft), events, at);
    }

    /**
     * Previews a compiled draft for one user's events at instant {@code at}, as {@link
     * #preview(Definition, List, long)}; the draft is only read, so one serves every user.
     */
    public Result preview(Compiled draft, List<Event> events, long at) {
        SegmentEngine engine = new SegmentEngine(config);
        CompiledSegment segment = draft.alone.segment();
        SegmentCatalog catalog = draft.alone.catalog();
        UserProfile profile = new UserProfile();
        ListHistory history = new ListHistory();
        List<Event> applied = new ArrayList<>(events.size());
        List<Integer> positions = new ArrayList<>(events.size());
        List<Ignored> ignored = new ArrayList<>();
        for (int i = 0; i < events.size(); i++) {
            if (engine.tooFarInFuture(events.get(i), at)) {
                ignored.add(new Ignored(i, "future_event"));
            } else {
                applied.add(events.get(i));
                positions.add(i);
            }
        }
        SegmentEngine.Outcome outcome = engine.onEvents(profile, history, catalog, applied);
        for (SegmentEngine.Ignored ig : outcome.ignored()) {
            ignored.add(new Ignored(positions.get(ig.index()), ig.reason()));
        }
        ignored.sort(java.util.Comparator.comparingInt(Ignored::index));
        List<MembershipChange> changes = new ArrayList<>(outcome.changes());
        changes.addAll(engine.lapsesThrough(profile, history, catalog, Long.MIN_VALUE, at));
        Explanation explanation = engine.explainAt(profile, history, segment, at);
        Membership m = profile.memberships(catalog).get(segment.id());
        boolean member = m != null && m.member();
        Long lapsesAt = member ? lapse(engine, profile, history, catalog, segment.id()) : null;
        return new Result(
                at,
                member,
                member ? m.enteredAt() : null,
                lapsesAt,
                List.copyOf(changes),
                List.copyOf(ignored),
                explanation);
    }

    /** When the member would exit with no new events (moves the profile's clock on). */
    @Nullable
    private static Long lapse(
            SegmentEngine engine,
            UserProfile profile,
            ListHistory history,
            SegmentCatalog catalog,
            String id) {
        for (int i = 0; i < MAX_LAPSES && profile.nextExpiry() != Long.MAX_VALUE; i++) {
            long next = profile.nextExpiry();
            for (MembershipChange c : engine.advanceTo(profile, history, catalog, next)) {
                if (c.segmentId().equals(id) && c.kind() == MembershipChange.Kind.EXITED) {
                    return c.time();
                }
            }
            if (profile.nextExpiry() <= next) {
                return null; // nothing moves on: guard against a clock that does not advance
            }
        }
        return null;
    }
}
