package io.cohortflow.service.segmentation;

import io.cohortflow.core.contract.EventEnvelope;
import io.cohortflow.core.contract.ReplyRecord;
import io.cohortflow.core.contract.UserIds;
import io.cohortflow.core.contract.UserMembership;
import io.cohortflow.service.ServiceException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.jspecify.annotations.Nullable;

/**
 * One user's state without HTTP: their memberships with status and times, the explanation of one
 * segment, and erasure. The job answers from its state through the same request/reply path as
 * segmentation (no events applied); an alias names the user it is bound to and never mints one.
 */
public final class Users {
    /** The path segment that names the user by an alias ({@code tag} and {@code id}) instead. */
    public static final String BY_ALIAS = "alias";

    private final SegmentationConfig config;
    private final JobClient job;
    private final AliasBindings aliases;

    Users(SegmentationConfig config, JobClient job, AliasBindings aliases) {
        this.config = config;
        this.job = job;
        this.aliases = aliases;
    }

    /**
     * Who a request is about: {@code userId} (a UUID), or {@link #BY_ALIAS} with an alias's {@code
     * tag} and {@code id}.
     */
    public record UserRef(String userId, @Nullable String tag, @Nullable String id) {}

    /** {@code user_id}, {@code cohorts} (those it is a member of) and {@code memberships}. */
    public CompletableFuture<Map<String, Object>> memberships(
            String workspace, UserRef ref, String requestId) {
        return ask(workspace, ref, requestId, EventEnvelope.MEMBERSHIPS, null)
                .thenApply(
                        reply -> {
                            List<UserMembership> ms = known(reply).memberships();
                            List<String> cohorts = new ArrayList<>();
                            for (UserMembership m : ms) {
                                if (m.member()) {
                                    cohorts.add(m.segmentId());
                                }
                            }
                            Map<String, Object> out = new LinkedHashMap<>();
                            out.put("user_id", reply.userId());
                            out.put("cohorts", cohorts);
                            out.put("memberships", ms);
                            return out;
                        });
    }

    /**
     * {@code user_id}, {@code segment_id}, {@code member}, the user's {@code membership} of it
     * (when they have one, exited included) and the {@code explanation} tree.
     */
    public CompletableFuture<Map<String, Object>> explain(
            String workspace, UserRef ref, String segment, String requestId) {
        if (segment == null || segment.isBlank() || segment.length() > 200) {
            throw ServiceException.badRequest(
                    "invalid_request",
                    "segment (the id of the segment to explain) is required",
                    "segment: " + (segment == null ? "missing" : "invalid"));
        }
        return ask(workspace, ref, requestId, EventEnvelope.EXPLAIN, segment)
                .thenApply(
                        reply -> {
                            known(reply);
                            Map<String, Object> out = new LinkedHashMap<>();
                            out.put("user_id", reply.userId());
                            out.put("segment_id", segment);
                            out.put("member", reply.explanation().holds());
                            if (reply.memberships() != null && !reply.memberships().isEmpty()) {
                                out.put("membership", reply.memberships().get(0));
                            }
                            out.put("explanation", reply.explanation());
                            return out;
                        });
    }

    /**
     * Erases the user: the job removes their state and ends every membership, then every alias
     * bound to them is tombstoned. Answers {@code user_id}, {@code exited} (the memberships ended)
     * and {@code aliases_removed}; 404 when neither the job nor the aliases knew the user.
     */
    public CompletableFuture<Map<String, Object>> erase(
            String workspace, UserRef ref, String requestId) {
        // One timeout for the job's erasure and the bindings' removal after it, as for a
        // segmentation request's steps: the removal had a write timeout per scan of its own.
        Deadline deadline = Deadline.after(config.timeout());
        return ask(workspace, ref, requestId, EventEnvelope.ERASE, null, deadline)
                .thenCompose(
                        reply ->
                                aliases.unbind(workspace, reply.userId(), deadline)
                                        .exceptionallyCompose(
                                                e ->
                                                        CompletableFuture.failedFuture(
                                                                bindingsLeft(reply.userId(), e)))
                                        .thenApply(
                                                removed -> {
                                                    if (!Boolean.TRUE.equals(reply.known())
                                                            && removed == 0) {
                                                        throw notFound(reply.userId());
                                                    }
                                                    Map<String, Object> out = new LinkedHashMap<>();
                                                    out.put("user_id", reply.userId());
                                                    out.put("erased", true);
                                                    out.put("exited", reply.memberships());
                                                    out.put("aliases_removed", removed);
                                                    return out;
                                                }));
    }

    /**
     * The erasure's answer when the job erased the user but their alias bindings were not all
     * removed in time (what the job's erasure left of the timeout, or the broker): the erasure
     * cannot be undone, so the answer names the user to retry by. A retry by alias could find the
     * alias already gone (404) while other bindings of the user remain.
     */
    private static ServiceException bindingsLeft(String userId, Throwable e) {
        return JobErrors.unavailable(
                "the state of user "
                        + userId
                        + " is erased, but their alias bindings could not all be removed in"
                        + " time; retry the erasure by that user_id",
                e,
                "the alias bindings' removal was not confirmed within the request's time");
    }

    /** Resolves the user, asks the job, and turns its error reply into the API's. */
    private CompletableFuture<ReplyRecord> ask(
            String workspace, UserRef ref, String requestId, String op, @Nullable String segment) {
        return ask(workspace, ref, requestId, op, segment, Deadline.after(config.timeout()));
    }

    private CompletableFuture<ReplyRecord> ask(
            String workspace,
            UserRef ref,
            String requestId,
            String op,
            @Nullable String segment,
            Deadline deadline) {
        String user = resolve(workspace, ref);
        return job.request(EventEnvelope.about(workspace, user, requestId, op, segment), deadline)
                .handle(
                        (reply, error) -> {
                            if (error != null) {
                                throw new CompletionException(JobErrors.translate(error));
                            }
                            if (reply.error() != null) {
                                throw JobErrors.failure(reply.error());
                            }
                            return reply;
                        });
    }

    private String resolve(String workspace, UserRef ref) {
        if (!ref.userId().equals(BY_ALIAS)) {
            if (ref.tag() != null || ref.id() != null) {
                throw ServiceException.badRequest(
                        "invalid_user_identifier",
                        "tag and id name a user by alias: the path then says /users/" + BY_ALIAS,
                        "tag/id given with a user id");
            }
            // Any id the job may hold: the service mints UUIDs, but producers writing to the
            // events topic (and backfills) key users by ids of their own, and those users too
            // must be found and erased. A UUID is read in lower case, as the job keys it.
            String userId = ref.userId();
            String problem = UserIds.problem(userId);
            if (problem != null) {
                throw ServiceException.badRequest(
                        "invalid_user_identifier",
                        "a user id has " + problem + " (or is " + BY_ALIAS + " with tag and id)",
                        "user_id: " + problem);
            }
            return UserIds.canonical(userId);
        }
        String tag = aliasPart(ref.tag(), "tag");
        String id = aliasPart(ref.id(), "id");
        return aliases.lookup(workspace, new AliasBindings.Alias(tag, id, 0))
                .orElseThrow(
                        () ->
                                ServiceException.withDetail(
                                        404,
                                        "user_not_found",
                                        "no user is bound to alias " + tag + ":" + id,
                                        "alias: not bound"));
    }

    private String aliasPart(@Nullable String v, String name) {
        if (v == null || v.isEmpty()) {
            throw ServiceException.badRequest(
                    "invalid_user_identifier",
                    "/users/" + BY_ALIAS + " needs the query parameters tag and id",
                    name + ": missing");
        }
        if (v.length() > config.maxAliasLength()) {
            throw ServiceException.badRequest(
                    "invalid_user_identifier",
                    name + " is longer than " + config.maxAliasLength() + " characters",
                    name + ": " + v.length() + " characters");
        }
        return v;
    }

    private static ReplyRecord known(ReplyRecord reply) {
        if (!Boolean.TRUE.equals(reply.known())) {
            throw notFound(reply.userId());
        }
        return reply;
    }

    private static ServiceException notFound(String userId) {
        return ServiceException.withDetail(
                404,
                "user_not_found",
                "the job holds no state of user " + userId,
                "user_id: unknown (never seen, erased or expired)");
    }
}
