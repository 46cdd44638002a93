package io.cohortflow.service.segmentation;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.contract.DeadLetterRecord;
import io.cohortflow.core.contract.Keys;
import java.util.List;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a segmentation request leaves for the dead-letter topic once it is answered: its events too
 * old to apply, and (without synchronous validation) its applied events that break their schema.
 * Apart from {@link SegmentationService} because it runs after the answer, on another thread, and
 * never changes it: a failure here is logged, never the client's.
 */
final class RequestDeadLetters {
    private static final Logger LOG = LoggerFactory.getLogger(RequestDeadLetters.class);

    private final SegmentationConfig config;
    private final JobClient job;
    private final EventSchemas schemas;
    private final Executor background;

    /**
     * @param background where the dead letters are sent: never the thread that hands out replies
     */
    RequestDeadLetters(
            SegmentationConfig config, JobClient job, EventSchemas schemas, Executor background) {
        this.config = config;
        this.job = job;
        this.schemas = schemas;
        this.background = background;
    }

    /**
     * Sets aside the too old events of an applied (not replayed) request and, unless {@code
     * validated} (synchronously, before it was sent), checks its applied events against their
     * schemas; nothing is scheduled when there is nothing to do.
     */
    void afterAnswer(
            String workspace,
            String userId,
            RequestChecks.Events in,
            String requestId,
            boolean validated) {
        if (in.tooOld().isEmpty() && (validated || in.applied().isEmpty())) {
            return;
        }
        // Off the thread that hands out replies: a send to Kafka may block (no metadata, a full
        // buffer), and must not hold the answers of other requests, nor turn this applied one
        // into an error.
        background.execute(
                () -> {
                    tooOld(workspace, userId, in, requestId);
                    if (!validated) {
                        validateLater(workspace, userId, in, requestId);
                    }
                });
    }

    /**
     * Events older than the history horizon could change no state (the job keeps that much
     * history): the others are applied, and these go to the dead-letter topic with their reason, so
     * nothing the client sent is lost. Refusing the request for them refused its other events too,
     * and the spec's own examples, whose times are years back.
     */
    private void tooOld(
            String workspace, String userId, RequestChecks.Events in, String requestId) {
        try {
            for (int i : in.tooOld()) {
                send(
                        workspace,
                        userId,
                        "older_than_horizon",
                        requestId,
                        i,
                        " is older than the history horizon of "
                                + job.eventTimeLimits().horizon().toDays()
                                + " days: it could change no state",
                        in.all().get(i));
            }
        } catch (RuntimeException e) {
            LOG.warn("the too old events of request {} could not be dead-lettered", requestId, e);
        }
    }

    /**
     * Applied events that break their schema go to the dead-letter topic, named by their index in
     * the request (the too old ones, not applied, are not checked).
     */
    private void validateLater(
            String workspace, String userId, RequestChecks.Events in, String requestId) {
        List<JsonNode> events = in.all();
        try {
            ValidationBudget budget = new ValidationBudget(); // one for the whole request
            for (int i = 0; i < events.size(); i++) {
                if (in.tooOld().contains(i)) {
                    continue;
                }
                List<String> v = schemas.violations(workspace, events.get(i), budget);
                if (!v.isEmpty()) {
                    send(
                            workspace,
                            userId,
                            "schema_violation",
                            requestId,
                            i,
                            " ("
                                    + events.get(i).path("name").asText()
                                    + "): "
                                    + String.join("; ", v),
                            events.get(i));
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("asynchronous validation of request {} failed", requestId, e);
        }
    }

    /**
     * One event of the request as a dead letter: keyed by its user as on the events topic, and
     * named by request and index, since it was never written to a topic (no partition or offset).
     */
    private void send(
            String workspace,
            String userId,
            String reason,
            String requestId,
            int index,
            String why,
            JsonNode event) {
        String key = Keys.of(workspace, userId);
        job.deadLetter(
                key,
                new DeadLetterRecord(
                        reason,
                        "request " + requestId + " events[" + index + "]" + why,
                        config.topics().events(),
                        -1,
                        -1,
                        key,
                        event.toString()));
    }
}
