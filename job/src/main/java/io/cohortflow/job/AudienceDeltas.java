package io.cohortflow.job;

import io.cohortflow.core.contract.AudienceRecord;
import io.cohortflow.core.eval.MembershipChange;
import io.cohortflow.job.model.AudienceDelta;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiPredicate;
import java.util.function.Consumer;

/**
 * A subtask's membership changes summed per segment until they are handed on, one record per
 * segment: the audience counts move by these sums instead of by one record per change (an event can
 * change dozens of memberships). The operator hands them on before each checkpoint barrier, so they
 * are in the same checkpoint as the changes they count and need no state.
 *
 * <p>Every change counts in its hour; only changes within {@link #MINUTE_DETAIL_MILLIS} of the
 * newest change of their segment this subtask has seen count in their minute too: the span the
 * segment's minute series keeps (a day back from its newest change), beyond which the series drops
 * them anyway. The segment's own newest, not the subtask's: a workspace whose events run a day
 * behind another's (a delayed upload, a replay) would otherwise have no minute counted at all.
 * Within it every change must count, a late one too: the service works each minute's size back from
 * the size now, so a change left out of its minute put every earlier minute's size off by one. A
 * job catching up days of backlog sums at most a day of minutes per segment between two barriers
 * ({@link #MAX_PENDING} bounds them).
 *
 * <p>A deleted segment's audience is forgotten: each record says whether its segment was deleted
 * when it was handed on, and a subtask that applies a deletion hands on a record for the segment
 * even with nothing counted ({@link #removed}), so the first subtask's such record takes the
 * audience off the topic, whether or not every member has exited ({@link AudienceFunction}). Its
 * members' exits are counted as ever in the size it keeps unpublished, so the size stays exact (a
 * rollback can bring the segment back, and a member whose state was not visited in between stays
 * one).
 */
final class AudienceDeltas {
    /** How far behind the newest change a change still counts in its minute: the series' span. */
    static final long MINUTE_DETAIL_MILLIS =
            AudienceRecord.Granularity.MINUTE.kept * AudienceRecord.Granularity.MINUTE.millis;

    /** Past this many sums pending they are handed on at once: memory stays bounded. */
    static final int MAX_PENDING = 200_000;

    /** Per workspace, per segment id (their hash codes are cached: no key is built per change). */
    private final Map<String, Map<String, Pending>> pending = new HashMap<>();

    /** Whether a segment (workspace, id) is deleted when its sums are handed on. */
    private final BiPredicate<String, String> deleted;

    private int sums;
    private boolean counting;

    AudienceDeltas(BiPredicate<String, String> deleted) {
        this.deleted = deleted;
    }

    private static final class Pending {
        final String workspace;
        final String segmentId;
        final Periods hours = new Periods();
        final Periods minutes = new Periods();
        long newest = Long.MIN_VALUE;

        Pending(String workspace, String segmentId) {
            this.workspace = workspace;
            this.segmentId = segmentId;
        }
    }

    /**
     * Sums by period start in an open-addressing table of primitives: a handful of periods per
     * segment between two barriers, looked up for every change (a boxed tree map was an eighth of
     * the segmentation thread at 1 000 segments).
     */
    private static final class Periods {
        private long[] starts = new long[8];
        private long[] entered = new long[8];
        private long[] exited = new long[8];
        private boolean[] used = new boolean[8];
        private int size;

        /** Counts one change; true when the period is new. */
        boolean count(long start, int kind) {
            int i = slot(start);
            boolean added = !used[i];
            if (added) {
                used[i] = true;
                starts[i] = start;
                size++;
            }
            if (kind == 0) {
                entered[i]++;
            } else {
                exited[i]++;
            }
            if (added && size * 2 > starts.length) {
                grow();
            }
            return added;
        }

        private int slot(long start) {
            int mask = starts.length - 1;
            int i = (int) ((start * 0x9E3779B97F4A7C15L) >>> 40) & mask;
            while (used[i] && starts[i] != start) {
                i = (i + 1) & mask;
            }
            return i;
        }

        private void grow() {
            long[] s = starts;
            long[] in = entered;
            long[] out = exited;
            boolean[] u = used;
            starts = new long[s.length * 2];
            entered = new long[s.length * 2];
            exited = new long[s.length * 2];
            used = new boolean[s.length * 2];
            for (int k = 0; k < s.length; k++) {
                if (u[k]) {
                    int i = slot(s[k]);
                    used[i] = true;
                    starts[i] = s[k];
                    entered[i] = in[k];
                    exited[i] = out[k];
                }
            }
        }

        /** Fills a delta's three arrays, by start. */
        void into(long[][] columns) {
            long[] order = new long[size];
            int n = 0;
            for (int k = 0; k < starts.length; k++) {
                if (used[k]) {
                    order[n++] = starts[k];
                }
            }
            java.util.Arrays.sort(order);
            long[] in = new long[size];
            long[] out = new long[size];
            for (int k = 0; k < size; k++) {
                int i = slot(order[k]);
                in[k] = entered[i];
                out[k] = exited[i];
            }
            columns[0] = order;
            columns[1] = in;
            columns[2] = out;
        }
    }

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
        Map<String, Pending> segments = pending.computeIfAbsent(workspace, w -> new HashMap<>());
        for (MembershipChange c : changes) {
            Pending p = pending(segments, workspace, c.segmentId());
            int kind = c.kind() == MembershipChange.Kind.ENTERED ? 0 : 1;
            long t = c.time();
            p.newest = Math.max(p.newest, t);
            if (p.hours.count(Math.floorDiv(t, 3_600_000L) * 3_600_000L, kind)) {
                sums++;
            }
            if (t >= p.newest - MINUTE_DETAIL_MILLIS
                    && p.minutes.count(Math.floorDiv(t, 60_000L) * 60_000L, kind)) {
                sums++;
            }
        }
    }

    private static Pending pending(
            Map<String, Pending> segments, String workspace, String segmentId) {
        Pending p = segments.get(segmentId);
        if (p == null) {
            p = new Pending(workspace, segmentId);
            segments.put(segmentId, p);
        }
        return p;
    }

    /**
     * This subtask applied the deletion of the segment: it hands a record on for it at the next
     * barrier, sums or none, after every sum it counted before. So each subtask's last record of a
     * deleted segment says it is deleted: a record counted before the deletion that reaches the
     * audience counts after another subtask's deletion (and publishes the segment again) is
     * followed by its own subtask's, which takes the audience off again.
     */
    void removed(String workspace, String segmentId) {
        if (counting) {
            pending(pending.computeIfAbsent(workspace, w -> new HashMap<>()), workspace, segmentId);
        }
    }

    boolean full() {
        return sums >= MAX_PENDING;
    }

    /** Hands every segment's sums to {@code out} and forgets them. */
    void drain(Consumer<AudienceDelta> out) {
        if (pending.isEmpty()) {
            return;
        }
        for (Map<String, Pending> segments : pending.values()) {
            for (Pending p : segments.values()) {
                AudienceDelta d = new AudienceDelta(p.workspace, p.segmentId);
                long[][] c = new long[3][];
                p.hours.into(c);
                d.hours = c[0];
                d.hourEntered = c[1];
                d.hourExited = c[2];
                p.minutes.into(c);
                d.minutes = c[0];
                d.minuteEntered = c[1];
                d.minuteExited = c[2];
                d.newest = p.newest;
                d.deleted = deleted.test(p.workspace, p.segmentId);
                out.accept(d);
            }
        }
        pending.clear();
        sums = 0;
    }
}
