package io.cohortflow.job;

import io.cohortflow.core.eval.MembershipChange;
import io.cohortflow.job.model.AudienceDelta;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A subtask's membership changes summed per segment and minute until they are handed on: the
 * audience counts move by these sums instead of by one record per change (a user's event can change
 * dozens of memberships). The operator hands them on before each checkpoint barrier, so they are in
 * the same checkpoint as the changes they count and no state of their own is needed.
 */
final class AudienceDeltas {
    /** Past this many sums they are handed on at once, so memory stays bounded between barriers. */
    static final int MAX_PENDING = 50_000;

    private final Map<String, AudienceDelta> pending = new HashMap<>();
    private boolean counting;

    /**
     * Sums are kept only once the streaming operator, which hands them on, says so: a backfill runs
     * the function under Flink's plain operator and takes its audiences from the members at the
     * end.
     */
    void start() {
        counting = true;
    }

    void add(String workspace, List<MembershipChange> changes) {
        if (!counting) {
            return;
        }
        for (MembershipChange c : changes) {
            long minute = Math.floorDiv(c.time(), 60_000L) * 60_000L;
            AudienceDelta d =
                    pending.computeIfAbsent(
                            workspace + '\u0000' + c.segmentId() + '\u0000' + minute,
                            k -> new AudienceDelta(workspace, c.segmentId(), minute));
            if (c.kind() == MembershipChange.Kind.ENTERED) {
                d.entered++;
            } else {
                d.exited++;
            }
            d.newest = Math.max(d.newest, c.time());
        }
    }

    boolean full() {
        return pending.size() >= MAX_PENDING;
    }

    /** Hands every pending sum to {@code out} and forgets it. */
    void drain(Consumer<AudienceDelta> out) {
        if (pending.isEmpty()) {
            return;
        }
        for (AudienceDelta d : pending.values()) {
            if (d.entered != 0 || d.exited != 0) {
                out.accept(d);
            }
        }
        pending.clear();
    }
}
