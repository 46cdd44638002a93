package io.cohortflow.service.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cohortflow.core.contract.AudienceRecord;
import io.cohortflow.core.contract.EstimateRequest;
import io.cohortflow.core.contract.Json;
import io.cohortflow.service.ServiceException;
import io.cohortflow.service.Timestamps;
import io.cohortflow.service.auth.Principal;
import io.cohortflow.service.segments.DraftEstimator;
import io.cohortflow.service.segments.DraftPreviews;
import io.cohortflow.service.segments.MemberExports;
import io.cohortflow.service.segments.SegmentInput;
import io.cohortflow.service.segments.SegmentList;
import io.cohortflow.service.segments.SegmentList.IncludeType;
import io.cohortflow.service.segments.SegmentList.SortProperty;
import io.cohortflow.service.segments.SegmentService;
import io.javalin.http.Context;
import java.time.Instant;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/** The Segments API over HTTP: parameters in, {@link SegmentService} calls, JSON out. */
public final class SegmentsController implements Controller {
    private final SegmentService segments;
    private final DraftEstimator estimator;
    private final DraftPreviews previews;
    private final MemberExports exports;

    public SegmentsController(
            SegmentService segments,
            DraftEstimator estimator,
            DraftPreviews previews,
            MemberExports exports) {
        this.segments = segments;
        this.estimator = estimator;
        this.previews = previews;
        this.exports = exports;
    }

    @Override
    public void register(Router r) {
        r.route(ApiRoutes.LIST_SEGMENTS, this::list);
        r.route(ApiRoutes.CREATE_SEGMENT, this::create);
        r.route(ApiRoutes.VALIDATE, this::validate);
        r.route(ApiRoutes.ESTIMATE, this::estimate);
        r.route(ApiRoutes.PREVIEW, this::preview);
        r.route(ApiRoutes.GET_SEGMENT, this::get);
        r.route(ApiRoutes.UPDATE_SEGMENT, this::update);
        r.route(ApiRoutes.DELETE_SEGMENT, this::delete);
        r.route(ApiRoutes.PUBLISH, ctx -> publish(ctx, true));
        r.route(ApiRoutes.UNPUBLISH, ctx -> publish(ctx, false));
        r.route(ApiRoutes.DEPENDENTS, this::dependents);
        r.route(ApiRoutes.AUDIENCE, this::audience);
        r.route(ApiRoutes.MEMBERS, this::members);
        r.route(ApiRoutes.VERSIONS, this::versions);
        r.route(ApiRoutes.VERSION, this::version);
        r.route(ApiRoutes.ROLLBACK, this::rollback);
        r.route(ApiRoutes.PROPAGATION, this::propagation);
    }

    static Principal principal(Context ctx) {
        return ctx.attribute(App.PRINCIPAL);
    }

    private static String id(Context ctx) {
        return ctx.pathParamAsClass("id", String.class)
                .check(s -> !s.isBlank() && s.length() <= 200, "must be a segment id")
                .get();
    }

    private void list(Context ctx) {
        Params.locale(ctx);
        List<String> ids = Params.list(ctx, "segmentFilter");
        List<String> rsids = Params.list(ctx, "rsids");
        List<String> tagNames = Params.list(ctx, "tagNames");
        String published = ctx.queryParam("filterByPublishedSegments");
        Boolean pub =
                switch (published == null ? "all" : published.trim().toLowerCase(Locale.ROOT)) {
                    case "all", "" -> null;
                    case "true" -> true;
                    case "false" -> false;
                    default ->
                            throw ServiceException.badRequest(
                                    "invalid_parameter",
                                    "filterByPublishedSegments must be all, true or false, got "
                                            + published);
                };
        Set<IncludeType> include = EnumSet.noneOf(IncludeType.class);
        List<String> inc = Params.list(ctx, "includeType");
        if (inc != null) {
            for (String i : inc) {
                try {
                    include.add(IncludeType.valueOf(i.toUpperCase(Locale.ROOT)));
                } catch (IllegalArgumentException e) {
                    throw ServiceException.badRequest(
                            "invalid_parameter",
                            "includeType must be shared, all or templates, got " + i);
                }
            }
        }
        boolean asc =
                Params.enumValue(ctx, "sortDirection", SortDirection.class, SortDirection.ASC)
                        == SortDirection.ASC;
        SegmentList.Query q =
                new SegmentList.Query(
                        ids == null ? null : new HashSet<>(ids),
                        rsids == null ? null : new HashSet<>(rsids),
                        ctx.queryParam("name"),
                        tagNames == null
                                ? null
                                : new HashSet<>(
                                        tagNames.stream()
                                                .map(t -> t.toLowerCase(Locale.ROOT))
                                                .toList()),
                        pub,
                        include,
                        Params.enumValue(ctx, "sortProperty", SortProperty.class, SortProperty.ID),
                        asc,
                        Params.integer(ctx, "limit", 10, 1, 1000),
                        Params.integer(ctx, "page", 0, 0, 1_000_000));
        Set<String> expansion = Params.expansion(ctx, Set.of());
        SegmentList.Page<SegmentService.View> page = segments.listPage(principal(ctx), q);
        ArrayNode out = Json.MAPPER.createArrayNode();
        page.items().forEach(v -> out.add(SegmentJson.segment(segments, v, expansion)));
        ctx.header("X-Total-Count", Integer.toString(page.total()));
        ctx.header("X-Total-Pages", Integer.toString((page.total() + q.limit() - 1) / q.limit()));
        ctx.json(out);
    }

    private void get(Context ctx) {
        Params.locale(ctx);
        Set<String> expansion = Params.expansion(ctx, Set.of());
        SegmentService.View v = segments.get(principal(ctx), id(ctx));
        EntityTags.send(ctx, v.segment(), expansion);
        ctx.json(SegmentJson.segment(segments, v, expansion));
    }

    /** A write's answer: the segment as the write left it, with its entity tag. */
    private void answer(
            Context ctx,
            CompletableFuture<SegmentService.View> write,
            Set<String> expansion,
            int status) {
        App.async(
                ctx,
                write.thenAccept(
                        v -> {
                            EntityTags.send(ctx, v.segment(), expansion);
                            ctx.status(status).json(SegmentJson.segment(segments, v, expansion));
                        }));
    }

    private void create(Context ctx) throws Exception {
        Params.locale(ctx);
        Set<String> expansion = Params.expansion(ctx, SegmentJson.EVERYTHING);
        SegmentInput in = SegmentInput.parse(Bodies.json(ctx));
        // Adobe answers 200 with the created object; so do we, with its id.
        answer(ctx, segments.edits().create(principal(ctx), in), expansion, 200);
    }

    private void update(Context ctx) throws Exception {
        Params.locale(ctx);
        Set<String> expansion = Params.expansion(ctx, SegmentJson.EVERYTHING);
        String id = id(ctx);
        var body = Bodies.json(ctx);
        if (body.isObject() && body.has("id") && !body.get("id").asText().equals(id)) {
            throw ServiceException.badRequest(
                    "invalid_body", "the body's id differs from the path's");
        }
        SegmentInput in = SegmentInput.parse(body);
        answer(
                ctx,
                segments.edits()
                        .update(
                                principal(ctx),
                                id,
                                in,
                                EntityTags.ifMatch(ctx),
                                Params.flag(ctx, "force")),
                expansion,
                200);
    }

    private void delete(Context ctx) {
        Params.locale(ctx);
        CompletableFuture<SegmentService.View> done =
                segments.edits()
                        .delete(
                                principal(ctx),
                                id(ctx),
                                EntityTags.ifMatch(ctx),
                                Params.flag(ctx, "force"));
        App.async(
                ctx,
                done.thenAccept(
                        v -> {
                            // Still readable by id: its tag lets a client restore it conditionally.
                            EntityTags.send(ctx, v.segment(), Set.of());
                            ObjectNode o = Json.MAPPER.createObjectNode();
                            o.put("status", "ok");
                            o.put("message", "Segment deleted successfully");
                            o.put("id", v.segment().id());
                            o.put("version", v.segment().version());
                            ctx.json(o);
                        }));
    }

    private void publish(Context ctx, boolean published) {
        Params.locale(ctx);
        Set<String> expansion = Params.expansion(ctx, SegmentJson.EVERYTHING);
        boolean force = !published && Params.flag(ctx, "force");
        answer(
                ctx,
                segments.edits()
                        .publish(
                                principal(ctx), id(ctx), published, EntityTags.ifMatch(ctx), force),
                expansion,
                200);
    }

    private void validate(Context ctx) throws Exception {
        Params.locale(ctx);
        var result = segments.validate(principal(ctx), ctx.queryParam("rsid"), Bodies.json(ctx));
        ctx.json(SegmentJson.compatibility(result));
    }

    /**
     * The audience a draft would have: the body is the draft segment (its {@code definition} is
     * read) or the definition itself, as for validate.
     */
    private void estimate(Context ctx) throws Exception {
        Params.locale(ctx);
        var body = Bodies.json(ctx);
        JsonNode definition =
                body.isObject() && body.has("definition") ? body.get("definition") : body;
        // Absent or empty: the configured sample (estimate-sample).
        String given = ctx.queryParam("sample");
        Integer sample =
                given == null || given.isBlank()
                        ? null
                        : Params.integer(ctx, "sample", 0, 1, EstimateRequest.MAX_SAMPLE);
        Principal p = principal(ctx);
        JsonNode draft = segments.draft(p, definition);
        App.async(
                ctx,
                estimator
                        .estimate(p.workspace(), draft, sample)
                        .thenAccept(e -> ctx.json(SegmentJson.estimate(e))));
    }

    /** What a draft would do for sample users' events: stateless, evaluated as the job would. */
    private void preview(Context ctx) throws Exception {
        Params.locale(ctx);
        ctx.json(SegmentJson.preview(previews.preview(principal(ctx), Bodies.json(ctx))));
    }

    private void versions(Context ctx) {
        Params.locale(ctx);
        ArrayNode out = Json.MAPPER.createArrayNode();
        for (SegmentService.VersionInfo v : segments.versions(principal(ctx), id(ctx))) {
            ObjectNode o = out.addObject();
            o.put("version", v.version());
            o.put("change", v.change());
            o.put("modified", Timestamps.answer(v.modified()));
            o.putObject("modifiedBy")
                    .put("id", v.modifiedBy().id())
                    .put("name", v.modifiedBy().name());
            o.put("name", v.name());
            o.put("published", v.published());
            o.put("deleted", v.deleted());
            o.put("current", v.current());
        }
        ctx.json(out);
    }

    private static long versionParam(Context ctx) {
        return ctx.pathParamAsClass("version", Long.class)
                .check(v -> v >= 1, "must be a version number >= 1")
                .get();
    }

    private void version(Context ctx) {
        Params.locale(ctx);
        Set<String> expansion = Params.expansion(ctx, SegmentJson.EVERYTHING);
        ctx.json(
                SegmentJson.segment(
                        segments,
                        segments.version(principal(ctx), id(ctx), versionParam(ctx)),
                        expansion));
    }

    private void rollback(Context ctx) {
        Params.locale(ctx);
        Set<String> expansion = Params.expansion(ctx, SegmentJson.EVERYTHING);
        // An optional body {"version": n}, as a PUT's: roll back only if n is still current.
        Long expected = ctx.body().isBlank() ? null : SegmentInput.parseRollback(Bodies.json(ctx));
        answer(
                ctx,
                segments.edits()
                        .rollback(
                                principal(ctx),
                                id(ctx),
                                versionParam(ctx),
                                expected,
                                EntityTags.ifMatch(ctx),
                                Params.flag(ctx, "force")),
                expansion,
                200);
    }

    /** The size now and a series of entered, exited and size per period. */
    private void audience(Context ctx) {
        Params.locale(ctx);
        AudienceRecord.Granularity g =
                Params.enumValue(
                        ctx,
                        "granularity",
                        AudienceRecord.Granularity.class,
                        AudienceRecord.Granularity.DAY);
        Instant from = Params.instant(ctx, "from");
        Instant to = Params.instant(ctx, "to");
        if (from != null && to != null && !from.isBefore(to)) {
            throw ServiceException.badRequest("invalid_parameter", "from must be before to");
        }
        String id = id(ctx);
        ctx.json(SegmentJson.audience(id, segments.audience(principal(ctx), id, g, from, to)));
    }

    /** A page of the segment's members, from the newest members export that covers it. */
    private void members(Context ctx) {
        Params.locale(ctx);
        int limit = Params.integer(ctx, "limit", 1000, 1, 10_000);
        String cursor = ctx.queryParam("cursor");
        SegmentService.View v = segments.get(principal(ctx), id(ctx));
        MemberExports.Page page =
                exports.page(
                        v.segment().workspace(),
                        v.segment().id(),
                        limit,
                        cursor == null || cursor.isBlank() ? null : cursor);
        ctx.json(SegmentJson.members(v.segment().id(), page));
    }

    /** The segments that reference this one, in the list's shape. */
    private void dependents(Context ctx) {
        Params.locale(ctx);
        Set<String> expansion = Params.expansion(ctx, SegmentJson.EVERYTHING);
        ArrayNode out = Json.MAPPER.createArrayNode();
        for (SegmentService.View v : segments.dependents(principal(ctx), id(ctx))) {
            out.add(SegmentJson.segment(segments, v, expansion));
        }
        ctx.json(out);
    }

    private void propagation(Context ctx) {
        Params.locale(ctx);
        ctx.json(SegmentJson.propagation(segments.propagation(principal(ctx), id(ctx))));
    }

    /** The list's order: read as the other enumerated parameters are (trimmed, any case). */
    private enum SortDirection {
        ASC,
        DESC
    }
}
