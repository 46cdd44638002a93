package io.cohortflow.service;

import io.cohortflow.core.config.Settings;
import io.cohortflow.service.config.ApiKeySettings;
import io.cohortflow.service.config.ServiceConfig;
import io.cohortflow.service.segmentation.SegmentationConfig;
import io.cohortflow.service.segmentation.SegmentationModule;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The service's composition root: the Segments API with the segmentation API mounted, from one
 * {@link Settings}. The service's container entry point ({@code service-dist}) and the launcher
 * both start the service through here, so the two are wired alike.
 */
public final class CohortflowServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CohortflowServer.class);

    private final SegmentationModule segmentation;
    private final DefinitionsService service;

    private CohortflowServer(SegmentationModule segmentation, DefinitionsService service) {
        this.segmentation = segmentation;
        this.service = service;
    }

    /**
     * Starts the segmentation module, then the service serving it; returns once the service listens
     * (its store rebuilt from the definitions topic). Warns once about deprecated and unknown
     * settings, and about a service without any API key.
     */
    public static CohortflowServer start(Settings settings) {
        ServiceConfig config = ServiceConfig.from(settings);
        SegmentationConfig segmentationConfig = SegmentationConfig.from(settings);
        if (config.apiKeys().isEmpty()) {
            LOG.warn(
                    "no API key is provisioned: set {} and {} or configure {}*",
                    ApiKeySettings.ENV_API_KEY,
                    ApiKeySettings.ENV_ORG,
                    ApiKeySettings.API_KEYS);
        }
        SegmentationModule segmentation =
                new SegmentationModule(config, segmentationConfig).start();
        try {
            DefinitionsService service =
                    new DefinitionsService(
                                    config,
                                    segmentation.controllers(),
                                    segmentation.readers(),
                                    segmentation.estimator(),
                                    segmentation.attributes())
                            .start();
            return new CohortflowServer(segmentation, service);
        } catch (RuntimeException e) {
            segmentation.close();
            throw e;
        }
    }

    public int port() {
        return service.port();
    }

    public SegmentationModule segmentation() {
        return segmentation;
    }

    /** Service first (no new requests), then the segmentation module it uses. */
    @Override
    public void close() {
        service.close();
        segmentation.close();
    }
}
