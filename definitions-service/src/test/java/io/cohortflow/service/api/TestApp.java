package io.cohortflow.service.api;

import io.cohortflow.core.eval.EngineConfig;
import io.cohortflow.service.auth.ApiKeys;
import io.cohortflow.service.auth.Role;
import io.cohortflow.service.limits.WorkspaceLimits;
import io.cohortflow.service.metrics.ServiceMetrics;
import io.cohortflow.service.segments.Audiences;
import io.cohortflow.service.segments.SegmentLimits;
import io.cohortflow.service.segments.SegmentService;
import io.cohortflow.service.segments.Templates;
import io.cohortflow.service.store.DefinitionStore;
import io.cohortflow.service.store.InMemorySegmentLog;
import io.cohortflow.service.store.PropagationTracker;
import io.javalin.Javalin;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The real app on a random port over the in-memory log: every HTTP behaviour without a broker.
 * Keys: {@code alice} (write, owner 1), {@code bob} (write, owner 2), {@code reader} (read, owner
 * 3), {@code admin} (admin, owner 4) in org {@code acme}; {@code eve} (admin) in {@code other}.
 */
public final class TestApp implements AutoCloseable {
    public final InMemorySegmentLog log = new InMemorySegmentLog();
    public final PropagationTracker propagation = new PropagationTracker();
    public final DefinitionStore store;
    public final Javalin app;
    public final Http http;
    private final ExecutorService callbacks = Executors.newFixedThreadPool(2);

    public TestApp() {
        this(100_000, 100);
    }

    public TestApp(int perMinute, int concurrent) {
        this(new WorkspaceLimits(perMinute, concurrent), 64 * 1024);
    }

    /** Default request limits, these segment limits. */
    public TestApp(SegmentLimits segmentLimits) {
        this(new WorkspaceLimits(100_000, 100), 64 * 1024, segmentLimits);
    }

    public TestApp(WorkspaceLimits limits, long maxBody) {
        this(limits, maxBody, SegmentLimits.DEFAULT);
    }

    /** The exports directory this app's members API reads (empty: tests write exports there). */
    public final java.nio.file.Path exportDir = tempDir();

    private static java.nio.file.Path tempDir() {
        try {
            return java.nio.file.Files.createTempDirectory("cohortflow-exports");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    public TestApp(WorkspaceLimits limits, long maxBody, SegmentLimits segmentLimits) {
        this(limits, maxBody, segmentLimits, EngineConfig.DEFAULT.horizon());
    }

    /** Default limits, and the state's horizon as {@code cohortflow.state.horizon} sets it. */
    public TestApp(Duration horizon) {
        this(new WorkspaceLimits(100_000, 100), 64 * 1024, SegmentLimits.DEFAULT, horizon);
    }

    public TestApp(
            WorkspaceLimits limits, long maxBody, SegmentLimits segmentLimits, Duration horizon) {
        this(limits, maxBody, segmentLimits, horizon, List.of());
    }

    /** Default limits, and more controllers served by the app (as the segmentation API's). */
    public TestApp(List<Controller> more) {
        this(
                new WorkspaceLimits(100_000, 100),
                64 * 1024,
                SegmentLimits.DEFAULT,
                EngineConfig.DEFAULT.horizon(),
                more);
    }

    /** Default limits, and the service's clock (the one its timestamps are read from). */
    public TestApp(Clock clock) {
        this(
                new WorkspaceLimits(100_000, 100),
                64 * 1024,
                SegmentLimits.DEFAULT,
                EngineConfig.DEFAULT.horizon(),
                List.of(),
                clock);
    }

    public TestApp(
            WorkspaceLimits limits,
            long maxBody,
            SegmentLimits segmentLimits,
            Duration horizon,
            List<Controller> more) {
        this(limits, maxBody, segmentLimits, horizon, more, Clock.systemUTC());
    }

    public TestApp(
            WorkspaceLimits limits,
            long maxBody,
            SegmentLimits segmentLimits,
            Duration horizon,
            List<Controller> more,
            Clock clock) {
        store = new DefinitionStore(log, Duration.ofSeconds(5), callbacks, 5);
        store.start(Duration.ofSeconds(5));
        SegmentService svc =
                new SegmentService(
                        store,
                        propagation,
                        Templates.shipped(),
                        Map.of("default", "Default data view", "web", "Web site"),
                        segmentLimits,
                        // Never started: no job here, so every segment's audience is empty.
                        new Audiences("127.0.0.1:1", "cohortflow.audiences", Duration.ofSeconds(1)),
                        horizon,
                        io.cohortflow.service.segments.EventAttributes.NONE,
                        clock);
        ApiKeys keys = keys();
        app =
                App.create(
                        new App.Services(
                                svc,
                                // No job here: an estimate answers 503 once its draft is valid.
                                io.cohortflow.service.segments.DraftEstimator.NONE,
                                new io.cohortflow.service.segments.MemberExports(exportDir),
                                keys,
                                limits,
                                new ServiceMetrics(),
                                () -> Map.of("ready", store.ready()),
                                maxBody),
                        more);
        app.start("127.0.0.1", 0);
        http = new Http(app.port());
    }

    static ApiKeys.Entry key(String name, String org, long owner, Role role) {
        return new ApiKeys.Entry(
                name,
                ApiKeys.hash(name + "-key"),
                null,
                org,
                owner,
                name + " Name",
                name + "@example.com",
                role);
    }

    /** The keys above (the segmentation API's controllers authenticate with them too). */
    public static ApiKeys keys() {
        return new ApiKeys(
                List.of(
                        key("alice", "acme", 1, Role.WRITE),
                        key("bob", "acme", 2, Role.WRITE),
                        key("reader", "acme", 3, Role.READ),
                        key("admin", "acme", 4, Role.ADMIN),
                        key("eve", "other", 5, Role.ADMIN)));
    }

    /** A client authenticated as one of the keys above. */
    public Http as(String name) {
        String org = name.equals("eve") ? "other" : "acme";
        return http.as(name + "-key", org);
    }

    @Override
    public void close() {
        try {
            app.stop();
            store.close();
            callbacks.shutdownNow();
        } finally {
            deleteExportDir();
        }
    }

    /** Each app made its own directory: left behind, every test run added a score of them. */
    private void deleteExportDir() {
        if (!java.nio.file.Files.exists(exportDir)) {
            return; // closed before
        }
        try (java.util.stream.Stream<java.nio.file.Path> files =
                java.nio.file.Files.walk(exportDir)) {
            for (java.nio.file.Path f :
                    files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                java.nio.file.Files.deleteIfExists(f);
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
