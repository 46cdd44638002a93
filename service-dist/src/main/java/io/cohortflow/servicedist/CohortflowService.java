package io.cohortflow.servicedist;

import io.cohortflow.core.config.Settings;
import io.cohortflow.service.CohortflowServer;
import io.cohortflow.service.segmentation.SegmentationConfig;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The service as one container runs it: {@link CohortflowServer} (the Segments API with the
 * synchronous segmentation API mounted) against an external Kafka cluster; the launcher starts the
 * same server in one process with an embedded broker and the job.
 *
 * <p>Configuration: the properties file named by the first argument or {@code COHORTFLOW_CONFIG},
 * then environment variables ({@code docs/service.md}, {@code docs/segmentation.md}). The topics
 * are expected to exist (created by the deployment: compose's topic container, Strimzi's {@code
 * KafkaTopic}s); the service still creates its compacted ones when missing, as it always does.
 */
public final class CohortflowService {
    private static final Logger LOG = LoggerFactory.getLogger(CohortflowService.class);

    private CohortflowService() {}

    /**
     * Starts the service on these settings, then warns once about names it does not know and
     * deprecated ones it read (known only once read: hence after the start).
     */
    public static CohortflowServer start(Settings settings) {
        CohortflowServer server = CohortflowServer.start(settings);
        settings.warnings(SegmentationConfig.ALL, SegmentationConfig.FAMILIES).forEach(LOG::warn);
        return server;
    }

    public static void main(String[] args) {
        String file = args.length > 0 ? args[0] : System.getenv("COHORTFLOW_CONFIG");
        CohortflowServer s;
        try {
            s =
                    start(
                            Settings.load(
                                    file == null || file.isBlank() ? null : Path.of(file),
                                    System.getenv()));
        } catch (IllegalArgumentException e) {
            System.err.println("cohortflow service: " + e.getMessage());
            System.exit(2);
            return;
        }
        // SIGTERM (a pod's stop) closes the service before the JVM exits, so in-flight requests
        // are answered and the Kafka clients leave cleanly.
        Runtime.getRuntime().addShutdownHook(new Thread(s::close, "cohortflow-service-shutdown"));
        LOG.info("cohortflow service listening on port {}", s.port());
    }
}
