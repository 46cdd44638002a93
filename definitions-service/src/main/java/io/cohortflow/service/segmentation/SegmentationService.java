package io.cohortflow.service.segmentation;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.contract.EventEnvelope;
import io.cohortflow.core.contract.ReplyRecord;
import io.cohortflow.service.ServiceException;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import org.jspecify.annotations.Nullable;

/**
 * The segmentation API without HTTP: checks a request, resolves the user, sends the events through
 * the job and turns its reply into the response. Every failure is a {@link ServiceException}
 * (possibly inside the returned future).
 *
 * <p>This class holds the request's path from body to answer; its parts live apart so each reads
 * alone: the checks of the body ({@link RequestChecks}), the API's answer to a job that fails
 * ({@link JobErrors}, shared with {@link Users} and {@link Estimates}), and the dead letters sent
 * after the answer ({@link RequestDeadLetters}).
 */
public final class SegmentationService {
    /**
     * The options of one request.
     *
     * @param idempotencyKey the client's key for the request ({@code Idempotency-Key}), or null
     */
    public record Options(
            boolean activations, boolean synchronousValidation, @Nullable String idempotencyKey) {

        public Options {
            if (idempotencyKey != null && !EventEnvelope.validIdempotencyKey(idempotencyKey)) {
                throw ServiceException.badRequest(
                        "invalid_request",
                        "the Idempotency-Key header must be 1 to "
                                + EventEnvelope.MAX_IDEMPOTENCY_KEY
                                + " visible ASCII characters",
                        "Idempotency-Key: " + idempotencyKey.length() + " characters");
            }
        }
    }

    private final RequestChecks checks;
    private final Duration timeout;
    private final JobClient job;
    private final AliasBindings aliases;
    private final EventSchemas schemas;
    private final RequestDeadLetters deadLetters;

    /**
     * @param background where the dead letters of answered requests are sent (see {@link
     *     RequestDeadLetters})
     * @param clock the time event times are checked against
     */
    public SegmentationService(
            SegmentationConfig config,
            JobClient job,
            AliasBindings aliases,
            EventSchemas schemas,
            Executor background,
            Clock clock) {
        this.checks = new RequestChecks(config, job, clock);
        this.timeout = config.timeout();
        this.job = job;
        this.aliases = aliases;
        this.schemas = schemas;
        this.deadLetters = new RequestDeadLetters(config, job, schemas, background);
    }

    /**
     * An answer: the response body ({@code user_id}, {@code cohorts}, and {@code activations} when
     * asked), whether it is an earlier request's (same idempotency key: nothing was applied), and
     * the indices of the request's events that were too old to apply (dead-lettered).
     */
    public record Answer(Map<String, Object> body, boolean replayed, Set<Integer> tooOld) {}

    /**
     * Segments one user, within the configured timeout from now: binding the request's new aliases
     * and the job's answer share it (each step gets what the ones before left).
     */
    public CompletableFuture<Answer> segment(
            String workspace, JsonNode body, Options options, String requestId) {
        Deadline deadline = Deadline.after(timeout);
        RequestChecks.Identity identity = checks.identity(body);
        RequestChecks.Events in = checks.events(body);
        List<JsonNode> events = in.applied();
        if (options.synchronousValidation()) {
            validateNow(workspace, in);
        }
        CompletableFuture<String> user =
                identity.userId() != null
                        ? CompletableFuture.completedFuture(identity.userId())
                        : aliases.resolve(workspace, identity.aliases(), deadline)
                                .exceptionallyCompose(
                                        e ->
                                                CompletableFuture.failedFuture(
                                                        JobErrors.unavailable(
                                                                "the alias bindings could not be"
                                                                        + " written",
                                                                e)));
        return user.thenCompose(
                        id ->
                                job.request(
                                        new EventEnvelope(
                                                workspace,
                                                id,
                                                events,
                                                requestId,
                                                options.activations(),
                                                options.synchronousValidation(),
                                                options.idempotencyKey()),
                                        deadline))
                .handle(
                        (reply, error) -> {
                            if (error != null) {
                                throw new CompletionException(JobErrors.translate(error));
                            }
                            Map<String, Object> out = answer(reply, options);
                            // A replay applied nothing: its events are not checked either, and
                            // the first answer set its too old events aside already.
                            if (!reply.replayed()) {
                                deadLetters.afterAnswer(
                                        workspace,
                                        reply.userId(),
                                        in,
                                        requestId,
                                        options.synchronousValidation());
                            }
                            return new Answer(out, reply.replayed(), in.tooOld());
                        });
    }

    /**
     * Synchronous validation: the request is refused at its first event that breaks its schema,
     * before anything is sent (the too old ones too: the client asked to know).
     */
    private void validateNow(String workspace, RequestChecks.Events in) {
        ValidationBudget budget = new ValidationBudget(); // one for the whole request
        for (int i = 0; i < in.all().size(); i++) {
            List<String> v = schemas.violations(workspace, in.all().get(i), budget);
            if (!v.isEmpty()) {
                throw ServiceException.badRequest(
                        "schema_violation",
                        "events["
                                + i
                                + "] ("
                                + in.all().get(i).path("name").asText()
                                + ") does not match its event schema",
                        "events[" + i + "]" + String.join("; events[" + i + "]", v));
            }
        }
    }

    private static Map<String, Object> answer(ReplyRecord reply, Options options) {
        if (reply.error() != null) {
            throw JobErrors.failure(reply.error());
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("user_id", reply.userId());
        out.put("cohorts", reply.cohorts() == null ? List.of() : reply.cohorts());
        if (options.activations()) {
            out.put("activations", reply.activations() == null ? Map.of() : reply.activations());
        }
        return out;
    }
}
