package io.cohortflow.service.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cohortflow.core.contract.Json;
import io.cohortflow.service.ServiceException;
import io.cohortflow.service.segments.SegmentMetadata;
import io.cohortflow.service.store.StoredSegment;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The Tags and Shares endpoints the spec points to (Adobe's componentmetadata API), for segments.
 */
public final class MetadataController implements Controller {
    private final SegmentMetadata segments;

    public MetadataController(SegmentMetadata segments) {
        this.segments = segments;
    }

    @Override
    public void register(Router r) {
        r.route(ApiRoutes.LIST_TAGS, this::listTags);
        r.route(ApiRoutes.SEARCH_TAGS, this::searchTags);
        r.route(ApiRoutes.TAGS_BY_NAME, this::tagsByName);
        r.route(ApiRoutes.SET_TAGS, this::setTags);
        r.route(ApiRoutes.REMOVE_TAGS, this::removeTags);
        r.route(ApiRoutes.COMPONENT_SHARES, this::componentShares);
        r.route(ApiRoutes.CREATE_SHARE, this::createShare);
        r.route(ApiRoutes.DELETE_SHARE, this::deleteShare);
        r.route(ApiRoutes.SHARED_TO_ME, this::sharedToMe);
    }

    private static void segmentType(String type) {
        if (type == null || !type.equals("segment")) {
            throw ServiceException.badRequest(
                    "invalid_parameter", "componentType must be segment, got " + type);
        }
    }

    /**
     * {@code componentIds}, each once, in order: at most {@link SegmentMetadata#MAX_COMPONENTS}.
     */
    private static List<String> ids(Context ctx) {
        segmentType(ctx.queryParam("componentType"));
        List<String> ids = Params.list(ctx, "componentIds");
        if (ids == null || ids.isEmpty()) {
            throw ServiceException.badRequest("invalid_parameter", "componentIds is required");
        }
        // A repeated id names the same segment: once is the same answer, and one write at most.
        List<String> distinct = List.copyOf(new LinkedHashSet<>(ids));
        if (distinct.size() > SegmentMetadata.MAX_COMPONENTS) {
            throw ServiceException.badRequest(
                    "invalid_parameter",
                    "componentIds names "
                            + distinct.size()
                            + " segments; at most "
                            + SegmentMetadata.MAX_COMPONENTS
                            + " per request");
        }
        return distinct;
    }

    private void listTags(Context ctx) {
        int limit = Params.integer(ctx, "limit", 100, 1, 1000);
        int page = Params.integer(ctx, "page", 0, 0, 1_000_000);
        List<StoredSegment.Tag> all = segments.tags(SegmentsController.principal(ctx));
        int from = (int) Math.min(all.size(), (long) page * limit);
        ctx.header("X-Total-Count", Integer.toString(all.size()));
        ctx.json(SegmentJson.tags(all.subList(from, Math.min(all.size(), from + limit))));
    }

    private void tagsByName(Context ctx) {
        List<String> names = Params.list(ctx, "tagNames");
        if (names == null) {
            throw ServiceException.badRequest("invalid_parameter", "tagNames is required");
        }
        Set<String> wanted =
                Set.copyOf(names.stream().map(n -> n.toLowerCase(Locale.ROOT)).toList());
        ctx.json(
                SegmentJson.tags(
                        segments.tags(SegmentsController.principal(ctx)).stream()
                                .filter(t -> wanted.contains(t.name().toLowerCase(Locale.ROOT)))
                                .toList()));
    }

    private static ObjectNode tagItem(SegmentMetadata.TagItem t) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("componentType", "segment");
        o.put("componentId", t.componentId());
        o.set("tags", SegmentJson.tags(t.tags()));
        return o;
    }

    private void searchTags(Context ctx) {
        ArrayNode out = Json.MAPPER.createArrayNode();
        segments.tagsOf(SegmentsController.principal(ctx), ids(ctx))
                .forEach(t -> out.add(tagItem(t)));
        ctx.json(out);
    }

    private void setTags(Context ctx) throws Exception {
        JsonNode body = Bodies.json(ctx);
        if (!body.isArray() || body.isEmpty()) {
            throw ServiceException.badRequest(
                    "invalid_body",
                    "the body is a non-empty array of {componentType, componentId, tags: [{name}]}");
        }
        List<SegmentMetadata.TagItemInput> items = new ArrayList<>();
        for (int i = 0; i < body.size(); i++) {
            JsonNode item = body.get(i);
            String at = "/" + i;
            if (!item.isObject()
                    || !item.path("componentId").isTextual()
                    || !item.path("tags").isArray()) {
                throw ServiceException.badRequest(
                        "invalid_body", at + " needs componentType, componentId and tags[]");
            }
            item.fieldNames()
                    .forEachRemaining(
                            f -> {
                                if (!Set.of("componentType", "componentId", "tags").contains(f)) {
                                    throw ServiceException.badRequest(
                                            "invalid_body", at + "/" + f + " is not a known field");
                                }
                            });
            segmentType(item.path("componentType").asText(null));
            List<SegmentMetadata.TagInput> tags = new ArrayList<>();
            for (int j = 0; j < item.get("tags").size(); j++) {
                JsonNode t = item.get("tags").get(j);
                // Lengths and counts are the service's configurable limits (SegmentLimits).
                if (!t.path("name").isTextual() || t.get("name").asText().isBlank()) {
                    throw ServiceException.badRequest(
                            "invalid_body", at + "/tags/" + j + "/name must be a non-empty string");
                }
                tags.add(
                        new SegmentMetadata.TagInput(
                                t.get("name").asText(),
                                t.path("description").isTextual()
                                        ? t.get("description").asText()
                                        : null));
            }
            items.add(new SegmentMetadata.TagItemInput(item.get("componentId").asText(), tags));
        }
        var done = segments.setTags(SegmentsController.principal(ctx), items);
        App.async(
                ctx,
                done.thenAccept(
                        list -> {
                            ArrayNode out = Json.MAPPER.createArrayNode();
                            list.forEach(t -> out.add(tagItem(t)));
                            ctx.json(out);
                        }));
    }

    private void removeTags(Context ctx) {
        var done = segments.removeTags(SegmentsController.principal(ctx), ids(ctx));
        App.async(
                ctx,
                done.thenAccept(
                        v ->
                                ctx.json(
                                        Json.MAPPER
                                                .createObjectNode()
                                                .put("status", "ok")
                                                .put("message", "tags removed"))));
    }

    private void componentShares(Context ctx) {
        segmentType(ctx.pathParam("componentType"));
        ArrayNode out = Json.MAPPER.createArrayNode();
        segments.shares(SegmentsController.principal(ctx), ctx.pathParam("componentId"))
                .forEach(s -> out.add(SegmentJson.share(s)));
        ctx.json(out);
    }

    private void createShare(Context ctx) throws Exception {
        JsonNode b = Bodies.json(ctx);
        if (!b.isObject()) {
            throw ServiceException.badRequest(
                    "invalid_body",
                    "the body is {componentType, componentId, shareToId, shareToType}");
        }
        b.fieldNames()
                .forEachRemaining(
                        f -> {
                            if (!Set.of("componentType", "componentId", "shareToId", "shareToType")
                                    .contains(f)) {
                                throw ServiceException.badRequest(
                                        "invalid_body", "/" + f + " is not a known field");
                            }
                        });
        segmentType(b.path("componentType").asText(null));
        if (!b.path("componentId").isTextual()) {
            throw ServiceException.badRequest("invalid_body", "/componentId must be a string");
        }
        String type = b.path("shareToType").isTextual() ? b.get("shareToType").asText() : "user";
        if (type.equals("user") && !b.path("shareToId").isIntegralNumber()) {
            throw ServiceException.badRequest(
                    "invalid_body", "/shareToId must be the integer id of a user");
        }
        var done =
                segments.share(
                        SegmentsController.principal(ctx),
                        b.get("componentId").asText(),
                        b.path("shareToId").asLong(0),
                        type);
        App.async(ctx, done.thenAccept(s -> ctx.json(SegmentJson.share(s))));
    }

    private void deleteShare(Context ctx) {
        long shareId = ctx.pathParamAsClass("shareId", Long.class).get();
        var done = segments.unshare(SegmentsController.principal(ctx), shareId);
        App.async(
                ctx,
                done.thenAccept(
                        v ->
                                ctx.json(
                                        Json.MAPPER
                                                .createObjectNode()
                                                .put("status", "ok")
                                                .put("message", "share removed"))));
    }

    private void sharedToMe(Context ctx) {
        String type = ctx.queryParam("componentType");
        if (type != null) {
            segmentType(type);
        }
        ArrayNode out = Json.MAPPER.createArrayNode();
        segments.sharedToMe(SegmentsController.principal(ctx))
                .forEach(s -> out.add(SegmentJson.share(s)));
        ctx.json(out);
    }
}
