package io.cohortflow.service.api;

import io.cohortflow.service.ServiceException;
import io.cohortflow.service.auth.ApiKeys;
import io.cohortflow.service.auth.Principal;
import io.cohortflow.service.auth.Role;
import io.cohortflow.service.limits.WorkspaceLimits;
import io.javalin.http.Context;
import java.util.concurrent.CompletableFuture;

/**
 * Who may call the {@code /ccs/v1} APIs and how often: the key from the {@code k} query parameter
 * or the {@code X-Api-Key} header names the workspace and role; each workspace has its requests a
 * second and in flight. Failures are {@link ServiceException}s in the spec's shape.
 */
final class CcsAccess {
    private final ApiKeys keys;
    private final WorkspaceLimits limits;

    CcsAccess(ApiKeys keys, WorkspaceLimits limits) {
        this.keys = keys;
        this.limits = limits;
    }

    Principal authenticate(Context ctx) {
        String key = ctx.queryParam("k");
        if (key == null || key.isBlank()) {
            key = ctx.header("X-Api-Key");
        }
        ApiKeys.Outcome o = keys.authenticateKey(key);
        if (o instanceof ApiKeys.Outcome.Rejected r) {
            throw ServiceException.withDetail(r.status(), r.code(), r.message(), null);
        }
        return ((ApiKeys.Outcome.Authenticated) o).principal();
    }

    /** The caller, refused with 403 unless their key has {@code role}. */
    Principal authenticate(Context ctx, Role role, String what) {
        Principal p = authenticate(ctx);
        if (!p.can(role)) {
            throw ServiceException.withDetail(
                    403,
                    "forbidden",
                    what + " needs a key with the " + role.name().toLowerCase() + " role",
                    "role " + p.role());
        }
        return p;
    }

    /**
     * Takes one of the workspace's requests this second and one of its slots in flight, or refuses
     * the request at once: one workspace cannot take the job's whole capacity from the others.
     * Every admitted request must be {@link #release}d.
     */
    void enter(Context ctx, String workspace) {
        WorkspaceLimits.Refusal no = limits.admit(workspace, "segmentation requests");
        if (no != null) {
            ctx.attribute(App.LIMITED, no.kind()); // counted as the Segments API's refusals are
            ctx.header("Retry-After", Long.toString(no.retryAfterSeconds()));
            throw ServiceException.withDetail(429, "too_many_requests", no.message(), null);
        }
    }

    void release(String workspace) {
        limits.release(workspace);
    }

    /** The work of a limited request: parsing included, so that what it throws releases too. */
    interface Work<T> {
        CompletableFuture<T> start() throws Exception;
    }

    /**
     * Runs {@code work} within one of {@code workspace}'s requests this second and slots in flight
     * ({@link #enter}, 429 beyond): the slot is released when its future completes, or at once when
     * starting it throws. The one place every limited /ccs and /schemas route takes and gives back
     * its slot.
     */
    <T> CompletableFuture<T> limited(Context ctx, String workspace, Work<T> work) throws Exception {
        enter(ctx, workspace);
        CompletableFuture<T> started;
        try {
            started = work.start();
        } catch (Exception | Error e) {
            release(workspace);
            throw e;
        }
        return started.whenComplete((value, failure) -> release(workspace));
    }
}
