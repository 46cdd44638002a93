package io.cohortflow.service.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cohortflow.core.contract.Json;
import io.cohortflow.service.ServiceException;
import io.cohortflow.service.segments.SegmentInput;
import io.cohortflow.service.segments.SegmentMetadata;
import io.cohortflow.service.store.StoredSegment;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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

    /** The fields of a tag object: {@code id} as a read answered it, ignored (the name sets it). */
    private static final Set<String> TAG_FIELDS = Set.of("name", "description", "id");

    private void setTags(Context ctx) throws Exception {
        JsonNode body = Bodies.json(ctx);
        if (!body.isArray() || body.isEmpty()) {
            throw ServiceException.badRequest(
                    "invalid_body",
                    "the body is a non-empty array of {componentType, componentId, tags: [{name}]}");
        }
        // Types and fields here; what a tag's name may be, and the limits, are the service's.
        Problems problems = new Problems();
        for (int i = 0; i < body.size(); i++) {
            JsonNode item = body.get(i);
            String at = "/" + i;
            if (!item.isObject()) {
                problems.add(
                        at,
                        "wrong_type",
                        "an item is an object {componentType, componentId, tags}");
                continue;
            }
            problems.unknownFields(item, at, Set.of("componentType", "componentId", "tags"));
            if (!item.path("componentId").isTextual()) {
                problems.add(at + "/componentId", "wrong_type", "componentId must be a string");
            }
            if (!item.path("tags").isArray()) {
                problems.add(at + "/tags", "wrong_type", "tags must be an array of {name}");
                continue;
            }
            for (int j = 0; j < item.get("tags").size(); j++) {
                JsonNode t = item.get("tags").get(j);
                String tat = at + "/tags/" + j;
                if (!t.isObject()) {
                    problems.add(tat, "wrong_type", "a tag is an object {name, description}");
                    continue;
                }
                problems.unknownFields(t, tat, TAG_FIELDS);
                if (!t.path("name").isTextual()) {
                    problems.add(tat + "/name", "wrong_type", "a tag's name must be a string");
                }
                JsonNode d = t.path("description");
                if (!d.isMissingNode() && !d.isNull() && !d.isTextual()) {
                    problems.add(
                            tat + "/description",
                            "wrong_type",
                            "a tag's description must be a string");
                }
            }
        }
        problems.throwIfAny();
        List<SegmentMetadata.TagItemInput> items = new ArrayList<>();
        for (JsonNode item : body) {
            segmentType(item.path("componentType").asText(null));
            List<SegmentMetadata.TagInput> tags = new ArrayList<>();
            for (JsonNode t : item.get("tags")) {
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
        // Types and fields here; which ids and types may be shared to is the service's.
        Problems problems = new Problems();
        problems.unknownFields(
                b, "", Set.of("componentType", "componentId", "shareToId", "shareToType"));
        if (!b.path("componentId").isTextual()) {
            problems.add("/componentId", "wrong_type", "componentId must be a string");
        }
        JsonNode typeNode = b.path("shareToType");
        if (!typeNode.isMissingNode() && !typeNode.isTextual()) {
            problems.add("/shareToType", "wrong_type", "shareToType must be user or all");
        }
        String type = typeNode.isTextual() ? typeNode.asText() : "user";
        JsonNode to = b.path("shareToId");
        // With the whole org ("all") there is no user: the id is ignored, whatever it holds.
        if (type.equals("user")
                && (to.isMissingNode() || !(to.isIntegralNumber() && to.canConvertToLong()))) {
            problems.add("/shareToId", "wrong_type", "shareToId must be the integer id of a user");
        }
        problems.throwIfAny();
        segmentType(b.path("componentType").asText(null));
        var done =
                segments.share(
                        SegmentsController.principal(ctx),
                        b.get("componentId").asText(),
                        to.asLong(0),
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

    /**
     * A body's problems, each with its pointer, answered together as one 400 {@code invalid_body}
     * as {@link SegmentInput} answers a segment's body; at most ten are kept.
     */
    private static final class Problems {
        private final List<Map<String, Object>> list = new ArrayList<>();

        void add(String pointer, String code, String message) {
            if (list.size() < 10) {
                list.add(SegmentInput.problem(pointer, code, message));
            }
        }

        void unknownFields(JsonNode object, String at, Set<String> known) {
            object.fieldNames()
                    .forEachRemaining(
                            f -> {
                                if (!known.contains(f)) {
                                    add(at + "/" + f, "unknown_field", "unknown field " + f);
                                }
                            });
        }

        void throwIfAny() {
            if (list.isEmpty()) {
                return;
            }
            String first = (String) list.get(0).get("message");
            throw new ServiceException(
                    400,
                    "invalid_body",
                    list.size() == 1 ? first : "problems in the body; the first: " + first,
                    list);
        }
    }
}
