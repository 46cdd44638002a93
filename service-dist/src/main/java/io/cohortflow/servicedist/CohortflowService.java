package io.cohortflow.servicedist;

import io.cohortflow.service.DefinitionsService;
import io.cohortflow.service.config.ServiceConfig;
import io.cohortflow.service.segmentation.SegmentationConfig;
import io.cohortflow.service.segmentation.SegmentationModule;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import javax.annotation.Nullable;
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
        ServiceConfig config = ServiceConfig.from(props, env);
        if (config.apiKeys().isEmpty()) {
            LOG.warn(
                    "no API key is provisioned: set {} and {} or configure {}*",
                    ServiceConfig.ENV_API_KEY,
                    ServiceConfig.ENV_ORG,
                    ServiceConfig.API_KEYS);
        }
        SegmentationModule segmentation =
                new SegmentationModule(config, SegmentationConfig.from(props, env)).start();
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

    /** Reads a properties file; a missing name means no file. */
    static Map<String, String> properties(@Nullable String file) {
        Map<String, String> props = new HashMap<>();
        if (file == null || file.isBlank()) {
            return props;
        }
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(Path.of(file))) {
            p.load(r);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read configuration " + file, e);
        }
        p.stringPropertyNames().forEach(k -> props.put(k, p.getProperty(k).trim()));
        return props;
    }

    public static void main(String[] args) {
        String file = args.length > 0 ? args[0] : System.getenv("COHORTFLOW_CONFIG");
        CohortflowService s = start(properties(file), System.getenv());
        // SIGTERM (a pod's stop) closes the service before the JVM exits, so in-flight requests
        // are answered and the Kafka clients leave cleanly.
        Runtime.getRuntime().addShutdownHook(new Thread(s::close, "cohortflow-service-shutdown"));
        LOG.info("cohortflow service listening on port {}", s.port());
    }
}
