package io.cohortflow.service.segmentation;

import io.cohortflow.core.contract.DeadLetterRecord;
import io.cohortflow.core.contract.EstimatePart;
import io.cohortflow.core.contract.EstimateRequest;
import io.cohortflow.core.contract.EventEnvelope;
import io.cohortflow.core.contract.Heartbeat;
import io.cohortflow.core.contract.Json;
import io.cohortflow.core.contract.ReplyRecord;
import io.cohortflow.core.eval.EngineConfig;
import io.cohortflow.service.Failures;
import io.cohortflow.service.ServiceException;
import io.cohortflow.service.kafka.Follower;
import io.cohortflow.service.segments.SegmentLimits;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Request/reply with the job over Kafka (docs/architecture.md): an envelope with a request id goes
 * to the events topic keyed by workspace + user, and the job's {@link ReplyRecord} comes back on
 * the replies topic keyed by that id. One consumer thread follows every replies partition from the
 * end (no consumer group: each replica sees every reply and keeps those it waits for) and completes
 * the waiting future; no Jetty thread ever waits on Kafka. With direct replies on (the default),
 * each envelope also names this replica's {@link ReplyListener}, and the job answers there: the
 * topic then carries only heartbeats, estimates and the answers the job could not deliver.
 */
public final class JobClient implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(JobClient.class);

    /** Why a request got no answer. */
    public static final class NoReply extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final boolean jobSilent;

        NoReply(String message, boolean jobSilent, Throwable cause) {
            super(message, cause);
            this.jobSilent = jobSilent;
        }

        /**
         * True when nothing arrived on the replies topic while this request waited, neither a reply
         * nor one of the heartbeats each subtask of a running job writes every second: the job is
         * not running.
         */
        public boolean jobSilent() {
            return jobSilent;
        }
    }

    /**
     * The job answered, but its reply could not be read (a job and a service that disagree on the
     * reply's shape): neither "not running" nor "not in time", since the events were applied; the
     * caller's 500, so that a client does not retry them without an idempotency key.
     */
    public static final class UnreadableReply extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UnreadableReply(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** An estimate's parts as they arrive: complete with one per subtask, or at the first error. */
    static final class Parts {
        final CompletableFuture<List<EstimatePart>> done = new CompletableFuture<>();
        private final Map<Integer, EstimatePart> bySubtask = new java.util.TreeMap<>();

        synchronized void add(EstimatePart part) {
            // A job restarted at another parallelism answers the request again with other
            // strata: parts of two parallelisms describe no one population, so the older go.
            bySubtask.values().removeIf(p -> p.subtasks() != part.subtasks());
            bySubtask.put(part.subtask(), part);
            if (part.error() != null || bySubtask.size() >= part.subtasks()) {
                done.complete(List.copyOf(bySubtask.values()));
            }
        }
    }

    /**
     * How far ahead of the clock, and behind it, an event time may be, and how many events the job
     * keeps per user: the job's engine settings.
     */
    public record EventTimeLimits(Duration maxFutureSkew, Duration horizon, int historyCap) {

        /** The engine settings of the job, for evaluating drafts as it would (a preview). */
        public EngineConfig engine() {
            return new EngineConfig(horizon, historyCap, maxFutureSkew);
        }
    }

    private final String bootstrap;
    private final String host;
    private final SegmentationConfig config;
    private final ReplyRouter router;
    private KafkaProducer<String, byte[]> producer;
    private Follower<String, byte[]> replies;
    private @Nullable ReplyListener direct;

    /** A client of the job; {@code host} is the service's, where direct replies are heard. */
    public JobClient(String bootstrap, String host, SegmentationConfig config) {
        this.bootstrap = bootstrap;
        this.host = host;
        this.config = config;
        this.router =
                new ReplyRouter(
                        new EventTimeLimits(
                                config.maxFutureSkew(),
                                config.horizon(),
                                EngineConfig.DEFAULT.historyCap()));
    }

    public void start() {
        SegmentationConfig.DirectReplies d = config.directReplies();
        if (d.enabled()) {
            direct = JobConnections.directReplies(host, d, router::readDirect);
        }
        producer = JobConnections.producer(bootstrap, config.timeout());
        replies = JobConnections.replies(bootstrap, config.topics().replies(), router::read);
        replies.start();
    }

    /** The reader of the replies topic, for readiness. */
    public Follower<String, byte[]> follower() {
        return replies;
    }

    /**
     * The limits the job announced (see {@link Heartbeat}), or the configured ones until a
     * heartbeat carrying them has arrived.
     */
    public EventTimeLimits eventTimeLimits() {
        return router.eventTimeLimits();
    }

    /**
     * Sends the envelope and completes with the job's reply; fails with {@link NoReply} after the
     * configured timeout or when the envelope could not be written.
     */
    public CompletableFuture<ReplyRecord> request(EventEnvelope request) {
        return request(request, Deadline.after(config.timeout()));
    }

    /**
     * {@link #request(EventEnvelope)} by the request's {@code deadline}, taken as it arrived: what
     * came before (binding new aliases) used part of its time, and the job gets what is left. The
     * job counts as silent (503) when nothing arrived on the replies topic since the deadline's
     * start.
     */
    public CompletableFuture<ReplyRecord> request(EventEnvelope request, Deadline deadline) {
        EventEnvelope envelope = direct != null ? request.withReplyTo(direct.address()) : request;
        String id = envelope.requestId();
        CompletableFuture<ReplyRecord> f = new CompletableFuture<>();
        byte[] value = Json.bytes(envelope);
        if (value.length > SegmentLimits.BROKER_LIMIT) {
            // Kafka would refuse the record whatever the retry: the client's to make smaller
            // (possible only with cohortflow.service.max-body-bytes raised past the default).
            f.completeExceptionally(
                    ServiceException.withDetail(
                            413,
                            "body_too_large",
                            "the request's events take "
                                    + value.length
                                    + " bytes as one record, past the "
                                    + SegmentLimits.BROKER_LIMIT
                                    + " a Kafka record may take; send them in several requests",
                            "record of " + value.length + " bytes"));
            return f;
        }
        router.expect(id, f);
        try {
            producer.send(
                    new ProducerRecord<>(config.topics().events(), envelope.key(), value),
                    (meta, error) -> {
                        if (error != null) {
                            router.forget(id);
                            // The producer's message is for the log (the caller logs the cause).
                            f.completeExceptionally(
                                    new NoReply(
                                            "the events could not be written to Kafka",
                                            true,
                                            error));
                        }
                    });
        } catch (RuntimeException thrown) {
            // Thrown rather than called back (a closed producer, an interrupt): no callback
            // will remove the entry, and the caller has no future to time out yet.
            router.forget(id);
            return CompletableFuture.failedFuture(
                    new NoReply("the events could not be written to Kafka", true, thrown));
        }
        return awaited(f, deadline, () -> router.forget(id));
    }

    /**
     * Sends an estimate request to every subtask of the job (the estimates topic) and completes
     * with their parts, one per subtask, or at the first part with an error; fails with {@link
     * NoReply} after {@code timeout} or when the request could not be written.
     */
    public CompletableFuture<List<EstimatePart>> estimate(EstimateRequest r, Duration timeout) {
        String id = r.requestId();
        Deadline deadline = Deadline.after(timeout);
        Parts parts = new Parts();
        router.expectEstimate(id, parts);
        try {
            producer.send(
                    new ProducerRecord<>(config.topics().estimates(), id, Json.bytes(r)),
                    (meta, error) -> {
                        if (error != null) {
                            router.forgetEstimate(id);
                            parts.done.completeExceptionally(
                                    new NoReply(
                                            "the estimate could not be written to Kafka",
                                            true,
                                            error));
                        }
                    });
        } catch (RuntimeException thrown) {
            router.forgetEstimate(id); // as in request: thrown, not called back
            return CompletableFuture.failedFuture(
                    new NoReply("the estimate could not be written to Kafka", true, thrown));
        }
        // Completed off the reader thread, like replies (see ReplyRouter's answers).
        return awaited(router.offReader(parts.done), deadline, () -> {})
                .whenComplete((p, e) -> router.forgetEstimate(id));
    }

    /**
     * {@code f} by {@code deadline}, else {@link NoReply} saying whether the job is silent. The
     * deadline counts from the request's start, not from here: a send that blocked (no metadata for
     * the topic, the producer's buffer full: up to {@code max.block.ms}) used part of it, and a
     * fresh timeout after it made the wait twice the one configured.
     */
    private <T> CompletableFuture<T> awaited(
            CompletableFuture<T> f, Deadline deadline, Runnable forget) {
        long started = deadline.startNanos();
        Duration timeout = deadline.timeout();
        return f.orTimeout(Math.max(1, deadline.left().toMillis()), TimeUnit.MILLISECONDS)
                .exceptionallyCompose(
                        e -> {
                            forget.run();
                            Throwable c = Failures.cause(e);
                            if (c instanceof NoReply || c instanceof UnreadableReply) {
                                return CompletableFuture.failedFuture(c);
                            }
                            boolean silent = router.silentSince(started);
                            return CompletableFuture.failedFuture(
                                    new NoReply(
                                            silent
                                                    ? "the segmentation job did not answer in "
                                                            + timeout.toMillis()
                                                            + " ms and has sent no reply or heartbeat"
                                                            + " since; it is not running"
                                                    : "the segmentation job did not answer in "
                                                            + timeout.toMillis()
                                                            + " ms",
                                            silent,
                                            c));
                        });
    }

    /** Fire and forget: a dead letter for an event that failed asynchronous validation. */
    public void deadLetter(String key, DeadLetterRecord record) {
        producer.send(
                new ProducerRecord<>(config.topics().deadLetter(), key, Json.bytes(record)),
                (m, e) -> {
                    if (e != null) {
                        LOG.warn("could not write a dead letter for {}", key, e);
                    }
                });
    }

    /** Records heard straight from the job (replies, and nothing else goes that way). */
    public long repliesHeardDirect() {
        return router.heardDirect();
    }

    /** Where the job sends this replica's answers ({@code host:port}), or null without. */
    public @Nullable String directRepliesAddress() {
        return direct != null ? direct.address() : null;
    }

    /** Requests and estimates waiting for the job's answer (each is removed however it ends). */
    int waiting() {
        return router.waiting();
    }

    @Override
    public void close() {
        if (direct != null) {
            direct.close();
        }
        if (replies != null) {
            replies.close();
        }
        if (producer != null) {
            producer.close(Duration.ofSeconds(5));
        }
        router.close();
    }
}
