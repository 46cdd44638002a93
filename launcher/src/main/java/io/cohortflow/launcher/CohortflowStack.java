package io.cohortflow.launcher;

import io.cohortflow.core.config.CommonSettings;
import io.cohortflow.core.config.Settings;
import io.cohortflow.core.contract.TopicNames;
import io.cohortflow.job.CohortflowJob;
import io.cohortflow.job.JobConfig;
import io.cohortflow.job.Snapshots;
import io.cohortflow.job.backfill.Cutover;
import io.cohortflow.job.export.ExportCommand;
import io.cohortflow.kafka.EmbeddedKafka;
import io.cohortflow.service.CohortflowServer;
import io.cohortflow.service.config.ServiceConfig;
import io.cohortflow.service.kafka.Topics;
import io.cohortflow.service.segmentation.SegmentationModule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole system in one JVM (docs/architecture.md): the real KRaft broker, the job on a Flink
 * mini cluster with RocksDB, and the service with the segmentation API. Broker log, checkpoints and
 * savepoints live under one data directory; the job restores from the newest snapshot there, so a
 * restart keeps definitions, alias bindings, schemas and user state.
 */
public final class CohortflowStack implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CohortflowStack.class);

    private final LauncherConfig config;
    private EmbeddedKafka kafka;
    private JobConfig jobConfig;
    private JobClient job;

    /** The Flink REST port of the running (or last) job, 0 before the first start. */
    private int restPort;

    private CohortflowServer service;

    private CohortflowStack(LauncherConfig config) {
        this.config = config;
    }

    /** Starts everything, or fails with a clear message (e.g. a port already taken). */
    public static CohortflowStack start(LauncherConfig config) {
        CohortflowStack s = new CohortflowStack(config);
        try {
            s.startAll();
            return s;
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
    }

    private void startAll() {
        Settings settings = config.settings();
        // Every setting read before anything starts, so that a wrong one is named at once.
        ServiceConfig serviceConfig = ServiceConfig.from(settings);
        JobConfig.from(config.withDataDirDefaults());
        // Fail before anything starts when a port is taken, naming the port.
        EmbeddedKafka.requireFree(config.kafkaPort());
        if (serviceConfig.port() != 0) {
            EmbeddedKafka.requireFree(serviceConfig.port());
        }
        kafka =
                EmbeddedKafka.start(
                        new EmbeddedKafka.Settings(
                                config.kafkaPort(), config.dataDir().resolve("kafka")));
        // Every part on the embedded broker, whatever the file says of another cluster.
        settings = settings.with(CommonSettings.KAFKA_BOOTSTRAP_SERVERS, kafka.bootstrapServers());
        settings =
                new LauncherConfig(
                                config.dataDir(),
                                config.kafkaPort(),
                                config.eventPartitions(),
                                settings)
                        .withDataDirDefaults();
        jobConfig =
                JobConfig.from(
                        settings.withDefault(
                                JobConfig.PARALLELISM, Integer.toString(config.eventPartitions())));
        Topics.ensure(kafka.bootstrapServers(), jobConfig.topics().specs(config.eventPartitions()));
        startJob();
        service = CohortflowServer.start(settings);
    }

    /**
     * Starts the job, restoring from the newest checkpoint or savepoint in the data directory, or,
     * the first time it is named, from a backfill's bootstrap savepoint ({@code job.bootstrap}).
     */
    public synchronized void startJob() {
        if (job != null) {
            throw new IllegalStateException("the job is already running");
        }
        Configuration conf = CohortflowJob.flinkConfiguration(jobConfig);
        // The mini cluster's REST endpoint and web UI: loopback, the configured port if free,
        // named in the data directory for the commands run beside the system (the members export
        // asks it for a savepoint).
        int ui = uiPort(config.settings().get(LauncherConfig.FLINK_UI_PORT));
        conf.setString("rest.bind-address", "127.0.0.1");
        conf.setString("rest.address", "127.0.0.1");
        conf.setString("rest.bind-port", Integer.toString(ui));
        // Flink's own options, for what the job's settings do not cover (metric reporters, say):
        // a property "flink.<option>" sets <option> on the mini cluster.
        config.settings()
                .withPrefix(LauncherConfig.FLINK_PREFIX)
                .forEach(
                        (k, v) ->
                                conf.setString(
                                        k.substring(LauncherConfig.FLINK_PREFIX.length()), v));
        try {
            Optional<Path> snapshot = latestSnapshot();
            Cutover cutover = CohortflowJob.cutover(jobConfig);
            Path used = config.dataDir().resolve("bootstrap-used");
            boolean bootstrap = fromBootstrap(cutover, used, snapshot);
            if (bootstrap) {
                // A backfill not started from yet: it replaces the job's state. Later starts,
                // with the setting still there, use the job's own. The job claims the savepoint
                // with its state changelog on (CohortflowJob.flinkConfiguration), and leaves it
                // in place (Flink's NO_CLAIM) with it off.
                conf.setString("execution.state-recovery.path", cutover.savepoint());
                LOG.info("starting the job from the backfill savepoint {}", cutover.savepoint());
            } else if (snapshot.isPresent()) {
                conf.setString("execution.state-recovery.path", snapshot.get().toUri().toString());
                // CLAIM: the job owns the snapshot and deletes it once subsumed, so the data
                // directory does not grow by one snapshot per restart.
                conf.setString("execution.state-recovery.claim-mode", "CLAIM");
                LOG.info("restoring the job from {}", snapshot.get());
            }
            StreamExecutionEnvironment env =
                    StreamExecutionEnvironment.getExecutionEnvironment(conf);
            CohortflowJob.onKafka(jobConfig).build(env);
            job = env.executeAsync(ExportCommand.JOB_NAME);
            Files.writeString(
                    config.dataDir().resolve(LauncherConfig.FLINK_REST_FILE),
                    "http://127.0.0.1:" + ui);
            if (bootstrap) {
                Files.writeString(used, cutover.savepoint());
            }
        } catch (Exception e) {
            throw new IllegalStateException("the job did not start", e);
        }
        LOG.info("job {} running on a local mini cluster (RocksDB)", job.getJobID());
    }

    /**
     * Stops the job with a final savepoint (memberships committed, state kept), or cancels it
     * (keeping the last checkpoint) if that does not finish in time.
     */
    public synchronized void stopJob() {
        if (job == null) {
            return;
        }
        try {
            Files.deleteIfExists(config.dataDir().resolve(LauncherConfig.FLINK_REST_FILE));
        } catch (IOException e) {
            LOG.warn("could not remove {}", LauncherConfig.FLINK_REST_FILE, e);
        }
        List<Path> snapshots = jobConfig.localSnapshotDirs();
        Path savepoints =
                snapshots.isEmpty() ? config.dataDir().resolve("savepoints") : snapshots.get(1);
        try {
            String where =
                    job.stopWithSavepoint(
                                    false,
                                    savepoints.toUri().toString(),
                                    SavepointFormatType.CANONICAL)
                            .get(config.stopTimeout().toSeconds(), TimeUnit.SECONDS);
            LOG.info("job stopped with savepoint {}", where);
        } catch (Exception e) {
            LOG.warn(
                    "no final savepoint ({}); cancelling, the last checkpoint is kept",
                    e.toString());
            try {
                job.cancel().get(30, TimeUnit.SECONDS);
            } catch (Exception c) {
                LOG.warn("cancelling the job failed", c);
            }
        }
        try {
            job.getJobExecutionResult().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            // A cancelled job ends exceptionally; all that matters is that it ended.
        }
        job = null;
    }

    /** The Flink web UI's address while the job runs (the port is the configured one if free). */
    public synchronized String flinkUiUrl() {
        return "http://127.0.0.1:" + restPort;
    }

    /** {@code wanted} when it is free on 127.0.0.1 (a restart keeps its address), else any. */
    private int uiPort(int wanted) {
        if (restPort > 0 && free(restPort)) {
            return restPort;
        }
        if (wanted > 0 && free(wanted)) {
            return restPort = wanted;
        }
        if (wanted > 0) {
            LOG.warn("port {} is taken: Flink's web UI gets another one", wanted);
        }
        return restPort = freePort();
    }

    private static boolean free(int port) {
        try (java.net.ServerSocket s =
                new java.net.ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() {
        return io.cohortflow.kafka.FreePorts.next();
    }

    /**
     * The newest {@code _metadata}, by modification time, under the job's checkpoint directory and
     * the savepoints beside it ({@link JobConfig#localSnapshotDirs}, where the job writes them
     * whatever the data directory), and the data directory's own (a checkpoint directory moved
     * elsewhere still finds the snapshots taken before).
     */
    Optional<Path> latestSnapshot() {
        return latestSnapshot(jobConfig, config.dataDir());
    }

    /**
     * Whether to start from the backfill's savepoint: a cut-over is set, and the job has no state
     * of its own since it last started from that savepoint ({@code marker}, written at each such
     * start, names it; a snapshot of the job's newer than the marker is its own). Taken as used
     * once submitted, a first start that failed before its first checkpoint restored the state from
     * before the backfill next time, and skipped every event the backfill had counted.
     */
    static boolean fromBootstrap(
            @org.jspecify.annotations.Nullable Cutover cutover,
            Path marker,
            Optional<Path> snapshot)
            throws java.io.IOException {
        if (cutover == null) {
            return false;
        }
        if (!Files.exists(marker) || !Files.readString(marker).equals(cutover.savepoint())) {
            return true;
        }
        if (snapshot.isEmpty()) {
            return true;
        }
        Path metadata = snapshot.get().resolve("_metadata");
        Path stamped = Files.exists(metadata) ? metadata : snapshot.get();
        return Files.getLastModifiedTime(stamped).compareTo(Files.getLastModifiedTime(marker)) <= 0;
    }

    static Optional<Path> latestSnapshot(JobConfig jobConfig, Path root) {
        java.util.Set<Path> dirs = new java.util.LinkedHashSet<>(jobConfig.localSnapshotDirs());
        dirs.add(root.resolve("checkpoints"));
        dirs.add(root.resolve("savepoints"));
        return Snapshots.newest(List.copyOf(dirs));
    }

    public int httpPort() {
        return service.port();
    }

    public String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    public TopicNames topics() {
        return jobConfig.topics();
    }

    public SegmentationModule segmentation() {
        return service.segmentation();
    }

    /** Service first (no new requests), then the job (final savepoint), then the broker. */
    @Override
    public synchronized void close() {
        if (service != null) {
            service.close();
            service = null;
        }
        stopJob();
        if (kafka != null) {
            kafka.close();
            kafka = null;
        }
    }
}
