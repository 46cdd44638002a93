package io.cohortflow.job;

import io.cohortflow.core.contract.EventEnvelope;
import io.cohortflow.core.contract.Keys;
import io.cohortflow.core.contract.ReplyRecord;
import io.cohortflow.core.eval.CompiledSegment;
import io.cohortflow.core.eval.EngineConfig;
import io.cohortflow.core.eval.Membership;
import io.cohortflow.core.eval.MembershipChange;
import io.cohortflow.core.eval.SegmentCatalog;
import io.cohortflow.core.eval.SegmentEngine;
import io.cohortflow.core.eval.UserProfile;
import io.cohortflow.core.event.Event;
import io.cohortflow.job.model.DefinitionUpdate;
import io.cohortflow.job.model.EventsCodec;
import io.cohortflow.job.model.Inbound;
import io.cohortflow.job.model.KafkaMessage;
import io.cohortflow.job.state.CorruptStateException;
import io.cohortflow.job.state.StateAccessException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.flink.api.common.accumulators.ListAccumulator;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.TimerService;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.streaming.runtime.tasks.ExceptionInChainedOperatorException;
import org.apache.flink.util.Collector;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one stateful operator: per user, it loads state, hands events, timers and definition changes
 * to core's {@link SegmentEngine}, stores state and emits what changed. Memberships go to the main
 * output (exactly-once sink); replies, dead letters and applied reports to the {@link
 * Descriptors#SIDE} output (at-least-once, low-latency sink).
 *
 * <p>Definitions: {@link LiveDefinitions} applies the definitions log and says when users can be
 * evaluated (until then events are stored in each user's history, not evaluated, and synchronous
 * requests get a 503 reply and apply nothing; an erasure, which evaluates nothing, is applied at
 * once, and so is a user's TTL expiry: {@link WakeUps#onTimer}). Applying a record touches no user:
 * each user is brought up to the catalog by the engine on their next event or timer, and {@link
 * SegmentationOperator}'s sweep visits the quiet ones in slices between records.
 *
 * <p>Timers: a user's next lapse instant is an event-time timer ({@link Lapses}). Lapses already at
 * or before the watermark when a user is visited (a late event, a sweep) are applied at once. What
 * a timer or a sweep's visit does is {@link WakeUps}'s: this class takes records.
 */
public class SegmentationFunction
        extends KeyedBroadcastProcessFunction<String, Inbound, DefinitionUpdate, KafkaMessage> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(SegmentationFunction.class);

    private final SegmentationSettings settings;

    private transient SegmentEngine engine;
    private transient UserStore user;
    private transient Lapses lapses;
    private transient Outputs outputs;
    private transient LiveDefinitions definitions;
    private transient AudienceDeltas audiences;
    private transient UserRequests requests;
    private transient JobMetrics metrics;
    private transient WakeUps wakeUps;

    /** A backfill's records held until their instant ends; null in the streaming job. */
    private transient @Nullable BackfillTies ties;

    public SegmentationFunction(SegmentationSettings settings) {
        this.settings = settings;
    }

    @Override
    public void open(OpenContext openContext) {
        engine =
                new SegmentEngine(
                        new EngineConfig(
                                Duration.ofMillis(settings.horizonMillis()),
                                settings.historyCap(),
                                Duration.ofMillis(settings.maxFutureSkewMillis())));
        user = new UserStore(getRuntimeContext(), settings);
        lapses = new Lapses(engine, user.history(), settings.asOf());
        metrics = new JobMetrics(getRuntimeContext().getMetricGroup(), engine.stats());
        outputs = new Outputs(settings.topics()).metered(metrics);
        definitions =
                new LiveDefinitions(
                        settings.definitionsEndOffset(), outputs, settings.bootstrapNumbering());
        if (settings.backfill()) {
            numbering = new ListAccumulator<>();
            getRuntimeContext().addAccumulator(NUMBERING, numbering);
            ties = new BackfillTies(getRuntimeContext());
        }
        audiences = new AudienceDeltas(definitions::deleted);
        requests = new UserRequests(engine, outputs);
        wakeUps = new WakeUps(settings, engine, user, lapses, definitions, outputs, this::emit);
    }

    /**
     * A backfill's numbering of segments and counter stores ({@link LiveDefinitions#numbering}),
     * under which its savepoint's profiles are written: the job it bootstraps takes it from the
     * cut-over file. Every subtask holds the same; the first reports it as its input ends.
     */
    public static final String NUMBERING = "cohortflow-numbering";

    private transient ListAccumulator<HashMap<String, Long>> numbering;

    @Override
    public void close() throws Exception {
        if (numbering != null && getRuntimeContext().getTaskInfo().getIndexOfThisSubtask() == 0) {
            numbering.add(new HashMap<>(numbering()));
        }
        super.close();
    }

    /** The numbers this subtask's catalogs gave segments and counter stores. */
    Map<String, Long> numbering() {
        return definitions.numbering();
    }

    /** The membership changes of this subtask not yet handed to the audience counts. */
    AudienceDeltas audiences() {
        return audiences;
    }

    // ---- events --------------------------------------------------------------------------

    /**
     * One record, isolated: whatever the record makes the engine throw goes to the dead-letter
     * topic (and a waiting request gets an error reply) and the job goes on, so no client input can
     * fail the task. What escapes (the state backend failing) fails the task as it should, and
     * {@link PoisonRecords} skips a record that keeps doing so.
     */
    @Override
    public void processElement(Inbound in, ReadOnlyContext ctx, Collector<KafkaMessage> out)
            throws Exception {
        definitions.ready(
                ctx.getBroadcastState(Descriptors.DEFINITIONS),
                ctx.getBroadcastState(Descriptors.PROGRESS));
        if (ties == null) {
            isolated(in, ctx, ctx.timerService(), out);
            return;
        }
        // A backfill: the records of one instant wait for its end, to be evaluated in the input's
        // order (BackfillTies); the user's end-of-input timer evaluates the last instant's.
        for (Inbound now : ties.add(in)) {
            isolated(now, ctx, ctx.timerService(), out);
        }
        ctx.timerService().registerEventTimeTimer(settings.asOf());
    }

    /**
     * Evaluates one record, isolated (see {@link #processElement}), with {@code timers} for its
     * clocks and the timers it registers.
     */
    private void isolated(
            Inbound in, ReadOnlyContext ctx, TimerService timers, Collector<KafkaMessage> out)
            throws Exception {
        Consumer<KafkaMessage> side = m -> ctx.output(Descriptors.SIDE, m);
        String position =
                PoisonRecords.position(
                        getRuntimeContext().getJobInfo().getJobId().toString(),
                        in.topic,
                        in.partition,
                        in.offset);
        int failures = PoisonRecords.failures(position);
        if (failures >= settings.poisonAttempts()) {
            LOG.error("skipping {} after it failed the task {} times", position, failures);
            side.accept(
                    outputs.deadLetter(
                            in,
                            "poison_record",
                            "the record failed the job " + failures + " times and was skipped",
                            Outputs.recordText(in)));
            replyFailed(in, side);
            PoisonRecords.forget(position);
            return;
        }
        try {
            process(in, ctx, timers, out, side);
        } catch (StateAccessException | ExceptionInChainedOperatorException e) {
            // The state backend or a chained sink failed: not the record's fault, so neither a
            // dead letter nor a strike against it; the task fails and restarts from a checkpoint.
            user.rollback();
            throw e;
        } catch (RuntimeException | StackOverflowError e) {
            // The record changed nothing (see process): the user's state is as it was.
            user.rollback();
            LOG.warn("record {} could not be evaluated; dead-lettered", position, e);
            side.accept(
                    outputs.deadLetter(
                            in,
                            "evaluation_failed",
                            "the job could not evaluate this record: " + e,
                            Outputs.recordText(in)));
            replyFailed(in, side);
        } catch (Exception | Error e) {
            user.rollback();
            PoisonRecords.failed(position);
            throw e;
        }
    }

    private void replyFailed(Inbound in, Consumer<KafkaMessage> side) {
        if (in.requestId != null) {
            side.accept(
                    outputs.errorReply(
                            in,
                            ReplyRecord.PROCESSING_FAILED,
                            "the events could not be processed; they were sent to the dead-letter"
                                    + " topic"));
        }
    }

    private void process(
            Inbound in,
            ReadOnlyContext ctx,
            TimerService timers,
            Collector<KafkaMessage> out,
            Consumer<KafkaMessage> side)
            throws Exception {
        if (!in.valid()) {
            side.accept(outputs.deadLetter(in, in.reason, in.detail, in.rawValue));
            if (in.requestId != null) {
                side.accept(
                        outputs.errorReply(
                                in, ReplyRecord.INVALID_REQUEST, String.valueOf(in.detail)));
            }
            return;
        }
        if (EventEnvelope.ERASE.equals(in.op)) {
            erase(in, ctx, out, side);
            return;
        }
        List<String> first = in.idempotencyKey == null ? null : user.answered(in.idempotencyKey);
        if (first != null) {
            // A retry of a request already answered: its events were applied then.
            side.accept(reply(in, first, true));
            return;
        }
        if (in.requestId != null && !definitions.isReady()) {
            // A 503 tells the client to retry (and proxies retry it for them): so nothing may be
            // applied, keyed or not, or the retry applies the events a second time; with a key,
            // there is no answer to remember yet either (docs/segmentation.md, "Retries").
            side.accept(
                    outputs.errorReply(
                            in,
                            ReplyRecord.DEFINITIONS_LOADING,
                            "the job is still reading the segment definitions; nothing was"
                                    + " applied: retry shortly"));
            return;
        }
        List<Event> events = new ArrayList<>();
        long wall = timers.currentProcessingTime();
        for (Event e : EventsCodec.decode(in.events)) {
            if (!settings.counts(e)) {
                continue; // counted by the backfill this job was bootstrapped from, or out of range
            }
            if (engine.tooFarInFuture(e, wall)) {
                side.accept(outputs.futureEvent(in, e, settings.maxFutureSkewMillis()));
            } else {
                events.add(e);
            }
        }
        // The record's changes to the user's state happen together or not at all (UserStore), and
        // what the record emits is sent after they are stored, so a record that fails halfway (a
        // dead letter) changed nothing.
        user.begin();
        UserProfile stored = user.profile();
        UserProfile profile = stored == null ? new UserProfile() : stored;
        SegmentCatalog catalog = definitions.evaluating(in.workspace);
        SegmentEngine.Outcome outcome =
                engine.onEvents(profile, user.historyOf(profile), catalog, events);
        metrics.events(events.size());
        List<MembershipChange> changes = new ArrayList<>(outcome.changes());
        if (definitions.isReady() && !settings.backfill()) {
            changes.addAll(
                    lapses.apply(profile, catalog, Long.MIN_VALUE, timers.currentWatermark()));
        }
        KafkaMessage reply = null;
        List<String> cohorts = null;
        // A request reaches here only with the definitions read (see above).
        if (in.requestId != null && in.op != null) {
            reply = requests.answer(in, stored != null, profile, user.historyOf(profile), catalog);
        } else if (in.requestId != null) {
            cohorts = engine.cohorts(profile, catalog);
            reply = reply(in, cohorts, false);
        }
        wakeUps.register(profile, in.workspace, timers);
        if (settings.backfill()) {
            // Batch mode fires a key's timers once its records are done: this one takes the
            // user's snapshot after every lapse up to the end has been applied.
            timers.registerEventTimeTimer(settings.asOf());
        }
        user.commit(profile);
        if (cohorts != null && in.idempotencyKey != null) {
            user.answer(in.idempotencyKey, cohorts);
        }
        for (SegmentEngine.Ignored ig : outcome.ignored()) {
            side.accept(outputs.ignoredEvent(in, ig.reason(), events.get(ig.index())));
        }
        emit(in.workspace, in.userId, changes, out::collect);
        if (reply != null) {
            side.accept(reply);
        }
    }

    /**
     * Erases the user: every membership they hold ends ({@code exited} records, audience counts
     * down), then their profile, history, answered requests and pending lapse timer go, and the
     * reply says so. A replay of the record after a restore from an earlier checkpoint erases
     * again.
     *
     * <p>Also while the definitions are loading, at once: erasing evaluates nothing, and the
     * memberships are named by the workspace's catalog ready or not, whose numbering is restored
     * with the state (or taken from the backfill that bootstrapped the job), so it names every
     * membership a stored profile holds, as it will once the definitions are read. Refusing the
     * record then lost the erasure for good when it was a replay after a restore (no client retries
     * it), and the user came back.
     */
    private void erase(
            Inbound in,
            ReadOnlyContext ctx,
            Collector<KafkaMessage> out,
            Consumer<KafkaMessage> side)
            throws Exception {
        UserProfile stored;
        try {
            stored = user.peek();
        } catch (CorruptStateException e) {
            // The bytes are kept for whoever repairs them (UserStore), but not past an erasure,
            // whose point is that they go: what they held cannot be named, so no exits.
            LOG.warn("erasing {}, whose stored state could not be read", in.getKey(), e);
            user.forgetUnreadable();
            side.accept(
                    outputs.userDeadLetter(
                            in.getKey(),
                            "evaluation_failed",
                            "erased a user whose stored state could not be read: the exits of"
                                    + " their memberships could not be written ("
                                    + e.getMessage()
                                    + ")"));
            side.accept(requests.erased(in, true, Map.of(), List.of()));
            return;
        }
        UserProfile profile = stored == null ? new UserProfile() : stored;
        Map<String, Membership> held = profile.memberships(definitions.catalog(in.workspace));
        List<MembershipChange> exits =
                UserRequests.exits(profile, held, ctx.timerService().currentWatermark());
        KafkaMessage reply = requests.erased(in, stored != null, held, exits);
        user.forget(profile, ctx.timerService());
        emit(in.workspace, in.userId, exits, out::collect);
        side.accept(reply);
    }

    /** See {@link WakeUps#onTimer}. */
    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<KafkaMessage> out)
            throws Exception {
        boolean ready =
                definitions.ready(
                        ctx.getBroadcastState(Descriptors.DEFINITIONS),
                        ctx.getBroadcastState(Descriptors.PROGRESS));
        if (ties != null && lastInstant(timestamp, ready, ctx, out)) {
            return;
        }
        wakeUps.onTimer(timestamp, ready, ctx, out);
    }

    /**
     * A backfill's user's first timer, after all of their records (batch mode): evaluates the
     * records of their last instant, held until now (BackfillTies), and then the timers those
     * records would have registered, which batch mode ignores at this point: when they brought the
     * user's next lapse before this timer's instant (their one wake-up, which supersedes the lapse
     * timer firing, if this is one), that lapse is applied first, at its own instant. Returns
     * whether this timer was so superseded, and is done.
     */
    private boolean lastInstant(
            long timestamp, boolean ready, OnTimerContext ctx, Collector<KafkaMessage> out)
            throws Exception {
        List<Inbound> last = ties.release();
        if (last.isEmpty()) {
            return false;
        }
        TimerService asWhileReading = BackfillTies.asWhileReading(ctx.timerService());
        for (Inbound in : last) {
            isolated(in, ctx, asWhileReading, out);
        }
        long next;
        try {
            UserProfile p = user.peek();
            next = p == null ? Long.MAX_VALUE : p.scheduledWakeUp();
        } catch (CorruptStateException e) {
            next = Long.MAX_VALUE; // the timer below reports it
        }
        if (next >= timestamp) {
            return false;
        }
        wakeUps.onTimer(next, ready, ctx, out);
        // The end-of-input timer stays; a lapse timer was deleted by the records' registration.
        return timestamp != settings.asOf();
    }

    // ---- definitions ---------------------------------------------------------------------

    @Override
    public void processBroadcastElement(
            DefinitionUpdate u, Context ctx, Collector<KafkaMessage> out) throws Exception {
        String deleted =
                definitions.apply(
                        u,
                        ctx.getBroadcastState(Descriptors.DEFINITIONS),
                        ctx.getBroadcastState(Descriptors.PROGRESS),
                        getRuntimeContext().getTaskInfo().getIndexOfThisSubtask(),
                        getRuntimeContext().getTaskInfo().getNumberOfParallelSubtasks(),
                        m -> ctx.output(Descriptors.SIDE, m));
        if (deleted != null) {
            audiences.removed(Keys.workspace(deleted), Keys.id(deleted));
        }
    }

    /**
     * Whether a draft holds for the current user at {@code at} (see {@link SegmentEngine#holdsAt}):
     * reads their state and changes none. For estimates ({@link DraftEstimates}).
     */
    boolean holdsDraft(CompiledSegment draft, long at) {
        UserProfile p = user.peek();
        return p != null && engine.holdsAt(p, user.historyOf(p), draft, at);
    }

    /** The subtask's metrics, for the operator's own (the sweep, the watermark). */
    JobMetrics metrics() {
        return metrics;
    }

    /** The records this function writes, for the operator's own (estimates, heartbeats). */
    Outputs outputs() {
        return outputs;
    }

    /** The subtask's definitions: readiness, catalogs, sweeps wanted and their reports. */
    LiveDefinitions definitions() {
        return definitions;
    }

    /** The settings, for the operator's own (heartbeats, the order of its users). */
    SegmentationSettings settings() {
        return settings;
    }

    /** What happens to users without an event of theirs: timers and the sweep's visits. */
    WakeUps wakeUps() {
        return wakeUps;
    }

    // ---- outputs -----------------------------------------------------------------------------

    private void emit(
            String workspace,
            String userId,
            List<MembershipChange> changes,
            Consumer<KafkaMessage> out) {
        outputs.memberships(workspace, userId, changes, out);
        audiences.add(workspace, changes);
    }

    private KafkaMessage reply(Inbound in, List<String> cohorts, boolean replayed) {
        return outputs.reply(
                in,
                cohorts,
                in.activations ? definitions.activations(in.workspace, cohorts) : null,
                replayed);
    }
}
