package io.cohortflow.job;

import io.cohortflow.core.contract.EventEnvelope;
import io.cohortflow.core.contract.Keys;
import io.cohortflow.core.eval.CompiledSegment;
import io.cohortflow.core.eval.MembershipChange;
import io.cohortflow.core.eval.SegmentCatalog;
import io.cohortflow.core.eval.SegmentEngine;
import io.cohortflow.core.eval.UserProfile;
import io.cohortflow.core.event.Event;
import io.cohortflow.job.model.DefinitionUpdate;
import io.cohortflow.job.model.Inbound;
import io.cohortflow.job.model.KafkaMessage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.flink.api.common.accumulators.ListAccumulator;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.TimerService;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.util.Collector;
import org.jspecify.annotations.Nullable;

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
 *
 * <p>This class is the operator's thin side: it loads the user's state, calls the engine, stores
 * and emits. The rest is in classes of its own, so that each rule is written once: which records
 * and events reach the engine ({@link RecordChecks}), what becomes of a record that fails ({@link
 * RecordFailures}), erasing a user ({@link Erasures}), a backfill's records at one instant ({@link
 * BackfillTies}), the state ({@link UserStore}), the records written ({@link Outputs}) and the
 * settings ({@link SegmentationSettings}).
 */
public class SegmentationFunction
        extends KeyedBroadcastProcessFunction<String, Inbound, DefinitionUpdate, KafkaMessage> {
    private static final long serialVersionUID = 1L;

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
    private transient Erasures erasures;
    private transient RecordFailures failures;
    private transient RecordChecks checks;

    /** A backfill's records held until their instant ends; null in the streaming job. */
    private transient @Nullable BackfillTies ties;

    public SegmentationFunction(SegmentationSettings settings) {
        this.settings = settings;
    }

    @Override
    public void open(OpenContext openContext) {
        engine = new SegmentEngine(settings.engine());
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
            ties = new BackfillTies(getRuntimeContext(), user, settings.asOf());
        }
        audiences = new AudienceDeltas(definitions::deleted);
        requests = new UserRequests(engine, outputs);
        wakeUps = new WakeUps(settings, engine, user, lapses, definitions, outputs, this::emit);
        erasures = new Erasures(user, definitions, requests, outputs, this::emit);
        failures =
                new RecordFailures(
                        getRuntimeContext().getJobInfo().getJobId().toString(),
                        settings.poisonAttempts(),
                        user,
                        outputs);
        checks = new RecordChecks(settings, engine, definitions, outputs);
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
     * One record, isolated ({@link RecordFailures}): whatever the record makes the engine throw
     * goes to the dead-letter topic (and a waiting request gets an error reply) and the job goes
     * on, so no client input can fail the task.
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
        failures.isolate(in, side, () -> process(in, ctx, timers, out, side));
    }

    /**
     * One record: checked ({@link RecordChecks}), an erasure ({@link Erasures}), a retry answered
     * again, or its events evaluated with the user's state loaded, stored and what changed emitted.
     */
    private void process(
            Inbound in,
            ReadOnlyContext ctx,
            TimerService timers,
            Collector<KafkaMessage> out,
            Consumer<KafkaMessage> side)
            throws Exception {
        if (checks.unreadable(in, side)) {
            return;
        }
        if (EventEnvelope.ERASE.equals(in.op)) {
            erasures.erase(in, ctx.timerService(), out::collect, side);
            return;
        }
        List<String> first = in.idempotencyKey == null ? null : user.answered(in.idempotencyKey);
        if (first != null) {
            // A retry of a request already answered: its events were applied then.
            side.accept(reply(in, first, true));
            return;
        }
        if (checks.tooEarly(in, side)) {
            return;
        }
        List<Event> events = checks.events(in, timers.currentProcessingTime(), side);
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
        // A request reaches here only with the definitions read (RecordChecks#tooEarly).
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

    /** See {@link WakeUps#onTimer}. */
    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<KafkaMessage> out)
            throws Exception {
        boolean ready =
                definitions.ready(
                        ctx.getBroadcastState(Descriptors.DEFINITIONS),
                        ctx.getBroadcastState(Descriptors.PROGRESS));
        // A backfill's first timer of a user evaluates their last instant's records first, and
        // may find a lapse of theirs due before it (BackfillTies).
        if (ties != null
                && ties.lastInstant(
                        timestamp,
                        ctx.timerService(),
                        (in, timers) -> isolated(in, ctx, timers, out),
                        next -> wakeUps.onTimer(next, ready, ctx, out))) {
            return;
        }
        wakeUps.onTimer(timestamp, ready, ctx, out);
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
