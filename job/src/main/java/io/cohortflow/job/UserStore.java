package io.cohortflow.job;

import io.cohortflow.core.eval.EventHistory;
import io.cohortflow.core.eval.ProfileCodec;
import io.cohortflow.core.eval.ProfileHistory;
import io.cohortflow.core.eval.UserProfile;
import io.cohortflow.core.state.CorruptStateException;
import io.cohortflow.job.model.UserState;
import io.cohortflow.job.state.CodecSerializer;
import io.cohortflow.job.state.MapStateHistory;
import io.cohortflow.job.state.StateAccessException;
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
 *
 * <p>Whatever the state backend throws comes out as {@link StateAccessException}, which fails the
 * task (Flink restarts it from a checkpoint and the record is read again: nothing is lost), and is
 * never taken for the record's fault (a dead letter, or a strike of {@link PoisonRecords}). A
 * stored profile that cannot be decoded comes out as {@link CorruptStateException}: that user's
 * data, not the backend, since a restart would read the same bytes and fail the task for ever. The
 * function dead-letters what concerns the user and leaves their bytes as they are, rather than
 * starting them afresh: a new profile would drop their memberships without the {@code exited}
 * records their consumers wait for. An erasure, or the end of their user TTL, removes them all the
 * same ({@link #forgetUnreadable}): the point of both is that the data goes.
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
    void commit(UserProfile p) {
        try {
            if (p.isEmpty() && p.historySize() == 0) {
                profile.clear();
            } else {
                // Encoded once for the state and, with the changelog, its log of changes.
                CodecSerializer.encodingOnce(() -> profile.update(p));
            }
        } catch (Exception e) {
            throw new StateAccessException("writing a profile", e);
        }
        history.commit();
    }

    /**
     * The stored profile to change, or null: a copy where the state backend hands out the stored
     * object itself (the heap backends: tests, the batch backfill), since the engine changes the
     * profile it is given and a change may be rolled back (RocksDB hands out a deserialized copy by
     * itself).
     */
    @Nullable UserProfile profile() {
        UserProfile stored = peek();
        return stored == null || ordered
                ? stored
                : ProfileCodec.fromBytes(ProfileCodec.toBytes(stored));
    }

    /** The stored profile to read only, or null. */
    @Nullable UserProfile peek() {
        try {
            return profile.value();
        } catch (CorruptStateException e) {
            throw e;
        } catch (Exception e) {
            throw new StateAccessException("reading a profile", e);
        }
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
    @Nullable List<String> answered(String idempotencyKey) {
        try {
            return answered.get(idempotencyKey);
        } catch (Exception e) {
            throw new StateAccessException("reading an answered request", e);
        }
    }

    void answer(String idempotencyKey, List<String> cohorts) {
        try {
            answered.put(idempotencyKey, cohorts);
        } catch (Exception e) {
            throw new StateAccessException("writing an answered request", e);
        }
    }

    /** Removes every piece of the user's state and their pending timer. */
    void forget(UserProfile p, TimerService timers) {
        if (p.scheduledWakeUp() != Long.MAX_VALUE) {
            timers.deleteEventTimeTimer(p.scheduledWakeUp());
        }
        forgetUnreadable();
    }

    /**
     * Removes a user whose stored profile cannot be read (an erasure, or their timer in a workspace
     * whose users expire: see {@link #forget}); the pending timer it named is unknown, and finds
     * nothing when it fires.
     */
    void forgetUnreadable() {
        try {
            profile.clear();
            history.clear();
            answered.clear();
        } catch (RuntimeException e) {
            throw new StateAccessException("removing a user", e);
        }
    }

    /** The user's whole state, for a backfill's bootstrap savepoint. */
    UserState state(String key, UserProfile p) throws Exception {
        return UserState.of(key, p, history.entries(), history.chunkEntries());
    }
}
