package io.cohortflow.service.segmentation;

import io.cohortflow.core.contract.EstimatePart;
import io.cohortflow.core.contract.Heartbeat;
import io.cohortflow.core.contract.Json;
import io.cohortflow.core.contract.ReplyRecord;
import io.cohortflow.core.eval.EngineConfig;
import io.cohortflow.service.segmentation.JobClient.EventTimeLimits;
import io.cohortflow.service.segmentation.JobClient.NoReply;
import io.cohortflow.service.segmentation.JobClient.Parts;
import io.cohortflow.service.segmentation.JobClient.UnreadableReply;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the job sends back, each record to its place: a reply to the request of this replica waiting
 * for it, an estimate's part to its estimate, a heartbeat's limits kept for {@link
 * JobClient#eventTimeLimits}. It also knows when anything last arrived, for {@link JobClient} to
 * tell a job that is not running from one that is slow.
 */
final class ReplyRouter {
    // Under the client's name: these are its records, and log settings select them by it.
    private static final Logger LOG = LoggerFactory.getLogger(JobClient.class);

    private final Map<String, CompletableFuture<ReplyRecord>> pending = new ConcurrentHashMap<>();

    /** Estimates waiting for their parts, by request id. */
    private final Map<String, Parts> estimates = new ConcurrentHashMap<>();

    /**
     * Completes requests off the reader thread: whatever is chained on a request (building its
     * response) runs where its future completes, and one slow response must not hold back every
     * other reply behind it. The response is written elsewhere, on a server thread ({@code
     * App.async}): a client that does not read its answer must not hold one of these two.
     */
    private final java.util.concurrent.ExecutorService answers =
            java.util.concurrent.Executors.newFixedThreadPool(
                    2,
                    r -> {
                        Thread t = new Thread(r, "segmentation-answers");
                        t.setDaemon(true);
                        return t;
                    });

    /**
     * The limits on event times the running job announced in its latest heartbeat, or null before
     * one carrying them arrived: requests are checked against the job's own limits.
     */
    private volatile @Nullable EventTimeLimits announced;

    /** The service's own settings, until a heartbeat announces the job's. */
    private final EventTimeLimits configured;

    private final AtomicLong lastRecordNanos =
            new AtomicLong(System.nanoTime() - 3_600_000_000_000L);
    private final AtomicLong heardDirect = new AtomicLong();

    ReplyRouter(EventTimeLimits configured) {
        this.configured = configured;
    }

    /** A record of the replies topic: a heartbeat, an estimate's part or a reply. */
    void read(@Nullable String key, byte[] value) {
        lastRecordNanos.set(System.nanoTime());
        if (key == null) {
            return;
        }
        if (Heartbeat.isKey(key)) {
            noteLimits(value);
            return;
        }
        if (key.startsWith(EstimatePart.KEY_PREFIX)) {
            Parts parts = estimates.get(key.substring(EstimatePart.KEY_PREFIX.length()));
            if (parts != null) {
                try {
                    parts.add(Json.read(value, EstimatePart.class));
                } catch (java.io.IOException | RuntimeException e) {
                    LOG.warn("unreadable estimate part {}", key, e);
                }
            }
            return;
        }
        answer(key, value);
    }

    /** A reply heard straight from the job ({@link ReplyListener}). */
    void readDirect(String key, byte[] value) {
        heardDirect.incrementAndGet();
        lastRecordNanos.set(System.nanoTime());
        answer(key, value);
    }

    /**
     * Completes the request waiting for this reply, if this replica has one. The only thing a
     * direct reply can do: heartbeats and estimates come through the topic alone.
     */
    private void answer(String key, byte[] value) {
        CompletableFuture<ReplyRecord> f = pending.remove(key);
        if (f == null) {
            return; // another replica's, or one that already timed out
        }
        answers.execute(
                () -> {
                    try {
                        f.complete(Json.read(value, ReplyRecord.class));
                    } catch (Exception e) {
                        f.completeExceptionally(
                                new UnreadableReply(
                                        "the job's reply to request " + key + " could not be read",
                                        e));
                    }
                });
    }

    private void noteLimits(byte[] value) {
        try {
            Heartbeat h = Json.read(value, Heartbeat.class);
            if (h.maxFutureSkewMillis() != null && h.horizonMillis() != null) {
                announced =
                        new EventTimeLimits(
                                Duration.ofMillis(h.maxFutureSkewMillis()),
                                Duration.ofMillis(h.horizonMillis()),
                                h.historyCap() != null
                                        ? h.historyCap()
                                        : EngineConfig.DEFAULT.historyCap());
            }
        } catch (java.io.IOException | RuntimeException e) {
            LOG.debug("unreadable heartbeat on the replies topic", e);
        }
    }

    /** See {@link JobClient#eventTimeLimits}. */
    EventTimeLimits eventTimeLimits() {
        EventTimeLimits a = announced;
        return a != null ? a : configured;
    }

    /** Has {@code reply} complete with the reply to request {@code id} when it arrives. */
    void expect(String id, CompletableFuture<ReplyRecord> reply) {
        pending.put(id, reply);
    }

    /** Stops waiting for the reply to request {@code id} (failed, timed out). */
    void forget(String id) {
        pending.remove(id);
    }

    /** Has the parts of estimate {@code id} go to {@code parts} as they arrive. */
    void expectEstimate(String id, Parts parts) {
        estimates.put(id, parts);
    }

    /** Stops waiting for the parts of estimate {@code id}, however it ended. */
    void forgetEstimate(String id) {
        estimates.remove(id);
    }

    /** {@code f}, with what is chained on it run off the reader thread, as replies are. */
    <T> CompletableFuture<T> offReader(CompletableFuture<T> f) {
        return f.thenApplyAsync(p -> p, answers);
    }

    /** True when nothing arrived, on the topic or directly, since {@code startNanos}. */
    boolean silentSince(long startNanos) {
        return lastRecordNanos.get() < startNanos;
    }

    /** See {@link JobClient#repliesHeardDirect}. */
    long heardDirect() {
        return heardDirect.get();
    }

    /** Requests and estimates waiting for the job's answer. */
    int waiting() {
        return pending.size() + estimates.size();
    }

    /** Stops completing replies, and fails every request and estimate still waiting. */
    void close() {
        answers.shutdown();
        pending.values()
                .forEach(f -> f.completeExceptionally(new NoReply("shutting down", true, null)));
        estimates
                .values()
                .forEach(
                        p ->
                                p.done.completeExceptionally(
                                        new NoReply("shutting down", true, null)));
    }
}
