package io.cohortflow.job;

import io.cohortflow.core.contract.EstimatePart;
import io.cohortflow.core.contract.EstimateRequest;
import io.cohortflow.core.contract.Json;
import io.cohortflow.core.contract.Keys;
import io.cohortflow.core.contract.ReplyRecord;
import io.cohortflow.core.estimate.Drafts;
import io.cohortflow.core.estimate.Reservoir;
import io.cohortflow.core.eval.CompiledSegment;
import io.cohortflow.core.eval.SegmentCatalog;
import io.cohortflow.job.model.DefinitionUpdate;
import io.cohortflow.job.model.KafkaMessage;
import io.cohortflow.job.state.StateAccessException;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One subtask's side of draft estimates ({@link EstimateRequest}): every subtask gets each request
 * on the broadcast side, samples its own users of the workspace uniformly, evaluates the draft over
 * their state without changing it, and answers with its part ({@link EstimatePart}); the requester
 * combines the parts.
 *
 * <p>An estimate runs in two passes, in slices between records run from processing-time callbacks,
 * as the {@link DefinitionsSweep}'s are: the subtask's keys are scanned once, counting the
 * workspace's users and keeping a reservoir sample of them; then each sampled user's profile and
 * history are read and the draft evaluated by core at the watermark (or the user's own now, when
 * later: see {@link io.cohortflow.core.eval.SegmentEngine#holdsAt}). While records keep arriving
 * each slice is followed by a pause as long ({@link #PAUSE_MILLIS}): the stream keeps half of the
 * task's time. Estimates run one at a time, oldest first; they are not checkpointed (a restarted
 * job re-reads a request whose deadline has not passed, else the requester has stopped waiting).
 */
final class DraftEstimates {
    private static final Logger LOG = LoggerFactory.getLogger(DraftEstimates.class);

    /** Requests a subtask holds at once; one more is answered busy. */
    static final int MAX_QUEUED = 4;

    /** The pause after a slice while records arrive: the stream keeps half of the time. */
    static final long PAUSE_MILLIS = 5;

    /** What estimates need of the operator they run in, besides its clock. */
    interface Host extends TaskClock {
        /** This subtask's users' keys, in the state backend's order; the caller closes it. */
        Stream<String> users();

        /** Makes {@code key} the current key, for reading that user's state. */
        void select(String key);

        /** The operator's event-time watermark. */
        long watermark();

        /** Whether the definitions are read far enough for users to be evaluated. */
        boolean ready() throws Exception;

        /** Writes to the at-least-once outputs (the answers, dead letters). */
        void side(KafkaMessage m);
    }

    /** One request in progress. */
    private static final class Run {
        final EstimateRequest request;
        final Reservoir<String> reservoir;
        @Nullable CompiledSegment draft;
        @Nullable Stream<String> keyStream;
        @Nullable Iterator<String> keys;
        @Nullable List<String> sample;
        int next;
        long matched;
        long at;

        Run(EstimateRequest request, int share) {
            this.request = request;
            this.reservoir = new Reservoir<>(share, request.seed());
        }

        void closeKeys() {
            if (keyStream != null) {
                keyStream.close();
            }
            keyStream = null;
            keys = null;
        }
    }

    private final Host host;
    private final SegmentationFunction function;
    private final Outputs outputs;
    private final int subtask;
    private final int subtasks;
    private final long sliceNanos;
    private final ArrayDeque<Run> queue = new ArrayDeque<>();

    private boolean scheduled;
    private long recordsSinceSlice;

    /** With slices of {@code sliceNanos} (each works on at least one user). */
    DraftEstimates(
            Host host,
            SegmentationFunction function,
            Outputs outputs,
            int subtask,
            int subtasks,
            long sliceNanos) {
        this.host = host;
        this.function = function;
        this.outputs = outputs;
        this.subtask = subtask;
        this.subtasks = subtasks;
        this.sliceNanos = sliceNanos;
    }

    /** A record arrived: the stream is busy, and the next slice is followed by its pause. */
    void recordArrived() {
        recordsSinceSlice++;
    }

    /** Takes a request off the broadcast side ({@link #enqueue}); a slice follows at once. */
    void submit(DefinitionUpdate u) {
        enqueue(u, host.now());
        schedule(0);
    }

    /**
     * Queues a request, or answers it at once (busy), or drops it when no one waits for it any
     * more; an unreadable one goes to the dead-letter topic.
     */
    private void enqueue(DefinitionUpdate u, long now) {
        EstimateRequest r;
        try {
            r = Json.read(u.value, EstimateRequest.class);
            if (r.requestId() == null || r.workspace() == null || r.definition() == null) {
                throw new IOException("an estimate needs request_id, workspace and definition");
            }
        } catch (IOException e) {
            outputs.definitionDeadLetter(u, "invalid_request", e.getMessage(), subtask, host::side);
            return;
        }
        if (r.deadline() < now) {
            LOG.debug("estimate {} read after its deadline; skipped", r.requestId());
            return;
        }
        if (queue.size() >= MAX_QUEUED) {
            host.side(error(r, EstimatePart.BUSY, "estimates are running; retry shortly"));
            return;
        }
        int sample = Math.max(1, Math.min(r.sample(), EstimateRequest.MAX_SAMPLE));
        // Each subtask samples its share; together they sample about what was asked.
        queue.add(new Run(r, Math.max(1, (sample + subtasks - 1) / subtasks)));
    }

    private void schedule(long delayMillis) {
        if (scheduled) {
            return;
        }
        scheduled = true;
        host.at(host.now() + delayMillis, this::slice);
    }

    /** One slice of the running estimates, and the next one's if any is left. */
    private void slice(long now) throws Exception {
        scheduled = false;
        boolean busy = recordsSinceSlice > 0;
        recordsSinceSlice = 0;
        boolean ready = host.ready();
        work(System.nanoTime() + sliceNanos, ready, now);
        if (!queue.isEmpty()) {
            schedule(busy ? PAUSE_MILLIS : 0);
        }
    }

    /**
     * Works on the oldest estimate until {@code deadlineNanos} (System.nanoTime) and on the next
     * ones while time is left, answering each as it completes.
     *
     * @param ready whether the definitions are read far enough for users to be evaluated
     */
    private void work(long deadlineNanos, boolean ready, long now) throws Exception {
        while (!queue.isEmpty() && System.nanoTime() < deadlineNanos) {
            Run run = queue.peek();
            EstimateRequest r = run.request;
            if (r.deadline() < now) {
                LOG.info("estimate {} passed its deadline unanswered; dropped", r.requestId());
                finish(run);
                continue;
            }
            if (!ready) {
                host.side(
                        error(
                                r,
                                ReplyRecord.DEFINITIONS_LOADING,
                                "the job is still reading the segment definitions; retry shortly"));
                finish(run);
                continue;
            }
            if (run.draft == null) {
                SegmentCatalog catalog = function.definitions().catalog(r.workspace());
                try {
                    run.draft = Drafts.compile(catalog, r.definition());
                } catch (IllegalArgumentException e) {
                    host.side(error(r, ReplyRecord.INVALID_REQUEST, e.getMessage()));
                    finish(run);
                    continue;
                }
            }
            if (run.sample == null && !scan(run, deadlineNanos)) {
                return; // more keys in the next slice
            }
            try {
                if (!evaluate(run, deadlineNanos)) {
                    return;
                }
            } catch (StateAccessException e) {
                throw e; // the state backend failed: not the request's fault
            } catch (RuntimeException | StackOverflowError e) {
                LOG.warn("estimate {} failed", r.requestId(), e);
                host.side(
                        error(
                                r,
                                ReplyRecord.PROCESSING_FAILED,
                                "the draft could not be evaluated: " + e));
                finish(run);
                continue;
            }
            host.side(
                    outputs.estimatePart(
                            new EstimatePart(
                                    r.requestId(),
                                    subtask,
                                    subtasks,
                                    run.reservoir.seen(),
                                    run.sample.size(),
                                    run.matched,
                                    run.at == Long.MIN_VALUE
                                            ? null
                                            : Instant.ofEpochMilli(run.at).toString(),
                                    null)));
            finish(run);
        }
    }

    /** Counts and samples the workspace's users; true when every key has been read. */
    private boolean scan(Run run, long deadlineNanos) {
        if (run.keys == null) {
            run.keyStream = host.users();
            run.keys = run.keyStream.iterator();
        }
        String workspace = run.request.workspace();
        Iterator<String> keys = run.keys;
        int read = 0;
        while (keys.hasNext()) {
            String key = keys.next();
            if (Keys.workspace(key).equals(workspace)) {
                run.reservoir.offer(key);
            }
            // The clock is read every 256 keys: a key costs well under a microsecond.
            if ((++read & 255) == 0 && System.nanoTime() >= deadlineNanos) {
                return !keys.hasNext() && done(run);
            }
        }
        return done(run);
    }

    private boolean done(Run run) {
        run.closeKeys();
        run.sample = run.reservoir.sample();
        // One instant for every sampled user: the watermark when the scan ended.
        run.at = host.watermark();
        return true;
    }

    /** Evaluates the draft for sampled users; true when all are done. */
    private boolean evaluate(Run run, long deadlineNanos) throws Exception {
        List<String> sample = run.sample;
        while (run.next < sample.size()) {
            String key = sample.get(run.next++);
            host.select(key);
            if (function.holdsDraft(run.draft, run.at)) {
                run.matched++;
            }
            if (System.nanoTime() >= deadlineNanos) {
                return run.next == sample.size();
            }
        }
        return true;
    }

    private void finish(Run run) {
        run.closeKeys();
        queue.remove(run);
    }

    private KafkaMessage error(EstimateRequest r, String code, String message) {
        return outputs.estimatePart(
                new EstimatePart(
                        r.requestId(),
                        subtask,
                        subtasks,
                        0,
                        0,
                        0,
                        null,
                        new ReplyRecord.Error(code, message)));
    }

    void close() {
        queue.forEach(Run::closeKeys);
        queue.clear();
    }
}
