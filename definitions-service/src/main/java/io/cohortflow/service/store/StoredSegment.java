package io.cohortflow.service.store;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.contract.Keys;
import java.util.List;
import java.util.Map;
import javax.annotation.Nullable;

/**
 * One record of the definitions topic as the service writes it: a superset of core's {@code
 * SegmentRecord} (same names for the fields the job reads) plus everything the Segments API shows.
 * Immutable; each edit is a new record with {@code version = replaces + 1}.
 *
 * @param change what this version did: create, update, delete, publish, unpublish, tags, shares,
 *     rollback
 * @param history the previous versions, newest first, without their own history; kept inside the
 *     record because compaction keeps only the latest record of a key
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record StoredSegment(
        @JsonProperty("workspace") String workspace,
        @JsonProperty("id") String id,
        @JsonProperty("version") long version,
        @JsonProperty("replaces") long replaces,
        @JsonProperty("published") boolean published,
        @JsonProperty("deleted") boolean deleted,
        @JsonProperty("definition") @Nullable JsonNode definition,
        @JsonProperty("activations") @Nullable Map<String, Boolean> activations,
        @JsonProperty("name") String name,
        @JsonProperty("description") @Nullable String description,
        @JsonProperty("rsid") String rsid,
        @JsonProperty("owner") Owner owner,
        @JsonProperty("tags") List<Tag> tags,
        @JsonProperty("categories") List<String> categories,
        @JsonProperty("shares") List<Share> shares,
        @JsonProperty("created") String created,
        @JsonProperty("modified") String modified,
        @JsonProperty("definitionLastModified") String definitionLastModified,
        @JsonProperty("modifiedBy") Owner modifiedBy,
        @JsonProperty("change") String change,
        @JsonProperty("history") @Nullable List<StoredSegment> history) {

    public StoredSegment {
        tags = tags == null ? List.of() : List.copyOf(tags);
        categories = categories == null ? List.of() : List.copyOf(categories);
        shares = shares == null ? List.of() : List.copyOf(shares);
    }

    /** Adobe's owner object. */
    public record Owner(
            @JsonProperty("id") long id,
            @JsonProperty("name") String name,
            @JsonProperty("login") String login) {}

    /** A tag; its id is derived from the workspace and the name, so every replica agrees. */
    public record Tag(
            @JsonProperty("id") long id,
            @JsonProperty("name") String name,
            @JsonProperty("description") @Nullable String description) {}

    /**
     * A share of the segment.
     *
     * @param shareToType {@code user} (to the owner id {@code shareToId}) or {@code all} (the whole
     *     workspace)
     */
    public record Share(
            @JsonProperty("shareId") long shareId,
            @JsonProperty("shareToId") long shareToId,
            @JsonProperty("shareToType") String shareToType,
            @JsonProperty("created") String created) {}

    public String key() {
        return Keys.of(workspace, id);
    }

    /** This version without its history: what {@link #history} holds. */
    public StoredSegment snapshot() {
        return new StoredSegment(
                workspace,
                id,
                version,
                replaces,
                published,
                deleted,
                definition,
                activations,
                name,
                description,
                rsid,
                owner,
                tags,
                categories,
                shares,
                created,
                modified,
                definitionLastModified,
                modifiedBy,
                change,
                null);
    }

    /**
     * The next version of this segment: the caller fills the content, this fills the bookkeeping
     * (version, replaces, history capped at {@code maxVersions} - 1 older entries).
     */
    public Builder next(String change, Owner by, String now, int maxVersions) {
        return new Builder(this, change, by, now, maxVersions);
    }

    /** Mutable only while one edit is composed. */
    public static final class Builder {
        private final StoredSegment base;
        private final String change;
        private final Owner by;
        private final String now;
        private final int maxVersions;
        public boolean published;
        public boolean deleted;
        public @Nullable JsonNode definition;
        public @Nullable Map<String, Boolean> activations;
        public String name;
        public @Nullable String description;
        public String rsid;
        public List<Tag> tags;
        public List<String> categories;
        public List<Share> shares;

        Builder(StoredSegment base, String change, Owner by, String now, int maxVersions) {
            this.base = base;
            this.change = change;
            this.by = by;
            this.now = now;
            this.maxVersions = maxVersions;
            published = base.published;
            deleted = base.deleted;
            definition = base.definition;
            activations = base.activations;
            name = base.name;
            description = base.description;
            rsid = base.rsid;
            tags = base.tags;
            categories = base.categories;
            shares = base.shares;
        }

        public StoredSegment build() {
            List<StoredSegment> older = base.history == null ? List.of() : base.history;
            java.util.ArrayList<StoredSegment> h = new java.util.ArrayList<>();
            h.add(base.snapshot());
            for (StoredSegment s : older) {
                if (h.size() >= maxVersions - 1) {
                    break;
                }
                h.add(s);
            }
            return new StoredSegment(
                    base.workspace,
                    base.id,
                    base.version + 1,
                    base.version,
                    published,
                    deleted,
                    definition,
                    activations,
                    name,
                    description,
                    rsid,
                    base.owner,
                    tags,
                    categories,
                    shares,
                    base.created,
                    now,
                    java.util.Objects.equals(definition, base.definition)
                            ? base.definitionLastModified
                            : now,
                    by,
                    change,
                    maxVersions > 1 ? List.copyOf(h) : List.of());
        }
    }
}
