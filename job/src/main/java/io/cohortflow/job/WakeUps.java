package io.cohortflow.job;

import io.cohortflow.core.contract.Keys;
import io.cohortflow.core.eval.MembershipChange;
import io.cohortflow.core.eval.SegmentCatalog;
import io.cohortflow.core.eval.SegmentEngine;
import io.cohortflow.core.eval.UserProfile;
import io.cohortflow.core.state.CorruptStateException;
import io.cohortflow.job.model.DefinitionUpdate;
import io.cohortflow.job.model.KafkaMessage;
import io.cohortflow.job.state.StateAccessException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.apache.flink.streaming.api.TimerService;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What happens to a user without an event of theirs, for {@link SegmentationFunction}: their timer
 * fires (their next lapse, the end of their state's time to live, a backfill's end), or the {@link
 * DefinitionsSweep} visits them to bring them up to changed definitions. Both load the user's
 * state, move it forward with core's {@link SegmentEngine}, register their next wake-up ({@link
 * Lapses}: one event-time timer a user) and emit what changed, as an event would.
 *
 * <p>A timer that fires before the definitions are read to their end is deferred: its wake-up
 * waits, unscheduled, for the sweep that follows the definitions' end, which registers it again;
 * but for the user's expiry, which needs no definitions and happens at once. A user the engine
 * cannot move forward keeps their state and is reported, rather than failing the job on every
 * restore (the timer would fire again); but for the end of their user TTL, a retention promise,
 * which removes even a user whose state cannot be read.
 */
final class WakeUps {
    private static final Logger LOG = LoggerFactory.getLogger(WakeUps.class);

    /** Where a user's membership changes go: the memberships output and the audience counts. */
    interface Emitter {
        void emit(
                String workspace,
                String userId,
                List<MembershipChange> changes,
                Consumer<KafkaMessage> out);
    }

    private final SegmentationSettings settings;
    private final SegmentEngine engine;
    private final UserStore user;
    private final Lapses lapses;
    private final LiveDefinitions definitions;
    private final Outputs outputs;
    private final Emitter emitter;

    WakeUps(
            SegmentationSettings settings,
            SegmentEngine engine,
            UserStore user,
            Lapses lapses,
            LiveDefinitions definitions,
            Outputs outputs,
            Emitter emitter) {
        this.settings = settings;
        this.engine = engine;
        this.user = user;
        this.lapses = lapses;
        this.definitions = definitions;
        this.outputs = outputs;
        this.emitter = emitter;
    }

    /**
     * The current user's timer at {@code timestamp}: their lapses up to it, or their state's end
     * (the user goes, as an erasure does), or a backfill's end (their snapshot).
     *
     * @param ready whether the definitions are read to their end: lapses wait for them, the user's
     *     expiry does not
     */
    void onTimer(
            long timestamp,
            boolean ready,
            SegmentationFunction.OnTimerContext ctx,
            Collector<KafkaMessage> out)
            throws Exception {
        String key = ctx.getCurrentKey();
        UserProfile profile;
        try {
            profile = user.profile();
        } catch (CorruptStateException e) {
            if (timestamp != settings.asOf() && settings.expires(Keys.workspace(key))) {
                expireUnreadable(key, timestamp, e, ctx);
                return;
            }
            // Not to fail the job on every restore, as the timer would fire again (UserStore).
            LOG.warn("the state of {} could not be read at {}", key, timestamp, e);
            ctx.output(Descriptors.SIDE, unreadableLetter(key, e));
            return;
        }
        if (profile == null) {
            return;
        }
        if (timestamp == profile.scheduledWakeUp()) {
            profile.scheduledWakeUp(Long.MAX_VALUE); // this timer is spent
        }
        String workspace = Keys.workspace(key);
        boolean end = timestamp == settings.asOf();
        long expiry = settings.expiry(workspace, profile.lastEventTime());
        if (!end && timestamp >= expiry) {
            // No event for the workspace's user TTL: the user goes, as an erasure does, also
            // while the definitions are still being read (a restore): the TTL is a retention
            // promise, and expiring evaluates nothing. The exits are those of the memberships the
            // profile holds, named by the workspace's catalog ready or not (its numbering is
            // restored with the state, as for an erasure: Erasures), so they
            // are the ones a job that has read its definitions writes; the user's state goes in
            // the same checkpoint as they are written, so a replay from an earlier checkpoint
            // writes them once again only where the first ones were never committed. This
            // expiry waited for the definitions' end (after the sweep that follows it), keeping
            // the user past their TTL meanwhile, and for ever if the definitions never ended.
            List<MembershipChange> exits =
                    UserRequests.exits(profile, definitions.catalog(workspace), timestamp);
            user.forget(profile, ctx.timerService());
            emitter.emit(workspace, Keys.id(key), exits, out::collect);
            return;
        }
        if (!ready) {
            // A lapse, restored before the definitions were read to their end: the catalog it
            // needs is not there yet. The wake-up waits, its timer spent: the sweep that follows
            // the definitions' end registers it again (see visit). The user's expiry does not
            // wait for that sweep: it gets a timer of its own now (not recorded as the user's
            // wake-up, so that the sweep still finds the lapse unscheduled), or an expiry coming
            // due while the definitions are read would wait for them after all. A membership whose
            // lapse is still waiting then exits at the expiry instant, once, with the others.
            // Should the user be back or gone by then, that timer finds them up to date, or
            // nothing.
            if (expiry != Long.MAX_VALUE) {
                ctx.timerService().registerEventTimeTimer(expiry);
            }
            user.commit(profile);
            return;
        }
        SegmentCatalog catalog = definitions.evaluating(workspace);
        List<MembershipChange> changes = new ArrayList<>();
        // The end-of-backfill timer does not move the user's clock to the end: a streaming job's
        // clocks move with events and lapses only.
        user.begin(); // written with the profile, or not at all (see SegmentationFunction)
        try {
            if (!end) {
                changes.addAll(
                        engine.advanceTo(profile, user.historyOf(profile), catalog, timestamp));
            }
            if (settings.backfill()) {
                // Batch mode ignores timers registered while a key's timers fire (its watermark
                // is at the end of time then), so the lapses that follow, up to the end, are
                // applied here, each at its own instant as a streaming job's timers would.
                changes.addAll(
                        lapses.apply(
                                profile,
                                catalog,
                                end ? Long.MIN_VALUE : timestamp,
                                settings.asOf()));
            }
        } catch (StateAccessException e) {
            user.rollback();
            throw e;
        } catch (RuntimeException | StackOverflowError e) {
            // A lapse the engine cannot apply must not restart the job on every restore (the
            // timer would fire again), nor fail a backfill: the user keeps their state, and it is
            // reported.
            user.rollback();
            LOG.warn("lapse at {} of {} could not be applied", timestamp, key, e);
            ctx.output(
                    Descriptors.SIDE,
                    outputs.userDeadLetter(key, "evaluation_failed", "a lapse failed: " + e));
            UserProfile stored = user.profile(); // as it was: the engine changed profile
            lapses.failed(
                    stored,
                    ctx.timerService(),
                    timestamp,
                    settings.expiry(workspace, stored.lastEventTime()));
            user.commit(stored);
            if (end) {
                snapshot(workspace, Keys.id(key), stored, ctx); // the backfill's result holds them
            }
            return;
        }
        if (!settings.backfill()) {
            register(profile, workspace, ctx.timerService());
        }
        user.commit(profile);
        emitter.emit(workspace, Keys.id(key), changes, out::collect);
        if (end) {
            snapshot(workspace, Keys.id(key), profile, ctx);
        }
    }

    /**
     * The timer of a user whose stored profile cannot be read, in a workspace whose users expire:
     * the user goes, as an erasure of them does (see {@link Erasures}). The TTL is a retention
     * promise, and this timer may be the user's last chance to keep it: their events are
     * dead-lettered from now on (none registers a timer) and the timer is spent, so a user kept
     * here stayed for good.
     *
     * <p>Their TTL instant (latest event plus the TTL) is in the profile that cannot be read, but
     * no timer of a user falls after it (a user holds one timer, at the earlier of their next lapse
     * and that instant, and an event moves the instant later only), so the user goes at this one:
     * on time when it is their TTL's, before it when it is a lapse's, never after it; but for a TTL
     * shortened since the timer was registered: the sweep that moves everybody else's timer earlier
     * cannot read when the shorter one ends ({@link UserTtls}), so the user goes at the longer
     * one's instant. (So does a user restored from a backfill's bootstrap, whose timer is their
     * next lapse, maybe later than the instant, until the sweep after the start moves it.) What
     * they held cannot be named, so there are no exits: the dead letter says so. The bytes are
     * still in the checkpoints and savepoints taken before, for whoever repairs them.
     */
    private void expireUnreadable(
            String key,
            long timestamp,
            CorruptStateException e,
            SegmentationFunction.OnTimerContext ctx) {
        LOG.warn("expiring {} at {}, whose stored state could not be read", key, timestamp, e);
        user.forgetUnreadable();
        ctx.output(
                Descriptors.SIDE,
                outputs.userDeadLetter(
                        key,
                        "evaluation_failed",
                        "expired a user whose stored state could not be read (user TTL): the"
                                + " exits of their memberships could not be written ("
                                + e.getMessage()
                                + ")"));
    }

    /** A backfill's result for one user: memberships as of its end, and the whole state. */
    private void snapshot(
            String workspace,
            String userId,
            UserProfile profile,
            SegmentationFunction.OnTimerContext ctx)
            throws Exception {
        outputs.members(
                workspace,
                userId,
                profile.memberships(definitions.catalog(workspace)),
                m -> ctx.output(Descriptors.SNAPSHOT, m));
        ctx.output(Descriptors.STATE, user.state(Keys.of(workspace, userId), profile));
    }

    /**
     * The sweep's visit to the current user: brings them up to their workspace's catalog, as their
     * next event or timer would, registers their next wake-up when it is earlier than their timer
     * (a lapse the definitions moved, a wake-up deferred by {@link #onTimer}, the end of a user TTL
     * shortened or turned on since their timer was registered) and emits what changed. A user the
     * engine cannot evaluate keeps their state (counted in {@code tally[0]}, reported once per
     * sweep); one whose state does not decode is counted apart ({@link #unreadable}). Returns
     * whether the user was behind.
     */
    boolean visit(
            String key,
            ReadOnlyBroadcastState<String, DefinitionUpdate> defs,
            ReadOnlyBroadcastState<String, Long> progress,
            TimerService timers,
            Consumer<KafkaMessage> out,
            Consumer<KafkaMessage> side,
            int[] tally)
            throws Exception {
        if (!definitions.ready(defs, progress)) {
            return false;
        }
        UserProfile profile;
        try {
            profile = user.profile();
        } catch (CorruptStateException e) {
            unreadable(key, e, side, tally);
            return true;
        }
        String workspace = Keys.workspace(key);
        SegmentCatalog catalog = definitions.catalog(workspace);
        if (profile == null) {
            return false;
        }
        long expiry = settings.expiry(workspace, profile.lastEventTime());
        if (!engine.behind(profile, catalog)) {
            if (lapses.earlier(profile, expiry)) {
                // Deferred by onTimer, or registered under a longer user TTL than the job's now.
                register(profile, workspace, timers);
                user.commit(profile);
            }
            return false;
        }
        List<MembershipChange> changes;
        long lapseBefore = profile.nextExpiry();
        user.begin(); // written with the profile, or not at all (see SegmentationFunction)
        try {
            changes = new ArrayList<>(engine.catchUp(profile, user.historyOf(profile), catalog));
            changes.addAll(
                    lapses.apply(profile, catalog, Long.MIN_VALUE, timers.currentWatermark()));
        } catch (StateAccessException e) {
            user.rollback();
            throw e;
        } catch (CorruptStateException e) {
            user.rollback();
            unreadable(key, e, side, tally);
            return true;
        } catch (RuntimeException | StackOverflowError e) {
            user.rollback();
            failed(key, e, side, tally);
            return true;
        }
        if (changes.isEmpty()
                && profile.nextExpiry() == lapseBefore
                && !lapses.earlier(profile, expiry)) {
            // Nothing a reader of the user's state could tell: most users of a large catalog,
            // for most changes. Not writing their state keeps the sweep to reads (and out of the
            // stream's way); they catch up again, identically, at their next event, which
            // stores it.
            user.rollback();
            return true;
        }
        register(profile, workspace, timers);
        user.commit(profile);
        emitter.emit(workspace, Keys.id(key), changes, out);
        return true;
    }

    /**
     * One user the engine cannot evaluate (or whose state cannot be read) must not stop the others
     * (nor fail the job on every restart): they keep their state, and their next event is
     * dead-lettered. Reported once per sweep.
     */
    private void failed(String key, Throwable e, Consumer<KafkaMessage> side, int[] failures) {
        if (failures[0]++ == 0) {
            LOG.warn("bringing {} up to the definitions failed", key, e);
            side.accept(outputs.userDeadLetter(key, "evaluation_failed", e.toString()));
        }
    }

    /**
     * A user whose stored state does not decode (a profile, a history chunk) does not hold back the
     * sweep's {@code applied} report: no definition can evaluate them, the next no more than this
     * one, so counting them as failures kept every later definition from being reported applied on
     * this subtask until they were erased or their TTL ended. Counted in {@code tally[1]}, the
     * first of a sweep dead-lettered (one per user could be thousands a change); their events are
     * dead-lettered as they come ({@link RecordFailures}). A later build's encoding is not taken
     * for this: it fails the task ({@code CodecSerializer}).
     */
    private void unreadable(
            String key, CorruptStateException e, Consumer<KafkaMessage> side, int[] tally) {
        if (tally[1]++ == 0) {
            LOG.warn("the stored state of {} could not be read; the sweep goes on", key, e);
            side.accept(unreadableLetter(key, e));
        }
    }

    /** The dead letter of a user whose stored state does not decode. */
    private KafkaMessage unreadableLetter(String key, CorruptStateException e) {
        return outputs.userDeadLetter(
                key, "evaluation_failed", "the stored state could not be read: " + e);
    }

    /** Registers the user's next wake-up: their next lapse, or their state's expiry if sooner. */
    void register(UserProfile profile, String workspace, TimerService timers) {
        lapses.register(profile, timers, settings.expiry(workspace, profile.lastEventTime()));
    }
}
