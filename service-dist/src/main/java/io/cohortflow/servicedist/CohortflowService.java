package io.cohortflow.servicedist;

import io.cohortflow.core.config.Settings;
import io.cohortflow.service.DefinitionsService;
import io.cohortflow.service.config.ServiceConfig;
import io.cohortflow.service.segmentation.SegmentationConfig;
import io.cohortflow.service.segmentation.SegmentationModule;
import java.nio.file.Path;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The service as one container runs it: the definitions service with the synchronous segmentation
 * API mounted, against an external Kafka cluster (the launcher does the same in one process with an
 * embedded broker and job; {@link DefinitionsService#main} serves the Segments API alone).
 *
 * <p>Configuration: the properties file named by the first argument or {@code COHORTFLOW_CONFIG},
 * then environment variables ({@code docs/service.md}, {@code docs/segmentation.md}). The topics
 * are expected to exist (created by the deployment: compose's topic container, Strimzi's {@code
 * KafkaTopic}s); the service still creates its compacted ones when missing, as it always does.
 */
public final class CohortflowService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CohortflowService.class);

    private final SegmentationModule segmentation;
    private final DefinitionsService service;

    private CohortflowService(SegmentationModule segmentation, DefinitionsService service) {
        this.segmentation = segmentation;
        this.service = service;
    }

    /**
     * Starts the segmentation module, then the service serving it; returns once the service listens
     * (its store rebuilt from the definitions topic).
     */
    public static CohortflowService start(Map<String, String> props, Map<String, String> env) {
        return start(Settings.of(props, env));
    }

    public static CohortflowService start(Settings settings) {
        ServiceConfig config = ServiceConfig.from(settings);
        SegmentationConfig segmentationConfig = SegmentationConfig.from(settings);
        settings.warnings(SegmentationConfig.ALL, SegmentationConfig.FAMILIES).forEach(LOG::warn);
        if (config.apiKeys().isEmpty()) {
            LOG.warn(
                    "no API key is provisioned: set {} and {} or configure {}*",
                    ServiceConfig.ENV_API_KEY,
                    ServiceConfig.ENV_ORG,
                    ServiceConfig.API_KEYS);
        }
        SegmentationModule segmentation =
                new SegmentationModule(config, segmentationConfig).start();
        try {
            DefinitionsService service =
                    new DefinitionsService(
                                    config, segmentation.controllers(), segmentation.readers())
                            .start();
            return new CohortflowService(segmentation, service);
        } catch (RuntimeException e) {
            segmentation.close();
            throw e;
        }
    }

    public int port() {
        return service.port();
    }

    /** Service first (no new requests), then the segmentation module it uses. */
    @Override
    public void close() {
        service.close();
        segmentation.close();
    }

    public static void main(String[] args) {
        String file = args.length > 0 ? args[0] : System.getenv("COHORTFLOW_CONFIG");
        CohortflowService s;
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
