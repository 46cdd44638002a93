package io.cohortflow.service.segments;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.estimate.AudienceEstimate;
import io.cohortflow.core.eval.EngineConfig;
import io.cohortflow.service.ServiceException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/** Estimates a draft's audience over the users the job holds (POST /segments/estimate). */
public interface DraftEstimator {
    /**
     * @param evaluatedAt the instant users were evaluated at (the job's watermark), null when the
     *     job had no watermark yet (each user was evaluated at their own latest event)
     * @param subtasks the job's subtasks that sampled their users
     * @param took from the request to the last subtask's answer
     */
    record Estimate(
            AudienceEstimate estimate,
            @Nullable Instant evaluatedAt,
            int subtasks,
            Duration took) {}

    /**
     * @param definition a draft validated for the workspace
     * @param sample users to evaluate, or null for the configured default
     */
    CompletableFuture<Estimate> estimate(
            String workspace, JsonNode definition, @Nullable Integer sample);

    /**
     * The engine settings the job evaluates with (horizon, history cap, future skew), as its
     * heartbeats announce them: a preview evaluates drafts with the same. The defaults without a
     * job.
     */
    default EngineConfig engine() {
        return EngineConfig.DEFAULT;
    }

    /** The limits on one event's size the job and the segmentation API apply. */
    default io.cohortflow.core.event.EventLimits eventLimits() {
        return io.cohortflow.core.event.EventLimits.DEFAULT;
    }

    /** A service without the segmentation job (the Segments API alone) cannot estimate. */
    DraftEstimator NONE =
            (workspace, definition, sample) ->
                    CompletableFuture.failedFuture(
                            new ServiceException(
                                    503,
                                    "estimate_unavailable",
                                    "this service runs without the segmentation job; estimates"
                                            + " need it"));
}
