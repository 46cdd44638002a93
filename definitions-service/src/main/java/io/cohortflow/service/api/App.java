package io.cohortflow.service.api;

import io.cohortflow.core.contract.Json;
import io.cohortflow.service.ServiceException;
import io.cohortflow.service.auth.ApiKeys;
import io.cohortflow.service.auth.Principal;
import io.cohortflow.service.limits.WorkspaceLimits;
import io.cohortflow.service.metrics.ServiceMetrics;
import io.cohortflow.service.segments.DraftEstimator;
import io.cohortflow.service.segments.DraftPreviews;
import io.cohortflow.service.segments.MemberExports;
import io.cohortflow.service.segments.SegmentService;
import io.javalin.Javalin;
import io.javalin.config.Key;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.staticfiles.Location;
import io.javalin.json.JavalinJackson;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The app factory: takes the services, returns the configured (not started) {@link Javalin}. Every
 * route goes through one wrapper that authenticates, applies the workspace limits and rejects
 * undeclared query parameters before the controller runs; failures are mapped in {@link Errors}.
 * More controllers (the segmentation API) plug in through {@link #create(Services, List)}.
 */
public final class App {
    public static final String PRINCIPAL = "cohortflow.principal";
    private static final String ROUTE = "cohortflow.route";

    /**
     * The limit that refused the request ({@link WorkspaceLimits.Refusal#kind}), set by whichever
     * check refused it (this app's for the Segments API, {@link CcsAccess} for the /ccs APIs) and
     * counted once, with the request, in {@link #record}.
     */
    static final String LIMITED = "cohortflow.limited";

    private static final String STARTED = "cohortflow.started";
    private static final String HELD = "cohortflow.bulkhead";

    /** Where {@link #async} writes its responses: the server's own threads (see there). */
    private static final Key<Executor> RESPONSES = new Key<>("cohortflow.responses");

    /**
     * The request line and headers together (Jetty's default, stated so the 414 and 431 answers can
     * say it): a longer URI is a 414, larger headers a 431.
     */
    static final int MAX_HEADER_BYTES = 8192;

    /**
     * What the HTTP layer needs.
     *
     * @param ready whether the store has rebuilt and follows the log, with details for /ready
     */
    public record Services(
            SegmentService segments,
            DraftEstimator estimator,
            MemberExports exports,
            ApiKeys keys,
            WorkspaceLimits limits,
            ServiceMetrics metrics,
            Supplier<Map<String, Object>> ready,
            long maxBodyBytes) {}

    /** Where the web console is served (its files are under {@code /console} on the classpath). */
    public static final String CONSOLE = "/console";

    private App() {}

    public static Javalin create(Services s) {
        return create(s, List.of());
    }

    public static Javalin create(Services s, List<Controller> more) {
        String openapi = resource("/openapi.yaml");
        List<Controller> controllers = new ArrayList<>();
        controllers.add(
                new SegmentsController(
                        s.segments(),
                        s.estimator(),
                        new DraftPreviews(s.segments(), s.estimator(), java.time.Clock.systemUTC()),
                        s.exports()));
        controllers.add(new MetadataController(s.segments().metadata()));
        controllers.addAll(more);
        controllers.forEach(c -> c.segments(s.segments()));
        // The server's threads, made here so that async can hand responses to them: Javalin's
        // own defaults (8 to 250 threads, an idle one stopped after 60 s, the same name).
        QueuedThreadPool threads = new QueuedThreadPool(250, 8, 60_000);
        threads.setName("JettyServerThreadPool");
        Executor responses =
                task -> {
                    try {
                        threads.execute(task);
                    } catch (RejectedExecutionException stopping) {
                        // The server is stopping: answer where the work ended rather than not
                        // at all (the connection is closing, so the write does not wait).
                        task.run();
                    }
                };
        return Javalin.create(
                config -> {
                    config.jetty.threadPool = threads;
                    config.appData(RESPONSES, responses);
                    config.jsonMapper(new JavalinJackson(Json.MAPPER, false));
                    config.http.maxRequestSize = s.maxBodyBytes();
                    // An existing path with another method (or an invented one) is a 405, not a
                    // 404 that would suggest the path itself is wrong.
                    config.http.prefer405over404 = true;
                    config.startup.showJavalinBanner = false;
                    config.jetty.modifyHttpConfiguration(
                            http -> {
                                http.setRequestHeaderSize(MAX_HEADER_BYTES);
                                // A user id is the producer's own (docs/segmentation.md,
                                // Identity) and may hold '/', '%' or ';': encoded in a path
                                // segment they are ambiguous to Jetty, which refused them with
                                // a 400, so such a user could be neither looked up nor erased.
                                // No route here maps a path to a file: nothing to traverse.
                                http.setUriCompliance(
                                        UriCompliance.DEFAULT.with(
                                                "cohortflow-ids",
                                                UriCompliance.Violation.AMBIGUOUS_PATH_SEPARATOR,
                                                UriCompliance.Violation.AMBIGUOUS_PATH_ENCODING,
                                                UriCompliance.Violation.AMBIGUOUS_PATH_PARAMETER));
                            });
                    config.jetty.modifyServletContextHandler(
                            handler -> handler.getServletHandler().setDecodeAmbiguousURIs(true));
                    // Jetty answers some requests before Javalin sees them; without this its
                    // answers are HTML pages naming the server.
                    config.jetty.modifyServer(
                            server ->
                                    server.setErrorHandler(
                                            new JettyErrors(
                                                    s.metrics(),
                                                    s.maxBodyBytes(),
                                                    MAX_HEADER_BYTES)));
                    Errors.register(config, s.maxBodyBytes());
                    // The web console: static files over the public API, nothing server-side.
                    config.staticFiles.add(
                            files -> {
                                files.hostedPath = CONSOLE;
                                files.directory = "/console";
                                files.location = Location.CLASSPATH;
                            });
                    config.staticFiles.enableWebjars();
                    config.routes.get("/", ctx -> ctx.redirect(CONSOLE + "/"));
                    config.routes.before(ctx -> ctx.attribute(STARTED, System.nanoTime()));
                    // After-handlers run once a request's future is done and its failure mapped,
                    // so the slot is held and the latency and status counted for the whole work.
                    config.routes.after(ctx -> finish(s, ctx));
                    Router router =
                            (route, handler) -> {
                                Handler h = guarded(s, route, handler);
                                switch (route.method()) {
                                    case GET -> config.routes.get(route.path(), h);
                                    case POST -> config.routes.post(route.path(), h);
                                    case PUT -> config.routes.put(route.path(), h);
                                    case DELETE -> config.routes.delete(route.path(), h);
                                }
                            };
                    controllers.forEach(c -> c.register(router));
                    router.route(ApiRoutes.HEALTH, ctx -> ctx.json(Map.of("status", "UP")));
                    router.route(
                            ApiRoutes.READY,
                            ctx -> {
                                Map<String, Object> r = s.ready().get();
                                ctx.status(Boolean.TRUE.equals(r.get("ready")) ? 200 : 503).json(r);
                            });
                    router.route(
                            ApiRoutes.METRICS,
                            ctx ->
                                    ctx.contentType("text/plain; version=0.0.4; charset=utf-8")
                                            .result(s.metrics().scrape()));
                    router.route(
                            ApiRoutes.OPENAPI,
                            ctx -> ctx.contentType("application/yaml").result(openapi));
                });
    }

    private static Handler guarded(Services s, ApiRoutes.Route route, Handler handler) {
        return ctx -> {
            ctx.attribute(ROUTE, route.path());
            if (route.authenticated()) {
                Principal p = authenticate(s, ctx);
                WorkspaceLimits.Refusal no = s.limits().admit(p.workspace(), "requests");
                if (no != null) {
                    ctx.attribute(LIMITED, no.kind());
                    ctx.header("Retry-After", Long.toString(no.retryAfterSeconds()));
                    throw new ServiceException(429, "too_many_requests", no.message());
                }
                ctx.attribute(HELD, p.workspace());
                ctx.attribute(PRINCIPAL, p);
            }
            Params.onlyDeclared(ctx, route.query());
            handler.handle(ctx);
        };
    }

    private static Principal authenticate(Services s, Context ctx) {
        ApiKeys.Outcome o =
                s.keys()
                        .authenticate(
                                ctx.header("x-api-key"),
                                ctx.header("Authorization"),
                                ctx.header("x-gw-ims-org-id"));
        if (o instanceof ApiKeys.Outcome.Rejected r) {
            if (r.status() == 401) {
                ctx.header("WWW-Authenticate", "Bearer");
            }
            throw new ServiceException(r.status(), r.code(), r.message());
        }
        return ((ApiKeys.Outcome.Authenticated) o).principal();
    }

    /**
     * Answers with {@code work}'s outcome without holding a Jetty thread while it runs.
     *
     * <p>Javalin writes the response (its after-handlers, then a blocking write) on the thread that
     * completes the future, and {@code work} completes on whatever thread finished it: the job's
     * two reply threads ({@code segmentation-answers}), a table's confirmation thread. A client
     * that does not read a large answer (an explanation of a large segment) blocks that write until
     * Jetty's idle timeout, and two such clients held both reply threads, so that every workspace's
     * replies waited behind them and timed out. The response is written on a server thread instead,
     * as a blocking handler's would be: a client that does not read holds one of those (of 250),
     * never the threads that complete other requests.
     */
    public static void async(Context ctx, CompletableFuture<?> work) {
        if (work.isDone()) {
            // Done on this (a server) thread already: answered here, without a hand-over.
            ctx.future(() -> work);
            return;
        }
        Executor responses = ctx.appData(RESPONSES);
        ctx.future(() -> work.whenCompleteAsync((v, e) -> {}, responses));
    }

    /** Frees the workspace's concurrency slot and records the request. */
    private static void finish(Services s, Context ctx) {
        String held = ctx.attribute(HELD);
        if (held != null) {
            s.limits().release(held);
        }
        record(s, ctx, ctx.attribute(STARTED));
    }

    private static void record(Services s, Context ctx, Long started) {
        String route = ctx.attribute(ROUTE);
        String limited = ctx.attribute(LIMITED);
        if (limited != null) {
            s.metrics().limited(limited);
        }
        if (started != null) {
            s.metrics()
                    .request(
                            ctx.method().name(),
                            route == null ? "unmatched" : route,
                            ctx.statusCode(),
                            Duration.ofNanos(System.nanoTime() - started));
        }
    }

    private static String resource(String name) {
        try (InputStream in = App.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " is missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
