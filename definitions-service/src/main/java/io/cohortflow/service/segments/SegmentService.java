package io.cohortflow.service.segments;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.contract.AudienceRecord;
import io.cohortflow.core.definition.DefinitionWriter;
import io.cohortflow.core.definition.Problem;
import io.cohortflow.core.eval.EngineConfig;
import io.cohortflow.core.validation.DefinitionValidator;
import io.cohortflow.core.validation.ValidationResult;
import io.cohortflow.service.ServiceException;
import io.cohortflow.service.auth.Principal;
import io.cohortflow.service.auth.Role;
import io.cohortflow.service.store.DefinitionStore;
import io.cohortflow.service.store.PropagationTracker;
import io.cohortflow.service.store.StoredSegment;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * The Segments API's behaviour, free of HTTP: visibility and permissions, listing, every kind of
 * edit as a new immutable version written through the {@link DefinitionStore}, validation,
 * versions, tags, shares and propagation status.
 *
 * <p>Visibility: a principal sees its own segments, those shared with it (to its owner id or to the
 * whole workspace) and the templates; an admin sees every segment of its workspace. Editing needs
 * the write role and ownership, or the admin role. Templates are never editable.
 */
public final class SegmentService {
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A segment with the log offset of its current version (-1 for templates). */
    public record View(StoredSegment segment, long offset, boolean template) {}

    /** One entry of a version list. */
    public record VersionInfo(
            long version,
            String change,
            String modified,
            StoredSegment.Owner modifiedBy,
            String name,
            boolean published,
            boolean deleted,
            boolean current) {}

    /** Propagation of a segment's current version to the job. */
    public record Propagation(
            String id, long version, long offset, boolean live, PropagationTracker.Status status) {}

    private final SegmentMetadata metadata;
    private final DefinitionStore store;
    private final PropagationTracker propagation;
    private final Templates templates;
    private final Map<String, String> dataViews;
    private final DefinitionValidator validator;
    private final References references;
    private final Dependents dependents;
    private final Audiences audiences;
    private final SegmentLimits limits;
    private final Clock clock;

    public SegmentService(
            DefinitionStore store,
            PropagationTracker propagation,
            Templates templates,
            Map<String, String> dataViews,
            SegmentLimits limits,
            Audiences audiences,
            Clock clock) {
        this.store = store;
        this.audiences = audiences;
        this.propagation = propagation;
        this.templates = templates;
        this.dataViews = Map.copyOf(dataViews);
        this.validator = new DefinitionValidator(limits.guardrails(), EngineConfig.DEFAULT);
        this.references = new References(store, templates);
        this.dependents = new Dependents(store);
        this.limits = limits;
        this.metadata = new SegmentMetadata(this, store, limits);
        this.clock = clock;
    }

    /** Tags and shares of the segments, under the same access rules. */
    public SegmentMetadata metadata() {
        return metadata;
    }

    // ---- reads ----

    /** GET /segments: the caller's own, shared and template segments the query selects. */
    public SegmentList.Page<View> listPage(Principal p, SegmentList.Query q) {
        Set<SegmentList.IncludeType> include = q.include();
        if (include.contains(SegmentList.IncludeType.ALL) && !p.can(Role.ADMIN)) {
            throw ServiceException.forbidden("includeType=all needs the admin role");
        }
        Stream<View> own =
                store.all(p.workspace()).stream()
                        .map(e -> new View(e.segment(), e.offset(), false))
                        .filter(v -> !v.segment().deleted())
                        .filter(
                                v ->
                                        include.contains(SegmentList.IncludeType.ALL)
                                                || v.segment().owner().id() == p.ownerId()
                                                || include.contains(SegmentList.IncludeType.SHARED)
                                                        && sharedWith(v.segment(), p));
        Stream<View> tpl =
                include.contains(SegmentList.IncludeType.TEMPLATES)
                        ? templates.all().stream().map(t -> new View(t, -1, true))
                        : Stream.empty();
        return SegmentList.page(Stream.concat(own, tpl), View::segment, q);
    }

    /** One segment, deleted ones included (a soft delete keeps it readable by id). */
    public View get(Principal p, String id) {
        Optional<StoredSegment> t = templates.get(id);
        if (t.isPresent()) {
            return new View(t.get(), -1, true);
        }
        DefinitionStore.Entry e =
                store.get(p.workspace(), id)
                        .orElseThrow(() -> ServiceException.notFound("segment " + id));
        if (!canSee(p, e.segment())) {
            throw ServiceException.forbidden(
                    "segment " + id + " is neither yours nor shared with you");
        }
        return new View(e.segment(), e.offset(), false);
    }

    public String reportSuiteName(String rsid) {
        return dataViews.getOrDefault(rsid, rsid);
    }

    public Map<String, String> dataViews() {
        return dataViews;
    }

    /**
     * Whether {@code s} is shared with the caller: with everyone, or with the caller's owner id.
     */
    static boolean sharedWith(StoredSegment s, Principal p) {
        return s.shares().stream().anyMatch(sh -> sharesWith(sh, p));
    }

    /** Whether one share reaches the caller: the one rule for listing and for access. */
    static boolean sharesWith(StoredSegment.Share sh, Principal p) {
        return sh.shareToType().equals("all")
                || sh.shareToType().equals("user") && sh.shareToId() == p.ownerId();
    }

    static boolean canSee(Principal p, StoredSegment s) {
        return s.owner().id() == p.ownerId() || p.can(Role.ADMIN) || sharedWith(s, p);
    }

    DefinitionStore.Entry editable(Principal p, String id) {
        if (templates.get(id).isPresent()) {
            throw new ServiceException(
                    403,
                    "template_read_only",
                    "templates are read-only; create a segment from its definition");
        }
        if (!p.can(Role.WRITE)) {
            throw ServiceException.forbidden("this API key has the read role only");
        }
        DefinitionStore.Entry e =
                store.get(p.workspace(), id)
                        .orElseThrow(() -> ServiceException.notFound("segment " + id));
        if (e.segment().owner().id() != p.ownerId() && !p.can(Role.ADMIN)) {
            throw ServiceException.forbidden("only the owner or an admin can change segment " + id);
        }
        return e;
    }

    static void notDeleted(StoredSegment s) {
        if (s.deleted()) {
            throw new ServiceException(
                    404,
                    "deleted",
                    "segment " + s.id() + " is deleted; roll back to a version to restore it");
        }
    }

    // ---- validation ----

    /** POST /segments/validate: the definition as a draft of the workspace. */
    public ValidationResult validate(Principal p, String rsid, @Nullable JsonNode definition) {
        requireDataView(rsid);
        return validator.validate(definition, references.target(p.workspace(), null));
    }

    /**
     * A draft for an estimate or a preview: validated for the caller's workspace like a write (400
     * with pointers), in its canonical form.
     */
    public JsonNode draft(Principal p, @Nullable JsonNode definition) {
        if (definition == null || definition.isNull() || definition.isMissingNode()) {
            throw new ServiceException(
                    400,
                    "invalid_definition",
                    "definition is required",
                    List.of(
                            SegmentInput.problem(
                                    "/definition", "required", "definition is required")));
        }
        return canonical(p.workspace(), null, definition);
    }

    /** The compatibility of a stored or template segment, against the current store. */
    public ValidationResult compatibility(View v) {
        return validator.validate(
                v.segment().definition(),
                references.target(v.template() ? "*" : v.segment().workspace(), v.segment().id()));
    }

    private void requireDataView(@Nullable String rsid) {
        if (rsid == null || rsid.isBlank()) {
            throw ServiceException.badRequest(
                    "missing_rsid", "rsid (the data view id) is required");
        }
        if (!dataViews.containsKey(rsid)) {
            throw ServiceException.badRequest(
                    "unknown_rsid",
                    "unknown data view '" + rsid + "'; this workspace has " + dataViews.keySet());
        }
    }

    /** Validates for a write and returns the canonical form, or throws 400/413 with pointers. */
    private JsonNode canonical(String workspace, @Nullable String selfId, JsonNode definition) {
        ValidationResult r = validator.validate(definition, references.target(workspace, selfId));
        if (!r.valid()) {
            List<Map<String, Object>> details = new ArrayList<>();
            for (Problem pr : r.errors()) {
                details.add(
                        SegmentInput.problem(
                                "/definition" + pr.pointer(), pr.code(), pr.message()));
            }
            throw new ServiceException(400, "invalid_definition", r.message(), details);
        }
        JsonNode canonical = DefinitionWriter.write(r.definition());
        limits.checkDefinition(canonical);
        return canonical;
    }

    // ---- writes ----

    String now() {
        return Instant.now(clock).truncatedTo(ChronoUnit.MILLIS).toString();
    }

    static StoredSegment.Owner owner(Principal p) {
        return new StoredSegment.Owner(p.ownerId(), p.ownerName(), p.ownerLogin());
    }

    public CompletableFuture<View> create(Principal p, SegmentInput in) {
        if (!p.can(Role.WRITE)) {
            throw ServiceException.forbidden("this API key has the read role only");
        }
        List<Map<String, Object>> missing = new ArrayList<>();
        if (in.name() == null) {
            missing.add(SegmentInput.problem("/name", "required", "name is required"));
        }
        if (in.rsid() == null) {
            missing.add(SegmentInput.problem("/rsid", "required", "rsid is required"));
        }
        if (in.definition() == null) {
            missing.add(SegmentInput.problem("/definition", "required", "definition is required"));
        }
        if (!missing.isEmpty()) {
            throw new ServiceException(
                    400, "missing_field", missing.get(0).get("message") + "", missing);
        }
        requireDataView(in.rsid());
        limits.checkInput(in);
        String id = newId(p.workspace());
        JsonNode def = canonical(p.workspace(), id, in.definition());
        String now = now();
        StoredSegment s =
                new StoredSegment(
                        p.workspace(),
                        id,
                        1,
                        0,
                        in.published() == null || in.published(),
                        false,
                        def,
                        in.activations(),
                        in.name(),
                        in.description(),
                        in.rsid(),
                        owner(p),
                        List.of(),
                        in.categories() == null ? List.of() : in.categories(),
                        List.of(),
                        now,
                        now,
                        now,
                        owner(p),
                        "create");
        return write(s, null);
    }

    /** Writes a version within the record budget (see {@link SegmentLimits}). */
    CompletableFuture<DefinitionStore.Entry> writeWithinBudget(
            StoredSegment next, @Nullable StoredSegment current) {
        if (!next.change().equals("delete")) {
            limits.checkRecord(next, current);
        }
        return store.write(next);
    }

    private CompletableFuture<View> write(StoredSegment next, @Nullable StoredSegment current) {
        return writeWithinBudget(next, current)
                .thenApply(e -> new View(e.segment(), e.offset(), false));
    }

    private static void checkExpected(StoredSegment current, @Nullable Long expected) {
        if (expected != null && expected != current.version()) {
            throw new ServiceException(
                    409,
                    "version_conflict",
                    "segment "
                            + current.id()
                            + " is at version "
                            + current.version()
                            + ", not "
                            + expected);
        }
    }

    /**
     * PUT: a partial update; only the fields present change. Unpublishing a segment that published
     * segments reference needs {@code force}.
     */
    public CompletableFuture<View> update(Principal p, String id, SegmentInput in, boolean force) {
        StoredSegment cur = editable(p, id).segment();
        notDeleted(cur);
        if (!force && cur.published() && Boolean.FALSE.equals(in.published())) {
            dependents.requireNone(p, cur, "unpublish", true);
        }
        checkExpected(cur, in.expectedVersion());
        limits.checkInput(in);
        StoredSegment.Builder b = cur.next("update", owner(p), now());
        if (in.name() != null) {
            b.name = in.name();
        }
        if (in.hasDescription()) {
            b.description = in.description();
        }
        if (in.rsid() != null) {
            requireDataView(in.rsid());
            b.rsid = in.rsid();
        }
        if (in.definition() != null) {
            JsonNode def = canonical(p.workspace(), id, in.definition());
            b.definition = def;
        }
        if (in.published() != null) {
            b.published = in.published();
        }
        if (in.categories() != null) {
            b.categories = in.categories();
        }
        if (in.activations() != null) {
            b.activations = in.activations();
        }
        return write(b.build(), cur);
    }

    /** Soft delete; a segment that others reference needs {@code force}. */
    public CompletableFuture<View> delete(Principal p, String id, boolean force) {
        StoredSegment cur = editable(p, id).segment();
        notDeleted(cur);
        if (!force) {
            dependents.requireNone(p, cur, "delete", false);
        }
        StoredSegment.Builder b = cur.next("delete", owner(p), now());
        b.deleted = true;
        return write(b.build(), cur);
    }

    /** Publish or unpublish; unpublishing one that published segments reference needs force. */
    public CompletableFuture<View> publish(
            Principal p, String id, boolean published, boolean force) {
        StoredSegment cur = editable(p, id).segment();
        notDeleted(cur);
        if (!published && !force && cur.published()) {
            dependents.requireNone(p, cur, "unpublish", true);
        }
        if (published && cur.definition() != null) {
            // Going live: its references must still be live too (they may have changed since).
            canonical(p.workspace(), id, cur.definition());
        }
        StoredSegment.Builder b = cur.next(published ? "publish" : "unpublish", owner(p), now());
        b.published = published;
        return write(b.build(), cur);
    }

    // ---- versions ----

    /** The versions the store keeps, newest first; a template has its one. */
    private List<StoredSegment> versionsOf(View v) {
        StoredSegment s = v.segment();
        return v.template() ? List.of(s) : store.versions(s.workspace(), s.id());
    }

    public List<VersionInfo> versions(Principal p, String id) {
        View v = get(p, id);
        long current = v.segment().version();
        return versionsOf(v).stream()
                .map(
                        s ->
                                new VersionInfo(
                                        s.version(),
                                        s.change(),
                                        s.modified(),
                                        s.modifiedBy(),
                                        s.name(),
                                        s.published(),
                                        s.deleted(),
                                        s.version() == current))
                .toList();
    }

    public View version(Principal p, String id, long version) {
        View v = get(p, id);
        return versionsOf(v).stream()
                .filter(s -> s.version() == version)
                .findFirst()
                .map(
                        s ->
                                new View(
                                        s,
                                        v.segment().version() == version ? v.offset() : -1,
                                        v.template()))
                .orElseThrow(
                        () ->
                                ServiceException.notFound(
                                        "version " + version + " of segment " + id));
    }

    /**
     * A new version whose content (not tags or shares) is that of {@code version}, validated like
     * any write: the other segments have changed since, so the old definition may now close a
     * cycle, name a segment that is gone or unpublished, or exceed the guardrails.
     */
    public CompletableFuture<View> rollback(Principal p, String id, long version, boolean force) {
        StoredSegment cur = editable(p, id).segment();
        StoredSegment old =
                store.versions(p.workspace(), id).stream()
                        .filter(s -> s.version() == version)
                        .findFirst()
                        .orElseThrow(
                                () ->
                                        ServiceException.notFound(
                                                "version " + version + " of segment " + id));
        if (old.deleted()) {
            throw ServiceException.badRequest(
                    "invalid_version",
                    "version " + version + " is a deletion; roll back to a version before it");
        }
        requireDataView(old.rsid());
        limits.checkRestored(old);
        if (!force && cur.published() && !cur.deleted() && !old.published()) {
            dependents.requireNone(p, cur, "roll back to an unpublished version", true);
        }
        StoredSegment.Builder b = cur.next("rollback", owner(p), now());
        b.name = old.name();
        b.description = old.description();
        b.rsid = old.rsid();
        b.published = old.published();
        b.deleted = false;
        b.categories = old.categories();
        b.activations = old.activations();
        if (old.definition() != null) {
            b.definition = canonical(p.workspace(), id, old.definition());
        }
        return write(b.build(), cur);
    }

    // ---- propagation ----

    /** The members of a visible segment now, as the job counted them (0 for a template). */
    public long audienceSize(View v) {
        return v.template() ? 0 : audiences.size(v.segment().workspace(), v.segment().id());
    }

    /** The audience of a segment the caller may see: the size now and a series of periods. */
    public Audiences.Audience audience(
            Principal p,
            String id,
            AudienceRecord.Granularity granularity,
            @Nullable Instant from,
            @Nullable Instant to) {
        View v = get(p, id);
        if (v.template()) {
            return new Audiences.Audience(0, null, granularity, List.of());
        }
        return audiences.audience(p.workspace(), id, granularity, from, to);
    }

    /** The segments that reference this one directly, those the caller may see; deleted aside. */
    public List<View> dependents(Principal p, String id) {
        StoredSegment s = get(p, id).segment();
        return dependents.of(s.workspace(), s.id(), false).stream()
                .filter(d -> canSee(p, d))
                .map(d -> get(p, d.id()))
                .toList();
    }

    public Propagation propagation(Principal p, String id) {
        View v = get(p, id);
        return propagationOf(v);
    }

    public Propagation propagationOf(View v) {
        StoredSegment s = v.segment();
        PropagationTracker.Status st =
                v.template()
                        ? PropagationTracker.Status.NONE
                        : propagation.status(s.workspace(), s.id(), s.version(), v.offset());
        // A version the job refused is not live, whatever its flags say.
        boolean live = s.published() && !s.deleted() && st.rejected() == null;
        return new Propagation(s.id(), s.version(), v.offset(), live, st);
    }

    private static String newId(String workspace) {
        byte[] b = new byte[12];
        RANDOM.nextBytes(b);
        return "s"
                + Integer.toUnsignedString(workspace.hashCode() % 1_000_000_000 & 0x7fffffff)
                + "_"
                + HexFormat.of().formatHex(b);
    }
}
