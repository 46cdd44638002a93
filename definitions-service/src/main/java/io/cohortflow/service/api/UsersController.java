package io.cohortflow.service.api;

import io.cohortflow.service.auth.ApiKeys;
import io.cohortflow.service.auth.Principal;
import io.cohortflow.service.auth.Role;
import io.cohortflow.service.limits.WorkspaceLimits;
import io.cohortflow.service.segmentation.Users;
import io.cohortflow.service.segments.SegmentService;
import io.javalin.http.Context;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * HTTP only: one user's memberships, the explanation of a segment for them, and their erasure,
 * under {@code /ccs/v1/users/{user_id}} ({@code alias} with {@code tag} and {@code id} to name the
 * user by an alias). Same keys, limits and error body as the segmentation API; erasure needs the
 * admin role. An explanation shows the segment's definition, so it follows the Segments API's
 * access rule: a segment of the workspace the key may not see there (neither its owner's, nor
 * shared with it, and the key not an admin) is a 403, as {@code GET /segments/{id}} answers.
 * Memberships are the workspace's, as the segmentation API's cohorts are: segment ids only.
 */
public final class UsersController implements Controller {
    private static final Set<String> USER = Set.of("k", "tag", "id");

    public static final ApiRoutes.Route MEMBERSHIPS =
            new ApiRoutes.Route(ApiRoutes.Method.GET, "/ccs/v1/users/{user_id}", USER, false);
    public static final ApiRoutes.Route EXPLAIN =
            new ApiRoutes.Route(
                    ApiRoutes.Method.GET,
                    "/ccs/v1/users/{user_id}/explain",
                    Set.of("k", "tag", "id", "segment"),
                    false);
    public static final ApiRoutes.Route ERASE =
            new ApiRoutes.Route(ApiRoutes.Method.DELETE, "/ccs/v1/users/{user_id}", USER, false);
    public static final List<ApiRoutes.Route> ROUTES = List.of(MEMBERSHIPS, EXPLAIN, ERASE);

    private final Users users;
    private final CcsAccess access;
    private @Nullable SegmentService segments;

    public UsersController(Users users, ApiKeys keys, WorkspaceLimits limits) {
        this.users = users;
        this.access = new CcsAccess(keys, limits);
    }

    @Override
    public void segments(SegmentService segments) {
        this.segments = segments;
    }

    @Override
    public void register(Router router) {
        // Without it every key could read every definition through explain: refuse to serve.
        SegmentService segments =
                Objects.requireNonNull(
                        this.segments, "the Segments API's service, for explain's access rule");
        router.route(
                MEMBERSHIPS,
                ctx ->
                        limited(
                                ctx,
                                access.authenticate(ctx),
                                (ws, id) -> users.memberships(ws, user(ctx), id)));
        router.route(
                EXPLAIN,
                ctx -> {
                    Principal p = access.authenticate(ctx);
                    String segment = ctx.queryParam("segment");
                    if (segment != null) {
                        segments.requireVisibleIfStored(p, segment);
                    }
                    limited(ctx, p, (ws, id) -> users.explain(ws, user(ctx), segment, id));
                });
        router.route(
                ERASE,
                ctx ->
                        limited(
                                ctx,
                                access.authenticate(ctx, Role.ADMIN, "erasing a user"),
                                (ws, id) -> users.erase(ws, user(ctx), id)));
    }

    private interface Call {
        CompletableFuture<Map<String, Object>> run(String workspace, String requestId);
    }

    /** Runs {@code call} within the workspace's limits and answers its body as JSON. */
    private void limited(Context ctx, Principal p, Call call) throws Exception {
        String requestId = CcsErrors.requestId(ctx);
        String workspace = p.workspace();
        App.async(
                ctx,
                access.limited(ctx, workspace, () -> call.run(workspace, requestId))
                        .thenAccept(ctx::json));
    }

    private static Users.UserRef user(Context ctx) {
        return new Users.UserRef(
                ctx.pathParam("user_id"), ctx.queryParam("tag"), ctx.queryParam("id"));
    }
}
