package io.cohortflow.job.state;

import io.cohortflow.core.eval.MembershipLog;
import io.cohortflow.core.eval.MembershipOps;
import org.apache.flink.api.common.state.MapState;

/**
 * A user's membership log (core's {@link MembershipLog}) in keyed state, one map entry per
 * operation that changed a membership. Only point reads and writes by id: appending is one blind
 * write, the entries are read only when the user's membership details are asked for or the log is
 * compacted, and compacting deletes by id rather than listing the map.
 */
public final class MapStateMembershipLog implements MembershipLog {
    private final MapState<Long, MembershipOps> map;

    public MapStateMembershipLog(MapState<Long, MembershipOps> map) {
        this.map = map;
    }

    @Override
    public MembershipOps read(long id) {
        MembershipOps ops;
        try {
            ops = map.get(id);
        } catch (Exception e) {
            throw new StateAccessException("reading the membership log", e);
        }
        if (ops == null) {
            // The profile counts an entry the state does not hold: this user's state is
            // inconsistent, which the record's dead letter reports (the job goes on).
            throw new IllegalStateException("membership log entry " + id + " is missing");
        }
        return ops;
    }

    @Override
    public void write(long id, MembershipOps ops) {
        try {
            map.put(id, ops);
        } catch (Exception e) {
            throw new StateAccessException("writing the membership log", e);
        }
    }

    @Override
    public void delete(long id) {
        try {
            map.remove(id);
        } catch (Exception e) {
            throw new StateAccessException("deleting from the membership log", e);
        }
    }

    /** Removes the whole log at once (an erased or expired user). */
    public void clear() {
        map.clear();
    }
}
