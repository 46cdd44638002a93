package io.cohortflow.service.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cohortflow.core.contract.Json;
import io.cohortflow.core.contract.MembersExport;
import io.cohortflow.core.definition.Problem;
import io.cohortflow.core.estimate.AudienceEstimate;
import io.cohortflow.core.estimate.Preview;
import io.cohortflow.core.eval.MembershipChange;
import io.cohortflow.core.validation.ValidationResult;
import io.cohortflow.service.Timestamps;
import io.cohortflow.service.segments.Audiences;
import io.cohortflow.service.segments.DraftEstimator;
import io.cohortflow.service.segments.DraftPreviews;
import io.cohortflow.service.segments.MemberExports;
import io.cohortflow.service.segments.SegmentInput;
import io.cohortflow.service.segments.SegmentMetadata;
import io.cohortflow.service.segments.SegmentService;
import io.cohortflow.service.store.StoredSegment;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The segment object of the spec. Without {@code expansion} a segment shows id, name, description,
 * rsid, owner id, created and version (and template/deleted when true); each expansion value adds
 * its field. Write endpoints answer with every field when no expansion is asked for, as the spec's
 * examples show.
 */
final class SegmentJson {
    private SegmentJson() {}

    static final Set<String> EVERYTHING =
            Set.of(
                    "reportSuiteName",
                    "ownerFullName",
                    "modified",
                    "tags",
                    "compatibility",
                    "definition",
                    "publishingStatus",
                    "definitionLastModified",
                    "categories");

    static ObjectNode segment(SegmentService svc, SegmentService.View v, Set<String> expansion) {
        StoredSegment s = v.segment();
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("id", s.id());
        o.put("name", s.name());
        if (s.description() != null) {
            o.put("description", s.description());
        }
        o.put("rsid", s.rsid());
        if (expansion.contains("reportSuiteName")) {
            o.put("reportSuiteName", svc.reportSuiteName(s.rsid()));
        }
        ObjectNode owner = o.putObject("owner");
        owner.put("id", s.owner().id());
        if (expansion.contains("ownerFullName")) {
            owner.put("name", s.owner().name());
            owner.put("login", s.owner().login());
        }
        if (expansion.contains("definition")) {
            o.set("definition", s.definition());
        }
        if (expansion.contains("compatibility")) {
            o.set("compatibility", compatibility(svc.compatibility(v)));
        }
        if (expansion.contains("tags")) {
            o.set("tags", tags(s.tags()));
        }
        if (expansion.contains("categories")) {
            ArrayNode c = o.putArray("categories");
            s.categories().forEach(c::add);
        }
        if (expansion.contains("publishingStatus")) {
            ObjectNode ps = o.putObject("publishingStatus");
            ps.put("published", s.published());
            ps.put("status", SegmentInput.status(s.published()));
        }
        if (expansion.contains("activations")) {
            o.set(
                    "activations",
                    Json.MAPPER.valueToTree(
                            s.activations() == null ? java.util.Map.of() : s.activations()));
        }
        if (expansion.contains("audienceSize") && !v.template()) {
            o.put("audienceSize", svc.audienceSize(v));
        }
        if (expansion.contains("audienceLastDay") && !v.template()) {
            Audiences.Day d = svc.audienceLastDay(v);
            o.putObject("audienceLastDay").put("entered", d.entered()).put("exited", d.exited());
        }
        if (expansion.contains("propagation") && !v.template()) {
            o.set("propagation", propagation(svc.propagationOf(v)));
        }
        if (expansion.contains("modified")) {
            o.put("modified", Timestamps.answer(s.modified()));
        }
        o.put("created", Timestamps.answer(s.created()));
        if (expansion.contains("definitionLastModified")) {
            o.put("definitionLastModified", Timestamps.answer(s.definitionLastModified()));
        }
        o.put("version", s.version());
        if (v.template()) {
            o.put("template", true);
        }
        if (s.deleted()) {
            o.put("deleted", true);
        }
        return o;
    }

    static ArrayNode tags(List<StoredSegment.Tag> tags) {
        ArrayNode a = Json.MAPPER.createArrayNode();
        tags.forEach(t -> a.add(Json.MAPPER.valueToTree(t)));
        return a;
    }

    /** Adobe's validation shape, snake_case, plus errors and warnings with pointers. */
    static ObjectNode compatibility(ValidationResult r) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("valid", r.valid());
        o.put("message", r.message());
        ArrayNode sp = o.putArray("supported_products");
        r.supportedProducts().forEach(sp::add);
        if (!r.unsupportedProducts().isEmpty()) {
            ArrayNode up = o.putArray("unsupported_products");
            r.unsupportedProducts()
                    .forEach(
                            u ->
                                    up.addObject()
                                            .put("product", u.product())
                                            .put("reason", u.reason()));
        }
        o.put("validator_version", r.validatorVersion());
        ArrayNode f = o.putArray("supported_features");
        r.supportedFeatures().forEach(f::add);
        if (r.evaluation() != null) {
            o.put("evaluation", r.evaluation());
        }
        o.set("errors", problems(r.errors()));
        o.set("warnings", problems(r.warnings()));
        return o;
    }

    private static ArrayNode problems(List<Problem> ps) {
        ArrayNode a = Json.MAPPER.createArrayNode();
        for (Problem p : ps) {
            a.addObject()
                    .put("severity", p.severity().name().toLowerCase(java.util.Locale.ROOT))
                    .put("code", p.code())
                    .put("pointer", p.pointer())
                    .put("message", p.message());
        }
        return a;
    }

    /** A segment's audience: its size now and the series asked for. */
    static ObjectNode audience(String id, Audiences.Audience a) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("id", id);
        o.put("size", a.size());
        if (a.asOf() == null) {
            o.putNull("asOf");
        } else {
            o.put("asOf", a.asOf().toString());
        }
        o.put("granularity", a.granularity().json());
        ArrayNode series = o.putArray("series");
        for (Audiences.Period p : a.series()) {
            series.addObject()
                    .put("start", p.start().toString())
                    .put("entered", p.entered())
                    .put("exited", p.exited())
                    .put("size", p.size());
        }
        return o;
    }

    static ObjectNode members(String id, MemberExports.Page page) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("id", id);
        o.putObject("export")
                .put("id", page.export().id())
                .put("asOf", page.export().snapshotAt())
                .put("createdAt", page.export().createdAt());
        ArrayNode members = o.putArray("members");
        for (MembersExport.Member m : page.members()) {
            members.addObject()
                    .put("userId", m.userId())
                    .put("enteredAt", m.enteredAt())
                    .put("version", m.version());
        }
        if (page.next() == null) {
            o.putNull("nextCursor");
        } else {
            o.put("nextCursor", page.next());
        }
        return o;
    }

    static ObjectNode estimate(DraftEstimator.Estimate e) {
        AudienceEstimate a = e.estimate();
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("size", a.size());
        o.put("exact", a.exact());
        o.putObject("interval")
                .put("low", a.low())
                .put("high", a.high())
                .put("confidence", a.confidence());
        o.putObject("sample")
                .put("users", a.sampled())
                .put("matched", a.matched())
                .put("population", a.population())
                .put("subtasks", e.subtasks());
        if (e.evaluatedAt() == null) {
            o.putNull("evaluatedAt");
        } else {
            o.put("evaluatedAt", e.evaluatedAt().toString());
        }
        o.put("durationMs", e.took().toMillis());
        return o;
    }

    static ObjectNode preview(DraftPreviews.Answer a) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("at", a.at().toString());
        ArrayNode users = o.putArray("users");
        for (DraftPreviews.UserPreview u : a.users()) {
            Preview.Result r = u.result();
            ObjectNode n = users.addObject();
            n.put("userId", u.userId());
            n.put("member", r.member());
            putInstant(n, "enteredAt", r.enteredAt());
            putInstant(n, "lapsesAt", r.lapsesAt());
            ArrayNode changes = n.putArray("changes");
            for (MembershipChange c : r.changes()) {
                changes.addObject()
                        .put("change", c.kind().json())
                        .put("time", Instant.ofEpochMilli(c.time()).toString());
            }
            ArrayNode ignored = n.putArray("ignored");
            for (Preview.Ignored i : r.ignored()) {
                ignored.addObject().put("index", i.index()).put("reason", i.reason());
            }
            n.set("explanation", Json.MAPPER.valueToTree(r.explanation()));
        }
        return o;
    }

    private static void putInstant(ObjectNode o, String field, @Nullable Long millis) {
        if (millis == null) {
            o.putNull(field);
        } else {
            o.put(field, Instant.ofEpochMilli(millis).toString());
        }
    }

    static ObjectNode propagation(SegmentService.Propagation p) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("id", p.id());
        o.put("version", p.version());
        o.put("offset", p.offset());
        o.put("live", p.live());
        o.put("inEffect", p.status().inEffect());
        if (p.status().inEffectAt() != null) {
            o.put("inEffectAt", p.status().inEffectAt());
        } else {
            o.putNull("inEffectAt");
        }
        o.put("applied", p.status().applied());
        if (p.status().appliedAt() != null) {
            o.put("appliedAt", p.status().appliedAt());
        } else {
            o.putNull("appliedAt");
        }
        o.put("subtasksReported", p.status().subtasksReported());
        o.put("parallelism", p.status().parallelism());
        if (p.status().rejected() != null) {
            o.put("rejected", p.status().rejected());
        }
        return o;
    }

    static ObjectNode share(SegmentMetadata.ShareView s) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("shareId", s.share().shareId());
        o.put("componentType", "segment");
        o.put("componentId", s.componentId());
        o.put("shareToId", s.share().shareToId());
        o.put("shareToType", s.share().shareToType());
        o.put("created", Timestamps.answer(s.share().created()));
        return o;
    }
}
