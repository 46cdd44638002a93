package io.cohortflow.service.api;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Every route the service serves, with the query parameters it accepts: the one table that the app
 * registers from, that rejects unknown parameters (a typo like {@code sortProprety} is a 400, not
 * silently ignored) and that the OpenAPI coverage test compares with the document.
 */
public final class ApiRoutes {
    private ApiRoutes() {}

    public enum Method {
        GET,
        POST,
        PUT,
        DELETE
    }

    /**
     * @param authenticated whether the route needs API credentials (and counts against limits)
     */
    public record Route(Method method, String path, Set<String> query, boolean authenticated) {}

    static final Set<String> LOCALE = Set.of("locale");
    static final Set<String> LOCALE_EXPANSION = Set.of("locale", "expansion");
    static final Set<String> LOCALE_EXPANSION_FORCE = Set.of("locale", "expansion", "force");

    public static final Route LIST_SEGMENTS =
            new Route(
                    Method.GET,
                    "/segments",
                    Set.of(
                            "segmentFilter",
                            "locale",
                            "name",
                            "tagNames",
                            "filterByPublishedSegments",
                            "limit",
                            "page",
                            "sortDirection",
                            "sortProperty",
                            "expansion",
                            "includeType",
                            "rsids"),
                    true);
    public static final Route CREATE_SEGMENT =
            new Route(Method.POST, "/segments", LOCALE_EXPANSION, true);
    public static final Route VALIDATE =
            new Route(Method.POST, "/segments/validate", Set.of("rsid", "locale"), true);
    public static final Route ESTIMATE =
            new Route(Method.POST, "/segments/estimate", Set.of("sample", "locale"), true);
    public static final Route PREVIEW =
            new Route(Method.POST, "/segments/preview", Set.of("locale"), true);
    public static final Route GET_SEGMENT =
            new Route(Method.GET, "/segments/{id}", LOCALE_EXPANSION, true);
    public static final Route UPDATE_SEGMENT =
            new Route(Method.PUT, "/segments/{id}", LOCALE_EXPANSION_FORCE, true);
    public static final Route DELETE_SEGMENT =
            new Route(Method.DELETE, "/segments/{id}", Set.of("locale", "force"), true);
    public static final Route PUBLISH =
            new Route(Method.POST, "/segments/{id}/publish", LOCALE_EXPANSION, true);
    public static final Route UNPUBLISH =
            new Route(Method.POST, "/segments/{id}/unpublish", LOCALE_EXPANSION_FORCE, true);
    public static final Route VERSIONS =
            new Route(Method.GET, "/segments/{id}/versions", LOCALE, true);
    public static final Route VERSION =
            new Route(Method.GET, "/segments/{id}/versions/{version}", LOCALE_EXPANSION, true);
    public static final Route ROLLBACK =
            new Route(
                    Method.POST,
                    "/segments/{id}/versions/{version}/rollback",
                    LOCALE_EXPANSION_FORCE,
                    true);
    public static final Route PROPAGATION =
            new Route(Method.GET, "/segments/{id}/propagation", LOCALE, true);
    public static final Route AUDIENCE =
            new Route(
                    Method.GET,
                    "/segments/{id}/audience",
                    Set.of("locale", "granularity", "from", "to"),
                    true);
    public static final Route MEMBERS =
            new Route(
                    Method.GET,
                    "/segments/{id}/members",
                    Set.of("locale", "limit", "cursor"),
                    true);
    public static final Route DEPENDENTS =
            new Route(Method.GET, "/segments/{id}/dependents", LOCALE_EXPANSION, true);

    public static final Route LIST_TAGS =
            new Route(Method.GET, "/componentmetadata/tags", Set.of("limit", "page"), true);
    public static final Route SEARCH_TAGS =
            new Route(
                    Method.GET,
                    "/componentmetadata/tags/search",
                    Set.of("componentType", "componentIds"),
                    true);
    public static final Route TAGS_BY_NAME =
            new Route(Method.GET, "/componentmetadata/tags/tagnames", Set.of("tagNames"), true);
    public static final Route SET_TAGS =
            new Route(Method.PUT, "/componentmetadata/tags/tagitems", Set.of(), true);
    public static final Route REMOVE_TAGS =
            new Route(
                    Method.DELETE,
                    "/componentmetadata/tags",
                    Set.of("componentType", "componentIds"),
                    true);

    public static final Route COMPONENT_SHARES =
            new Route(
                    Method.GET,
                    "/componentmetadata/shares/component/{componentType}/{componentId}",
                    Set.of(),
                    true);
    public static final Route CREATE_SHARE =
            new Route(Method.POST, "/componentmetadata/shares", Set.of(), true);
    public static final Route DELETE_SHARE =
            new Route(Method.DELETE, "/componentmetadata/shares/{shareId}", Set.of(), true);
    public static final Route SHARED_TO_ME =
            new Route(
                    Method.GET,
                    "/componentmetadata/shares/sharedto/me",
                    Set.of("componentType"),
                    true);

    public static final Route HEALTH = new Route(Method.GET, "/health", Set.of(), false);
    public static final Route READY = new Route(Method.GET, "/ready", Set.of(), false);
    public static final Route METRICS = new Route(Method.GET, "/metrics", Set.of(), false);
    public static final Route OPENAPI = new Route(Method.GET, "/openapi.yaml", Set.of(), false);

    public static final List<Route> ALL =
            List.of(
                    LIST_SEGMENTS,
                    CREATE_SEGMENT,
                    VALIDATE,
                    ESTIMATE,
                    PREVIEW,
                    GET_SEGMENT,
                    UPDATE_SEGMENT,
                    DELETE_SEGMENT,
                    PUBLISH,
                    UNPUBLISH,
                    VERSIONS,
                    VERSION,
                    ROLLBACK,
                    PROPAGATION,
                    DEPENDENTS,
                    AUDIENCE,
                    MEMBERS,
                    LIST_TAGS,
                    SEARCH_TAGS,
                    TAGS_BY_NAME,
                    SET_TAGS,
                    REMOVE_TAGS,
                    COMPONENT_SHARES,
                    CREATE_SHARE,
                    DELETE_SHARE,
                    SHARED_TO_ME,
                    HEALTH,
                    READY,
                    METRICS,
                    OPENAPI);

    public static Optional<Route> find(Method m, String path) {
        return ALL.stream().filter(r -> r.method() == m && r.path().equals(path)).findFirst();
    }
}
