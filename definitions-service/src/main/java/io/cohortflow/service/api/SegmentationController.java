package io.cohortflow.service.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.service.ServiceException;
import io.cohortflow.service.auth.ApiKeys;
import io.cohortflow.service.auth.Principal;
import io.cohortflow.service.auth.Role;
import io.cohortflow.service.limits.WorkspaceLimits;
import io.cohortflow.service.segmentation.EventSchemas;
import io.cohortflow.service.segmentation.SegmentationService;
import io.javalin.http.Context;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

/**
 * HTTP only: {@code POST /ccs/v1/segmentation} and the event-schemas API. Keys come from the {@code
 * k} query parameter or the {@code X-Api-Key} header and name the workspace; failures are the
 * spec's {@code HttpErrorResponse} ({@link CcsErrors}).
 */
public final class SegmentationController implements Controller {
    public static final ApiRoutes.Route SEGMENTATION =
            new ApiRoutes.Route(
                    ApiRoutes.Method.POST,
                    "/ccs/v1/segmentation",
                    Set.of("k", "activations", "synchronous-validation"),
                    false);
    public static final ApiRoutes.Route LIST_SCHEMAS =
            new ApiRoutes.Route(ApiRoutes.Method.GET, "/schemas", Set.of("k"), false);
    public static final ApiRoutes.Route GET_SCHEMA =
            new ApiRoutes.Route(ApiRoutes.Method.GET, "/schemas/{name}", Set.of("k"), false);
    public static final ApiRoutes.Route PUT_SCHEMA =
            new ApiRoutes.Route(ApiRoutes.Method.PUT, "/schemas/{name}", Set.of("k"), false);
    public static final ApiRoutes.Route DELETE_SCHEMA =
            new ApiRoutes.Route(ApiRoutes.Method.DELETE, "/schemas/{name}", Set.of("k"), false);
    public static final List<ApiRoutes.Route> ROUTES =
            List.of(SEGMENTATION, LIST_SCHEMAS, GET_SCHEMA, PUT_SCHEMA, DELETE_SCHEMA);

    /** A client's key for a request: a retry with the same key is answered without applying. */
    public static final String IDEMPOTENCY_KEY = "Idempotency-Key";

    /** On an answer given to an earlier request with the same key. */
    public static final String REPLAYED = "Idempotent-Replayed";

    /**
     * The indices of the request's events older than the history horizon: not applied (they could
     * change no state), written to the dead-letter topic instead.
     */
    public static final String EVENTS_TOO_OLD = "Cohortflow-Events-Too-Old";

    private final SegmentationService segmentation;
    private final EventSchemas schemas;
    private final CcsAccess access;

    public SegmentationController(
            SegmentationService segmentation,
            EventSchemas schemas,
            ApiKeys keys,
            WorkspaceLimits limits) {
        this.segmentation = segmentation;
        this.schemas = schemas;
        this.access = new CcsAccess(keys, limits);
    }

    @Override
    public void register(Router router) {
        router.route(SEGMENTATION, this::segment);
        router.route(LIST_SCHEMAS, this::listSchemas);
        router.route(GET_SCHEMA, this::getSchema);
        router.route(PUT_SCHEMA, this::putSchema);
        router.route(DELETE_SCHEMA, this::deleteSchema);
    }

    private void segment(Context ctx) throws Exception {
        String requestId = CcsErrors.requestId(ctx);
        String workspace = authenticate(ctx).workspace();
        App.async(
                ctx,
                access.limited(
                                ctx,
                                workspace,
                                () ->
                                        segmentation.segment(
                                                workspace,
                                                body(ctx),
                                                new SegmentationService.Options(
                                                        Params.flag(ctx, "activations"),
                                                        Params.flag(ctx, "synchronous-validation"),
                                                        ctx.header(IDEMPOTENCY_KEY)),
                                                requestId))
                        .thenAccept(
                                answer -> {
                                    if (answer.replayed()) {
                                        ctx.header(REPLAYED, "true");
                                    }
                                    if (!answer.tooOld().isEmpty()) {
                                        ctx.header(
                                                EVENTS_TOO_OLD,
                                                answer.tooOld().stream()
                                                        .map(String::valueOf)
                                                        .collect(Collectors.joining(",")));
                                    }
                                    ctx.json(answer.body());
                                }));
    }

    // The schema routes take the workspace's limits as segmentation does (requests a second and in
    // flight, 429 beyond): a schema is compiled and checked on the request's thread, and without
    // them one workspace could hold every thread with writes and reads of schemas.

    private void listSchemas(Context ctx) throws Exception {
        CcsErrors.requestId(ctx);
        String workspace = authenticate(ctx).workspace();
        App.async(
                ctx,
                access.limited(
                                ctx,
                                workspace,
                                () -> CompletableFuture.completedFuture(schemas.list(workspace)))
                        .thenAccept(list -> ctx.json(Map.of("schemas", list))));
    }

    private void getSchema(Context ctx) throws Exception {
        CcsErrors.requestId(ctx);
        String workspace = authenticate(ctx).workspace();
        String name = ctx.pathParam("name");
        App.async(
                ctx,
                access.limited(
                                ctx,
                                workspace,
                                () ->
                                        CompletableFuture.completedFuture(
                                                schemas.get(workspace, name)
                                                        .orElseThrow(() -> noSchema(name))))
                        .thenAccept(ctx::json));
    }

    private void putSchema(Context ctx) throws Exception {
        CcsErrors.requestId(ctx);
        String workspace = writer(ctx).workspace();
        String name = ctx.pathParam("name");
        boolean[] existed = new boolean[1];
        App.async(
                ctx,
                access.limited(
                                ctx,
                                workspace,
                                () -> {
                                    JsonNode schema = body(ctx);
                                    existed[0] = schemas.get(workspace, name).isPresent();
                                    return schemas.put(workspace, name, schema);
                                })
                        .thenAccept(stored -> ctx.status(existed[0] ? 200 : 201).json(stored)));
    }

    private void deleteSchema(Context ctx) throws Exception {
        CcsErrors.requestId(ctx);
        String workspace = writer(ctx).workspace();
        String name = ctx.pathParam("name");
        App.async(
                ctx,
                access.limited(ctx, workspace, () -> schemas.delete(workspace, name))
                        .thenAccept(
                                deleted -> {
                                    if (!deleted) {
                                        throw noSchema(name);
                                    }
                                    ctx.status(204);
                                }));
    }

    private static ServiceException noSchema(String name) {
        return ServiceException.withDetail(404, "not_found", "no schema for event " + name, null);
    }

    private Principal writer(Context ctx) {
        Principal p = authenticate(ctx);
        if (!p.can(Role.WRITE)) {
            throw ServiceException.withDetail(
                    403, "forbidden", "this API key may only read schemas", "role " + p.role());
        }
        return p;
    }

    private Principal authenticate(Context ctx) {
        return access.authenticate(ctx);
    }

    private static JsonNode body(Context ctx) {
        byte[] bytes = ctx.bodyAsBytes();
        JsonNode body;
        try {
            body = bytes.length == 0 ? null : Bodies.lenient(bytes);
        } catch (JsonProcessingException e) {
            throw ServiceException.badRequest(
                    "malformed_json", "the body is not valid JSON", Bodies.describe(e));
        } catch (IOException e) {
            throw ServiceException.badRequest(
                    "malformed_json", "the body is not valid JSON", "the body could not be read");
        }
        if (body == null || body.isMissingNode()) {
            throw ServiceException.badRequest(
                    "invalid_request", "a JSON body is required", "body: empty");
        }
        return body;
    }
}
