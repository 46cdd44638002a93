package io.cohortflow.service.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.javalin.router.ParsedEndpoint;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.parameters.Parameter;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The served OpenAPI document and the served routes describe the same API. */
class OpenApiCoverageTest {
    static TestApp t;
    static OpenAPI doc;

    @BeforeAll
    static void start() {
        t = new TestApp();
        SwaggerParseResult r =
                new OpenAPIV3Parser().readContents(t.http.get("/openapi.yaml").body());
        assertThat(r.getMessages()).as("the document parses without messages").isEmpty();
        doc = r.getOpenAPI();
    }

    @AfterAll
    static void stop() {
        t.close();
    }

    /** "GET /segments/{id}" to its query parameters, from the document. */
    static Map<String, Set<String>> documented() {
        Map<String, Set<String>> out = new TreeMap<>();
        doc.getPaths()
                .forEach(
                        (path, item) ->
                                item.readOperationsMap()
                                        .forEach(
                                                (m, op) -> {
                                                    Set<String> q = new TreeSet<>();
                                                    for (Parameter p : params(item, op)) {
                                                        if ("query".equals(p.getIn())) {
                                                            q.add(p.getName());
                                                        }
                                                    }
                                                    out.put(m.name() + " " + path, q);
                                                }));
        return out;
    }

    private static List<Parameter> params(PathItem item, Operation op) {
        List<Parameter> all = new ArrayList<>();
        if (item.getParameters() != null) {
            all.addAll(item.getParameters());
        }
        if (op.getParameters() != null) {
            all.addAll(op.getParameters());
        }
        List<Parameter> resolved = new ArrayList<>();
        for (Parameter p : all) {
            if (p.get$ref() != null) {
                String name = p.get$ref().substring(p.get$ref().lastIndexOf('/') + 1);
                resolved.add(doc.getComponents().getParameters().get(name));
            } else {
                resolved.add(p);
            }
        }
        return resolved;
    }

    @Test
    void every_served_route_is_documented_and_every_documented_route_is_served() {
        Set<String> served = new TreeSet<>();
        for (ParsedEndpoint e : t.app.unsafe.internalRouter.allHttpHandlers()) {
            String m = e.endpoint.method.name();
            if (Set.of("GET", "POST", "PUT", "DELETE", "PATCH").contains(m)) {
                served.add(m + " " + e.endpoint.path);
            }
        }
        // The console's redirect leads a browser to its static pages: not API.
        served.remove("GET /");
        // This app is the Segments API alone; the segmentation routes are served when the
        // segmentation module is installed (the launcher), and are checked below from their table.
        Set<String> expected = new TreeSet<>(documented().keySet());
        SegmentationController.ROUTES.forEach(r -> expected.remove(r.method() + " " + r.path()));
        UsersController.ROUTES.forEach(r -> expected.remove(r.method() + " " + r.path()));
        assertThat(served).isEqualTo(expected);
    }

    @Test
    void every_route_accepts_exactly_the_documented_query_parameters() {
        Map<String, Set<String>> table = new TreeMap<>();
        ApiRoutes.ALL.forEach(
                r -> table.put(r.method() + " " + r.path(), new TreeSet<>(r.query())));
        SegmentationController.ROUTES.forEach(
                r -> table.put(r.method() + " " + r.path(), new TreeSet<>(r.query())));
        UsersController.ROUTES.forEach(
                r -> table.put(r.method() + " " + r.path(), new TreeSet<>(r.query())));
        assertThat(table).isEqualTo(documented());
    }

    @Test
    void every_documented_query_parameter_is_accepted_by_the_live_server() {
        Http alice = t.as("alice");
        for (ApiRoutes.Route r : ApiRoutes.ALL) {
            for (String q : r.query()) {
                String path =
                        r.path()
                                .replace("{id}", "tpl_cart_abandoners")
                                .replace("{version}", "1")
                                .replace("{componentType}", "segment")
                                .replace("{componentId}", "tpl_cart_abandoners")
                                .replace("{shareId}", "1");
                Http.Response resp = alice.send(r.method().name(), path + "?" + q + "=x", null);
                // The value may be refused (400 invalid_parameter), the name never.
                if (resp.status() == 400) {
                    assertThat(resp.json().get("errorCode").asText())
                            .as(r + " " + q)
                            .isNotEqualTo("unknown_parameter");
                }
            }
            String path =
                    r.path()
                            .replace("{id}", "x")
                            .replace("{version}", "1")
                            .replace("{componentType}", "segment")
                            .replace("{componentId}", "x")
                            .replace("{shareId}", "1");
            if (r.authenticated()) {
                Http.Response bogus = alice.send(r.method().name(), path + "?bogusParam=1", null);
                assertThat(bogus.status()).as(r.toString()).isEqualTo(400);
                assertThat(bogus.json().get("errorCode").asText()).isEqualTo("unknown_parameter");
            }
        }
    }

    @Test
    void the_spec_query_parameters_of_GET_segments_are_all_documented() {
        assertThat(documented().get("GET /segments"))
                .contains(
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
                        "includeType");
    }
}
