package io.cohortflow.service;

import io.cohortflow.service.api.App;
import io.cohortflow.service.api.Controller;
import io.cohortflow.service.auth.ApiKeys;
import io.cohortflow.service.config.ServiceConfig;
import io.cohortflow.service.kafka.Follower;
import io.cohortflow.service.kafka.Topics;
import io.cohortflow.service.limits.WorkspaceLimits;
import io.cohortflow.service.metrics.ServiceMetrics;
import io.cohortflow.service.segments.Audiences;
import io.cohortflow.service.segments.DraftEstimator;
import io.cohortflow.service.segments.EventAttributes;
import io.cohortflow.service.segments.MemberExports;
import io.cohortflow.service.segments.SegmentService;
import io.cohortflow.service.segments.Templates;
import io.cohortflow.service.store.DefinitionStore;
import io.cohortflow.service.store.KafkaSegmentLog;
import io.cohortflow.service.store.PropagationTracker;
import io.javalin.Javalin;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The definitions service as one startable unit: Kafka-backed store, propagation tracker and the
 * HTTP app. A launcher embeds it with {@code new DefinitionsService(config).start()}; {@link #main}
 * runs it alone.
 */
public final class DefinitionsService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DefinitionsService.class);

    private final ServiceConfig config;
    private final List<Controller> extra;
    private final List<Follower<?, ?>> extraReaders;
    private final DraftEstimator estimator;
    private final EventAttributes attributes;
    private DefinitionStore store;
    private KafkaSegmentLog log;
    private PropagationTracker tracker;
    private Audiences audiences;
    private ExecutorService callbacks;
    private java.util.concurrent.ScheduledExecutorService compaction;
    private Javalin app;

    public DefinitionsService(ServiceConfig config) {
        this(config, List.of(), List.of(), DraftEstimator.NONE, EventAttributes.NONE);
    }

    /**
     * @param extra more controllers (e.g. the segmentation API) served by the same app
     * @param extraReaders the Kafka readers those controllers need: the replica is ready only while
     *     every one follows its topic
     * @param estimator draft estimates through the segmentation job
     * @param attributes what the workspaces' event schemas declare, for validation
     */
    public DefinitionsService(
            ServiceConfig config,
            List<Controller> extra,
            List<Follower<?, ?>> extraReaders,
            DraftEstimator estimator,
            EventAttributes attributes) {
        this.config = config;
        this.extra = List.copyOf(extra);
        this.extraReaders = List.copyOf(extraReaders);
        this.estimator = estimator;
        this.attributes = attributes;
    }

    /** Creates missing topics, rebuilds the store from the log, then listens. */
    public synchronized DefinitionsService start() {
        if (config.createTopics()) {
            // The service's tables: the definitions log, applied reports, aliases and schemas.
            Topics.ensure(config.bootstrapServers(), config.topics().tables());
        }
        callbacks =
                Executors.newFixedThreadPool(
                        4,
                        r -> {
                            Thread t = new Thread(r, "definitions-write-callbacks");
                            t.setDaemon(true);
                            return t;
                        });
        log = new KafkaSegmentLog(config.bootstrapServers(), config.topics().definitions());
        store = new DefinitionStore(log, config.writeTimeout(), callbacks, config.maxVersions());
        store.start(config.startupTimeout());
        compaction =
                Executors.newSingleThreadScheduledExecutor(
                        r -> {
                            Thread t = new Thread(r, "definitions-compaction");
                            t.setDaemon(true);
                            return t;
                        });
        long every = config.compactInterval().toMillis();
        compaction.scheduleWithFixedDelay(this::compact, 0, every, TimeUnit.MILLISECONDS);
        tracker = new PropagationTracker(config.bootstrapServers(), config.topics().applied());
        tracker.start();
        audiences =
                new Audiences(
                        config.bootstrapServers(),
                        config.topics().audiences(),
                        config.writeTimeout());
        audiences.start(config.startupTimeout());
        ServiceMetrics metrics = new ServiceMetrics();
        metrics.gauge(
                "cohortflow.store.lag",
                "definitions records not yet applied by this replica",
                () -> store.lag());
        // A reader that stopped leaves the lag where it was: this says so (and /ready fails).
        metrics.gauge(
                "cohortflow.readers.stopped",
                "Kafka readers of this replica that no longer follow their topic",
                () -> readers().stream().filter(f -> !f.healthy()).count());
        metrics.gauge(
                "cohortflow.store.segments",
                "segments in the store, deleted included",
                store::size);
        metrics.gauge(
                "cohortflow.store.offset",
                "last definitions offset processed",
                store::processedOffset);
        metrics.gauge(
                "cohortflow.store.rejected",
                "records that lost the compare-and-set",
                store::rejectedCount);
        metrics.gauge(
                "cohortflow.store.writes.committed",
                "writes of this replica that won",
                store::committedWrites);
        metrics.gauge(
                "cohortflow.store.writes.conflicted",
                "writes of this replica answered 409",
                store::conflictedWrites);
        metrics.gauge(
                "cohortflow.store.writes.failed",
                "writes of this replica that timed out or failed",
                store::failedWrites);
        SegmentService segments =
                new SegmentService(
                        store,
                        tracker,
                        Templates.shipped(),
                        config.dataViews(),
                        config.segmentLimits(),
                        audiences,
                        config.horizon(),
                        attributes,
                        Clock.systemUTC());
        App.Services services =
                new App.Services(
                        segments,
                        estimator,
                        new MemberExports(config.exportDir()),
                        new ApiKeys(config.apiKeys()),
                        new WorkspaceLimits(
                                config.requestsPerMinute(), config.concurrentRequests()),
                        metrics,
                        this::readiness,
                        config.maxBodyBytes());
        app = App.create(services, extra);
        app.start(config.host(), config.port());
        LOG.info("definitions service listening on http://{}:{}", config.host(), app.port());
        return this;
    }

    /**
     * Tombstones what the definitions log no longer needs (see {@link DefinitionStore#compact}).
     */
    private void compact() {
        if (store.supersededCount() == 0) {
            return;
        }
        try {
            int n =
                    store.compact()
                            .get(config.writeTimeout().toMillis() * 10, TimeUnit.MILLISECONDS);
            LOG.info("tombstoned {} definitions records no reader needs", n);
        } catch (Exception e) {
            // Kept for the next round: nothing is lost by compacting later.
            LOG.warn(
                    "compacting the definitions log failed; retried in {}",
                    config.compactInterval(),
                    e);
        }
    }

    /**
     * Ready while the store has been rebuilt and every Kafka reader follows its topic (the
     * definitions log, the applied reports, and those of the extra controllers): a replica whose
     * reader stopped answers from tables that no longer move, and must be taken out of service.
     */
    private Map<String, Object> readiness() {
        Map<String, Object> r = new LinkedHashMap<>();
        Map<String, Boolean> readers = new LinkedHashMap<>();
        for (Follower<?, ?> f : readers()) {
            readers.put(f.name(), f.healthy());
        }
        boolean ready =
                store != null
                        && store.ready()
                        && log.alive()
                        && !readers.containsValue(Boolean.FALSE);
        r.put("ready", ready);
        r.put("storeRebuilt", store != null && store.ready());
        r.put("logFollowed", log != null && log.alive());
        r.put("readers", readers);
        r.put("lag", store == null ? -1 : store.lag());
        r.put("segments", store == null ? 0 : store.size());
        return r;
    }

    /** Every Kafka reader of this replica: the definitions log, the applied reports, ... */
    private List<Follower<?, ?>> readers() {
        List<Follower<?, ?>> all = new ArrayList<>();
        if (log != null && log.follower() != null) {
            all.add(log.follower());
        }
        if (tracker != null && tracker.follower() != null) {
            all.add(tracker.follower());
        }
        if (audiences != null && audiences.follower() != null) {
            all.add(audiences.follower());
        }
        all.addAll(extraReaders);
        return all;
    }

    public int port() {
        return app.port();
    }

    public DefinitionStore store() {
        return store;
    }

    @Override
    public synchronized void close() {
        if (app != null) {
            app.stop();
        }
        if (compaction != null) {
            compaction.shutdownNow();
        }
        if (tracker != null) {
            tracker.close();
        }
        if (audiences != null) {
            audiences.close();
        }
        if (store != null) {
            store.close();
        }
        if (callbacks != null) {
            callbacks.shutdownNow();
        }
    }
}
