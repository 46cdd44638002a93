package io.cohortflow.service.segmentation;

import io.cohortflow.service.api.Controller;
import io.cohortflow.service.api.SegmentationController;
import io.cohortflow.service.api.UsersController;
import io.cohortflow.service.auth.ApiKeys;
import io.cohortflow.service.config.ServiceConfig;
import io.cohortflow.service.kafka.Follower;
import io.cohortflow.service.kafka.Topics;
import io.cohortflow.service.limits.WorkspaceLimits;
import io.cohortflow.service.segments.DraftEstimator;
import io.cohortflow.service.segments.EventAttributes;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The segmentation API's parts and their lifecycle: alias bindings and event schemas (each rebuilt
 * from its compacted topic), the request/reply client of the job, and the controller that serves
 * them through {@link io.cohortflow.service.DefinitionsService}'s app. Start it before the service,
 * close it after.
 */
public final class SegmentationModule implements AutoCloseable {
    private static final org.slf4j.Logger LOG =
            org.slf4j.LoggerFactory.getLogger(SegmentationModule.class);

    /** Asynchronous validations waiting at most; past it they are skipped (see start). */
    static final int VALIDATIONS_QUEUED = 1_000;

    private final java.util.concurrent.atomic.AtomicLong validationsSkipped =
            new java.util.concurrent.atomic.AtomicLong();
    private final ServiceConfig service;
    private final SegmentationConfig config;
    private AliasBindings aliases;
    private EventSchemas schemas;
    private JobClient job;
    private ExecutorService background;
    private java.util.concurrent.ScheduledExecutorService compaction;
    private SegmentationController controller;
    private UsersController users;
    private Estimates estimates;

    public SegmentationModule(ServiceConfig service, SegmentationConfig config) {
        this.service = service;
        this.config = config;
    }

    public synchronized SegmentationModule start() {
        Duration startup = service.startupTimeout();
        if (service.createTopics()) {
            // The tables this module reads; the definitions service creates the same set, so
            // either may start first.
            Topics.ensure(service.bootstrapServers(), service.topics().tables());
        }
        // A binding is written on the request's path: it waits no longer than the request may.
        aliases =
                new AliasBindings(
                        service.bootstrapServers(),
                        config.topics().aliases(),
                        config.timeout().compareTo(config.writeTimeout()) < 0
                                ? config.timeout()
                                : config.writeTimeout(),
                        config.maxBindings());
        aliases.start(startup);
        compaction =
                Executors.newSingleThreadScheduledExecutor(
                        r -> {
                            Thread t = new Thread(r, "aliases-compaction");
                            t.setDaemon(true);
                            return t;
                        });
        // Rarely anything: a binding loses only when two replicas mint for one alias at once.
        compaction.scheduleWithFixedDelay(
                () -> aliases.compact(),
                0,
                service.compactInterval().toMillis(),
                java.util.concurrent.TimeUnit.MILLISECONDS);
        schemas =
                new EventSchemas(
                        service.bootstrapServers(),
                        config.topics().schemas(),
                        config.writeTimeout(),
                        config.maxSchemas());
        schemas.start(startup);
        job = new JobClient(service.bootstrapServers(), service.host(), config);
        job.start();
        // Asynchronous validation runs off the request path, on one thread of its own, behind a
        // bounded queue: requests can outpace one thread (costly schema patterns, a workspace at
        // its rate limit), and an unbounded queue held every request's events until the heap ran
        // out. Past the bound a validation is skipped (its events were applied and answered
        // already; only their dead letters are lost) and the skips are logged.
        background =
                new java.util.concurrent.ThreadPoolExecutor(
                        1,
                        1,
                        0,
                        java.util.concurrent.TimeUnit.MILLISECONDS,
                        new java.util.concurrent.ArrayBlockingQueue<>(VALIDATIONS_QUEUED),
                        r -> {
                            Thread t = new Thread(r, "segmentation-async-validation");
                            t.setDaemon(true);
                            return t;
                        },
                        (r, pool) -> {
                            long n = validationsSkipped.incrementAndGet();
                            if (n == 1 || n % 10_000 == 0) {
                                LOG.warn(
                                        "{} asynchronous event validations skipped so far: more"
                                                + " than {} waiting",
                                        n,
                                        VALIDATIONS_QUEUED);
                            }
                        });
        SegmentationService segmentation =
                new SegmentationService(
                        config, job, aliases, schemas, background, Clock.systemUTC());
        estimates = new Estimates(job, config, Clock.systemUTC());
        WorkspaceLimits limits =
                new WorkspaceLimits(
                        config.limit(), Duration.ofSeconds(1), config.workspaceLimits());
        ApiKeys keys = new ApiKeys(service.apiKeys());
        controller = new SegmentationController(segmentation, schemas, keys, limits);
        // The same keys and limits: a lookup or erasure is a request of the workspace's too.
        users = new UsersController(new Users(config, job, aliases), keys, limits);
        return this;
    }

    /** Draft estimates through the job, for the Segments API's {@code POST /segments/estimate}. */
    /** The attributes each workspace's event schemas declare (see {@link EventSchemas}). */
    public EventAttributes attributes() {
        return workspace -> schemas == null ? null : schemas.declaredAttributes(workspace);
    }

    public DraftEstimator estimator() {
        return estimates;
    }

    public List<Controller> controllers() {
        return List.of(controller, users);
    }

    /** The request/reply client of the job. */
    public JobClient jobClient() {
        return job;
    }

    /** The Kafka readers the segmentation API needs: readiness reports each. */
    public List<Follower<?, ?>> readers() {
        return List.of(aliases.follower(), schemas.follower(), job.follower());
    }

    @Override
    public synchronized void close() {
        if (background != null) {
            background.shutdownNow();
        }
        if (compaction != null) {
            compaction.shutdownNow();
        }
        if (job != null) {
            job.close();
        }
        if (schemas != null) {
            schemas.close();
        }
        if (aliases != null) {
            aliases.close();
        }
    }
}
