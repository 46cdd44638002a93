package io.cohortflow.job.backfill;

import io.cohortflow.core.contract.Json;
import io.cohortflow.core.contract.MembershipRecord;
import io.cohortflow.job.AudienceState;
import io.cohortflow.job.model.AudienceDelta;
import io.cohortflow.job.model.KafkaMessage;
import java.io.IOException;
import java.time.Instant;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.state.api.functions.KeyedStateBootstrapFunction;

/**
 * The audience counts of a bootstrap savepoint: every membership held at the end of the history
 * counts as one entered at its entry time, so the streaming job started from the savepoint counts
 * on from the members it holds (its sizes equal them) instead of from zero. The series keep those
 * entries only: exits before the end of the history are not in the membership state.
 */
final class AudienceBootstrap extends KeyedStateBootstrapFunction<String, AudienceDelta> {
    private static final long serialVersionUID = 1L;

    private transient AudienceState counts;

    /** One membership held at the end, as a sum of one entry. */
    static AudienceDelta held(KafkaMessage snapshot) throws IOException {
        MembershipRecord m = Json.read(snapshot.value, MembershipRecord.class);
        long at = Instant.parse(m.time()).toEpochMilli();
        return AudienceDelta.entered(m.workspace(), m.segmentId(), at);
    }

    @Override
    public void open(OpenContext openContext) {
        counts = new AudienceState(getRuntimeContext());
    }

    @Override
    public void processElement(AudienceDelta d, Context ctx) throws Exception {
        counts.add(d);
        // Due at once in the streaming job: it publishes the size and series when it starts.
        counts.schedule(ctx.timerService(), 1, 1);
    }
}
