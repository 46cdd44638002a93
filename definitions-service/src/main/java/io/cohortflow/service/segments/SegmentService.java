package io.cohortflow.service.segments;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.contract.AudienceRecord;
import io.cohortflow.core.definition.Definition;
import io.cohortflow.core.validation.ValidationResult;
import io.cohortflow.service.ServiceException;
import io.cohortflow.service.auth.Principal;
import io.cohortflow.service.auth.Role;
import io.cohortflow.service.store.DefinitionStore;
import io.cohortflow.service.store.PropagationTracker;
import io.cohortflow.service.store.StoredSegment;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * The Segments API's reads, free of HTTP: visibility and permissions, listing, validation (judged
 * by {@link DefinitionChecks}), versions, audiences, dependents and propagation status. Edits are
 * {@link SegmentEdits}', tags and shares {@link SegmentMetadata}'s.
 *
 * <p>Visibility: a principal sees its own segments, those shared with it (to its owner id or to the
 * whole workspace) and the templates; an admin sees every segment of its workspace. Editing needs
 * the write role and ownership, or the admin role. Templates are never editable.
 */
public final class SegmentService {
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
    private final SegmentEdits edits;
    private final DefinitionStore store;
    private final PropagationTracker propagation;
    private final Templates templates;
    private final Map<String, String> dataViews;
    private final DefinitionChecks checks;
    private final Dependents dependents;
    private final Audiences audiences;

    public SegmentService(
            DefinitionStore store,
            PropagationTracker propagation,
            Templates templates,
            Map<String, String> dataViews,
            SegmentLimits limits,
            Audiences audiences,
            Duration horizon,
            EventAttributes attributes,
            Clock clock) {
        this.store = store;
        this.audiences = audiences;
        this.propagation = propagation;
        this.templates = templates;
        this.dataViews = Map.copyOf(dataViews);
        this.dependents = new Dependents(store);
        this.checks =
                new DefinitionChecks(
                        limits, horizon, new References(store, templates, attributes), dependents);
        this.edits = new SegmentEdits(this, checks, store, limits, dependents, clock);
        this.metadata = new SegmentMetadata(this, edits, store, limits);
    }

    /** Every edit of a segment: create, update, delete, publish, roll back. */
    public SegmentEdits edits() {
        return edits;
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
        if (q.rsids() != null) {
            q.rsids().forEach(this::requireDataView); // a typo would answer an empty list
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
        requireVisible(p, e.segment());
        return new View(e.segment(), e.offset(), false);
    }

    /**
     * For an API that answers about a segment of the caller's workspace by id and would show its
     * definition (the explanation of {@code GET /ccs/v1/users/{u}/explain}): 403 as {@link #get}
     * answers when the workspace has segment {@code id} and the caller may not see it; nothing
     * otherwise, an id the workspace does not have being that API's to answer (unknown there).
     */
    public void requireVisibleIfStored(Principal p, String id) {
        store.get(p.workspace(), id).ifPresent(e -> requireVisible(p, e.segment()));
    }

    private static void requireVisible(Principal p, StoredSegment s) {
        if (!canSee(p, s)) {
            throw ServiceException.forbidden(
                    "segment " + s.id() + " is neither yours nor shared with you");
        }
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

    /**
     * The one access rule of a segment: its owner, an admin of its workspace, and those it is
     * shared with may see it (read it, and name it in a {@code segment-ref}: {@link References}).
     */
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

    /**
     * POST /segments/validate: the definition as a draft of the workspace, as the caller sends it
     * (its {@code segment-ref}s may name only segments the caller may see: {@link References}).
     */
    public ValidationResult validate(Principal p, String rsid, @Nullable JsonNode definition) {
        requireDataView(rsid);
        return checks.validate(p, definition);
    }

    /**
     * A draft for an estimate or a preview: validated for the caller's workspace like a write (400
     * with pointers), in its canonical form.
     */
    public JsonNode draft(Principal p, @Nullable JsonNode definition) {
        return checks.draft(p, definition);
    }

    /**
     * A draft validated like {@link #draft} with its {@code segment-ref}s inlined from the
     * workspace's live segments, as the job resolves them: what a preview evaluates. Its own
     * references name segments the caller may see, as {@link #draft} checked.
     */
    public Definition resolvedDraft(Principal p, @Nullable JsonNode definition) {
        return checks.resolvedDraft(p, definition);
    }

    /** The compatibility of a stored or template segment, against the current store. */
    public ValidationResult compatibility(View v) {
        return checks.compatibility(v);
    }

    void requireDataView(@Nullable String rsid) {
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

    // ---- versions ----

    /** The versions the store keeps, newest first; a template has its one. */
    List<StoredSegment> versionsOf(View v) {
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

    // ---- propagation ----

    /** The members of a visible segment now, as the job counted them (0 for a template). */
    public long audienceSize(View v) {
        return v.template() ? 0 : audiences.size(v.segment().workspace(), v.segment().id());
    }

    /** What entered and exited a visible segment over its last day (none for a template). */
    public Audiences.Day audienceLastDay(View v) {
        return v.template()
                ? new Audiences.Day(0, 0)
                : audiences.lastDay(v.segment().workspace(), v.segment().id());
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
}
