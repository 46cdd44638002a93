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
import java.util.function.Consumer;
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
 * <p>An estimate runs in two passes, in the operator's slices between records (see {@link
 * SegmentationOperator}): the subtask's keys are scanned once, counting the workspace's users and
 * keeping a reservoir sample of them; then each sampled user's profile and history are read and the
 * draft evaluated by core at the watermark (or the user's own now, when later: see {@link
 * io.cohortflow.core.eval.SegmentEngine#holdsAt}). Estimates run one at a time, oldest first; they
 * are not checkpointed (a restarted job re-reads a request whose deadline has not passed, else the
 * requester has stopped waiting).
 */
final class DraftEstimates {
    private static final Logger LOG = LoggerFactory.getLogger(DraftEstimates.class);

    /** Requests a subtask holds at once; one more is answered busy. */
    static final int MAX_QUEUED = 4;

    /** What the operator lends an estimate: its users and its clock. */
    interface Users {
        /** This subtask's users' keys, in the state backend's order; the caller closes it. */
        Stream<String> keys();

        /** Makes {@code key} the current key, for reading that user's state. */
        void select(String key);

        /** The operator's event-time watermark. */
        long watermark();
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

    private final SegmentationFunction function;
    private final Outputs outputs;
    private final int subtask;
    private final int subtasks;
    private final ArrayDeque<Run> queue = new ArrayDeque<>();

    DraftEstimates(SegmentationFunction function, Outputs outputs, int subtask, int subtasks) {
        this.function = function;
        this.outputs = outputs;
        this.subtask = subtask;
        this.subtasks = subtasks;
    }

    /** Whether an estimate waits or runs. */
    boolean pending() {
        return !queue.isEmpty();
    }

    /**
     * Takes a request off the broadcast side: queued, or answered at once (busy), or dropped when
     * no one waits for it any more; an unreadable one goes to the dead-letter topic.
     */
    void submit(DefinitionUpdate u, long now, Consumer<KafkaMessage> side) {
        EstimateRequest r;
        try {
            r = Json.read(u.value, EstimateRequest.class);
            if (r.requestId() == null || r.workspace() == null || r.definition() == null) {
                throw new IOException("an estimate needs request_id, workspace and definition");
            }
        } catch (IOException e) {
            side.accept(outputs.definitionDeadLetter(u, "invalid_request", e.getMessage()));
            return;
        }
        if (r.deadline() < now) {
            LOG.debug("estimate {} read after its deadline; skipped", r.requestId());
            return;
        }
        if (queue.size() >= MAX_QUEUED) {
            side.accept(error(r, EstimatePart.BUSY, "estimates are running; retry shortly"));
            return;
        }
        int sample = Math.max(1, Math.min(r.sample(), EstimateRequest.MAX_SAMPLE));
        // Each subtask samples its share; together they sample about what was asked.
        queue.add(new Run(r, Math.max(1, (sample + subtasks - 1) / subtasks)));
    }

    /**
     * Works on the oldest estimate until {@code deadlineNanos} (System.nanoTime) and on the next
     * ones while time is left, answering each as it completes.
     *
     * @param ready whether the definitions are read far enough for users to be evaluated
     */
    void work(long deadlineNanos, boolean ready, long now, Users users, Consumer<KafkaMessage> side)
            throws Exception {
        while (!queue.isEmpty() && System.nanoTime() < deadlineNanos) {
            Run run = queue.peek();
            EstimateRequest r = run.request;
            if (r.deadline() < now) {
                LOG.info("estimate {} passed its deadline unanswered; dropped", r.requestId());
                finish(run);
                continue;
            }
            if (!ready) {
                side.accept(
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
                    side.accept(error(r, ReplyRecord.INVALID_REQUEST, e.getMessage()));
                    finish(run);
                    continue;
                }
            }
            if (run.sample == null && !scan(run, users, deadlineNanos)) {
                return; // more keys in the next slice
            }
            try {
                if (!evaluate(run, users, deadlineNanos)) {
                    return;
                }
            } catch (StateAccessException e) {
                throw e; // the state backend failed: not the request's fault
            } catch (RuntimeException | StackOverflowError e) {
                LOG.warn("estimate {} failed", r.requestId(), e);
                side.accept(
                        error(
                                r,
                                ReplyRecord.PROCESSING_FAILED,
                                "the draft could not be evaluated: " + e));
                finish(run);
                continue;
            }
            side.accept(
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
    private boolean scan(Run run, Users users, long deadlineNanos) {
        if (run.keys == null) {
            run.keyStream = users.keys();
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
                return !keys.hasNext() && done(run, users);
            }
        }
        return done(run, users);
    }

    private static boolean done(Run run, Users users) {
        run.closeKeys();
        run.sample = run.reservoir.sample();
        // One instant for every sampled user: the watermark when the scan ended.
        run.at = users.watermark();
        return true;
    }

    /** Evaluates the draft for sampled users; true when all are done. */
    private boolean evaluate(Run run, Users users, long deadlineNanos) throws Exception {
        List<String> sample = run.sample;
        while (run.next < sample.size()) {
            String key = sample.get(run.next++);
            users.select(key);
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
