package io.cohortflow.job.export;

import io.cohortflow.core.contract.Json;
import io.cohortflow.core.contract.Keys;
import io.cohortflow.core.contract.MembersExport;
import io.cohortflow.core.eval.Membership;
import io.cohortflow.core.eval.SegmentCatalog;
import io.cohortflow.core.eval.SegmentOrdinals;
import io.cohortflow.core.eval.UserProfile;
import io.cohortflow.core.event.IsoTimes;
import io.cohortflow.job.Descriptors;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.state.api.functions.KeyedStateReaderFunction;
import org.apache.flink.util.Collector;
import org.jspecify.annotations.Nullable;

/**
 * Reads each user's profile from a snapshot of the segmentation operator and writes a line per
 * membership held: the user's memberships by segment ordinal, named by the workspace's ordinal
 * table read from the same snapshot's broadcast state. Counts users and members as accumulators
 * ({@link #USERS}, {@link #MEMBERS}) for the command's progress.
 */
final class MemberReader extends KeyedStateReaderFunction<String, MemberLine> {
    private static final long serialVersionUID = 1L;

    static final String USERS = "users";
    static final String MEMBERS = "members";

    private final HashMap<String, HashMap<String, Integer>> ordinals;
    @Nullable private final String workspace;
    @Nullable private final List<String> segments;
    private final String format;

    private transient ValueState<UserProfile> profile;
    private transient Map<String, SegmentCatalog> catalogs;
    private transient LongCounter users;
    private transient LongCounter members;

    /**
     * @param ordinals per workspace, segment id to ordinal, as the snapshot stored them
     * @param workspace only this workspace's users, or null for all
     * @param segments only these segments, or null for all
     * @param format {@link MembersExport#JSON_LINES} or {@link MembersExport#CSV}
     */
    MemberReader(
            HashMap<String, HashMap<String, Integer>> ordinals,
            @Nullable String workspace,
            @Nullable List<String> segments,
            String format) {
        this.ordinals = ordinals;
        this.workspace = workspace;
        this.segments = segments == null ? null : List.copyOf(segments);
        this.format = format;
    }

    @Override
    public void open(OpenContext context) {
        profile = getRuntimeContext().getState(Descriptors.PROFILE);
        catalogs = new HashMap<>();
        ordinals.forEach(
                (ws, table) ->
                        catalogs.put(ws, SegmentCatalog.empty(SegmentOrdinals.restore(table))));
        users = new LongCounter();
        members = new LongCounter();
        getRuntimeContext().addAccumulator(USERS, users);
        getRuntimeContext().addAccumulator(MEMBERS, members);
    }

    @Override
    public void readKey(String key, Context ctx, Collector<MemberLine> out) throws Exception {
        String ws = Keys.workspace(key);
        if (workspace != null && !workspace.equals(ws)) {
            return;
        }
        UserProfile p = profile.value();
        users.add(1);
        SegmentCatalog catalog = catalogs.get(ws);
        if (p == null || catalog == null) {
            return; // no membership was ever numbered in this workspace
        }
        String userId = Keys.id(key);
        for (Map.Entry<String, Membership> e : p.memberships(catalog).entrySet()) {
            Membership m = e.getValue();
            if (!m.member() || (segments != null && !segments.contains(e.getKey()))) {
                continue;
            }
            MembersExport.Member member =
                    new MembersExport.Member(
                            ws, userId, e.getKey(), IsoTimes.format(m.enteredAt()), m.version());
            out.collect(
                    new MemberLine(
                            MembersExport.bucket(ws, e.getKey()),
                            format.equals(MembersExport.CSV)
                                    ? member.csv()
                                    : Json.MAPPER.writeValueAsString(member)));
            members.add(1);
        }
    }
}
