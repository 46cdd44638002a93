package io.cohortflow.job;

import io.cohortflow.core.eval.EventHistory;
import io.cohortflow.core.eval.ProfileCodec;
import io.cohortflow.core.eval.ProfileHistory;
import io.cohortflow.core.eval.UserProfile;
import io.cohortflow.job.model.UserState;
import io.cohortflow.job.state.MapStateHistory;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.streaming.api.TimerService;
import org.jspecify.annotations.Nullable;

/**
 * The current user's keyed state as {@link SegmentationFunction} reads and writes it: their
 * profile, their history and the answers to their requests that carried an idempotency key. A
 * change is all or nothing: between {@link #begin} and {@link #commit} the history's writes are
 * held back, and {@link #rollback} drops them, so a record that fails halfway (a dead letter, a
 * lapse the engine cannot apply) leaves the user as they were.
 */
final class UserStore {
    private final ValueState<UserProfile> profile;
    private final MapStateHistory history;
    private final MapState<String, List<String>> answered;
    private final boolean ordered;

    UserStore(RuntimeContext ctx, SegmentationSettings settings) {
        profile = ctx.getState(Descriptors.PROFILE);
        ordered = settings.orderedState();
        history =
                new MapStateHistory(
                        ctx.getMapState(Descriptors.HISTORY),
                        ctx.getMapState(Descriptors.HISTORY_CHUNKS),
                        ordered);
        answered =
                ctx.getMapState(
                        Descriptors.answeredRequests(
                                Duration.ofMillis(settings.idempotencyWindowMillis())));
    }

    /** The stored history, for whoever reads events of the current user (their lapses). */
    MapStateHistory history() {
        return history;
    }

    /** Starts a change of the user's state: history writes wait for {@link #commit}. */
    void begin() {
        history.begin();
    }

    /** Drops what the change wrote so far; harmless when none was begun. */
    void rollback() {
        history.rollback();
    }

    /** Stores {@code p} (or nothing, when it holds nothing) and the history's held-back writes. */
    void commit(UserProfile p) throws IOException {
        if (p.isEmpty() && p.historySize() == 0) {
            profile.clear();
        } else {
            profile.update(p);
        }
        history.commit();
    }

    /**
     * The stored profile to change, or null: a copy where the state backend hands out the stored
     * object itself (the heap backends: tests, the batch backfill), since the engine changes the
     * profile it is given and a change may be rolled back (RocksDB hands out a deserialized copy by
     * itself).
     */
    @Nullable UserProfile profile() throws IOException {
        UserProfile stored = profile.value();
        return stored == null || ordered
                ? stored
                : ProfileCodec.fromBytes(ProfileCodec.toBytes(stored));
    }

    /** The stored profile to read only, or null. */
    @Nullable UserProfile peek() throws IOException {
        return profile.value();
    }

    /**
     * The user's history: in chunks, the newest in their profile and sealed ones in the {@link
     * Descriptors#HISTORY_CHUNKS} map (core's {@link ProfileHistory}), so most users cost one state
     * read and one write per event; a profile stored before chunks has it in {@link
     * Descriptors#HISTORY}.
     */
    EventHistory historyOf(UserProfile p) {
        return ProfileHistory.of(p, history, history);
    }

    /** The cohorts first answered to the request with this idempotency key, or null. */
    @Nullable List<String> answered(String idempotencyKey) throws Exception {
        return answered.get(idempotencyKey);
    }

    void answer(String idempotencyKey, List<String> cohorts) throws Exception {
        answered.put(idempotencyKey, cohorts);
    }

    /** Removes every piece of the user's state and their pending timer. */
    void forget(UserProfile p, TimerService timers) throws Exception {
        if (p.scheduledWakeUp() != Long.MAX_VALUE) {
            timers.deleteEventTimeTimer(p.scheduledWakeUp());
        }
        profile.clear();
        history.clear();
        answered.clear();
    }

    /** The user's whole state, for a backfill's bootstrap savepoint. */
    UserState state(String key, UserProfile p) throws Exception {
        return UserState.of(key, p, history.entries(), history.chunkEntries());
    }
}
