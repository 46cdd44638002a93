package io.cohortflow.job;

import io.cohortflow.core.contract.EventEnvelope;
import io.cohortflow.core.contract.ReplyRecord;
import io.cohortflow.core.contract.UserMembership;
import io.cohortflow.core.eval.CompiledSegment;
import io.cohortflow.core.eval.EventHistory;
import io.cohortflow.core.eval.Membership;
import io.cohortflow.core.eval.MembershipChange;
import io.cohortflow.core.eval.SegmentCatalog;
import io.cohortflow.core.eval.SegmentEngine;
import io.cohortflow.core.eval.UserProfile;
import io.cohortflow.job.model.Inbound;
import io.cohortflow.job.model.KafkaMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The answers to requests about one user's state ({@link EventEnvelope#op}): their memberships with
 * status and times, the explanation of one segment, and what erasing them ends. The caller loads
 * and stores the state; this reads it and says what to reply.
 */
final class UserRequests {
    private final SegmentEngine engine;
    private final Outputs outputs;

    UserRequests(SegmentEngine engine, Outputs outputs) {
        this.engine = engine;
        this.outputs = outputs;
    }

    /**
     * The reply to a {@code memberships} or {@code explain} request, the user up to date with the
     * catalog and their lapses; {@code known} says whether the job held any state of the user (an
     * unknown user is answered from an empty profile, so an explanation still shows the tree).
     */
    KafkaMessage answer(
            Inbound in,
            boolean known,
            UserProfile profile,
            EventHistory history,
            SegmentCatalog catalog) {
        if (EventEnvelope.EXPLAIN.equals(in.op)) {
            Optional<CompiledSegment> s = catalog.segment(in.segment);
            if (s.isEmpty()) {
                return outputs.errorReply(
                        in,
                        ReplyRecord.UNKNOWN_SEGMENT,
                        "segment " + in.segment + " is not live in workspace " + in.workspace);
            }
            Membership m = profile.memberships(catalog).get(in.segment);
            return outputs.userReply(
                    in,
                    known,
                    m == null ? List.of() : List.of(UserMembership.of(in.segment, m)),
                    engine.explainAt(profile, history, s.get(), profile.now()));
        }
        List<UserMembership> out = new ArrayList<>();
        for (Map.Entry<String, Membership> m : profile.memberships(catalog).entrySet()) {
            out.add(UserMembership.of(m.getKey(), m.getValue()));
        }
        return outputs.userReply(in, known, out, null);
    }

    /**
     * The exits of every membership an erased user holds, at {@code at} (their latest instant, or
     * the watermark when later: erasure happens now, not in the user's past).
     */
    static List<MembershipChange> exits(UserProfile p, SegmentCatalog catalog, long at) {
        return exits(p, p.memberships(catalog), at);
    }

    /**
     * As {@link #exits(UserProfile, SegmentCatalog, long)}, of {@code p}'s memberships {@code
     * held}.
     */
    static List<MembershipChange> exits(UserProfile p, Map<String, Membership> held, long at) {
        long when = Math.max(at, p.now());
        List<MembershipChange> out = new ArrayList<>();
        for (Map.Entry<String, Membership> m : held.entrySet()) {
            if (m.getValue().member()) {
                out.add(
                        new MembershipChange(
                                m.getKey(),
                                MembershipChange.Kind.EXITED,
                                when,
                                m.getValue().version()));
            }
        }
        return out;
    }

    /**
     * The reply to an erasure: whether the user was known, and the memberships it ended ({@code
     * exits} of {@code held}).
     */
    KafkaMessage erased(
            Inbound in, boolean known, Map<String, Membership> held, List<MembershipChange> exits) {
        List<UserMembership> ended = new ArrayList<>();
        for (MembershipChange c : exits) {
            ended.add(
                    UserMembership.of(
                            c.segmentId(),
                            new Membership(
                                    Membership.Status.EXITED,
                                    c.version(),
                                    held.get(c.segmentId()).enteredAt(),
                                    c.time(),
                                    c.time())));
        }
        return outputs.userReply(in, known, ended, null);
    }
}
