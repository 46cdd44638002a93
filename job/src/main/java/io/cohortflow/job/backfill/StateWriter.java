package io.cohortflow.job.backfill;

import io.cohortflow.core.eval.UserProfile;
import io.cohortflow.core.event.Event;
import io.cohortflow.job.Descriptors;
import io.cohortflow.job.model.UserState;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.state.api.functions.KeyedStateBootstrapFunction;

/**
 * Writes each user's state, as the backfill's operator left it, into the bootstrap savepoint under
 * the streaming operator's descriptors, and registers the user's next lapse as an event-time timer
 * (the streaming operator fires it when its watermark passes, as if it had registered it itself).
 */
final class StateWriter extends KeyedStateBootstrapFunction<String, UserState> {
    private static final long serialVersionUID = 1L;

    private transient ValueState<UserProfile> profiles;
    private transient MapState<Long, Event> histories;
    private transient MapState<Long, List<Event>> chunks;

    @Override
    public void open(OpenContext openContext) {
        profiles = getRuntimeContext().getState(Descriptors.PROFILE);
        histories = getRuntimeContext().getMapState(Descriptors.HISTORY);
        chunks = getRuntimeContext().getMapState(Descriptors.HISTORY_CHUNKS);
    }

    @Override
    public void processElement(UserState s, Context ctx) throws Exception {
        UserProfile profile = s.profile();
        List<Event> events = s.events();
        for (int i = 0; i < events.size(); i++) {
            histories.put(s.historyKeys[i], events.get(i));
        }
        chunks.putAll(s.sealedChunks());
        long next = profile.nextExpiry();
        if (next != Long.MAX_VALUE) {
            ctx.timerService().registerEventTimeTimer(next);
        }
        profile.scheduledWakeUp(next);
        // The backfill numbered definitions by its own reading (a file's lines, or the topic's
        // offsets): the streaming job evaluates each user once against every segment, as it did
        // when its definitions were applied to every user at start-up.
        profile.forgetDefinitionsEpoch();
        profiles.update(profile);
    }
}
