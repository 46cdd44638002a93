package io.cohortflow.service.e2e;

import io.cohortflow.core.contract.TopicNames;
import io.cohortflow.kafka.CohortflowTopics;
import io.cohortflow.kafka.EmbeddedKafka;
import io.cohortflow.service.DefinitionsService;
import io.cohortflow.service.api.Http;
import io.cohortflow.service.config.ServiceConfig;
import io.cohortflow.service.segmentation.SegmentationConfig;
import io.cohortflow.service.segmentation.SegmentationModule;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The real service with its segmentation module over an in-JVM broker and no job: what the
 * segmentation API's end-to-end tests that stop before the job start. Keys are the CI ones ({@link
 * KafkaStoreEndToEndTest#ciConfig}) unless {@code config} changes them.
 */
final class ServiceOnBroker implements AutoCloseable {
    final EmbeddedKafka kafka;
    final Http http;
    private final SegmentationModule segmentation;
    private final DefinitionsService service;
    private final boolean ownsBroker;

    private ServiceOnBroker(
            UnaryOperator<ServiceConfig> config, Map<String, String> segmentationProperties) {
        this(EmbeddedKafka.start(), true, config, segmentationProperties);
    }

    private ServiceOnBroker(
            EmbeddedKafka kafka,
            boolean ownsBroker,
            UnaryOperator<ServiceConfig> config,
            Map<String, String> segmentationProperties) {
        this.kafka = kafka;
        this.ownsBroker = ownsBroker;
        CohortflowTopics.ensure(kafka.bootstrapServers(), TopicNames.DEFAULT, 1);
        ServiceConfig c = config.apply(KafkaStoreEndToEndTest.ciConfig(kafka.bootstrapServers()));
        segmentation =
                new SegmentationModule(c, SegmentationConfig.from(segmentationProperties, Map.of()))
                        .start();
        service =
                new DefinitionsService(
                                c,
                                segmentation.controllers(),
                                segmentation.readers(),
                                segmentation.estimator(),
                                segmentation.attributes())
                        .start();
        http = new Http(service.port());
    }

    /** Another replica on {@code other}'s broker (closing it leaves the broker running). */
    static ServiceOnBroker beside(
            ServiceOnBroker other, Map<String, String> segmentationProperties) {
        return new ServiceOnBroker(
                other.kafka, false, UnaryOperator.identity(), segmentationProperties);
    }

    static ServiceOnBroker start(Map<String, String> segmentationProperties) {
        return start(UnaryOperator.identity(), segmentationProperties);
    }

    static ServiceOnBroker start(
            UnaryOperator<ServiceConfig> config, Map<String, String> segmentationProperties) {
        return new ServiceOnBroker(config, segmentationProperties);
    }

    int port() {
        return service.port();
    }

    /** The segmentation API's Kafka readers (aliases, schemas, replies). */
    java.util.List<io.cohortflow.service.kafka.Follower<?, ?>> segmentationReaders() {
        return segmentation.readers();
    }

    @Override
    public void close() {
        service.close();
        segmentation.close();
        if (ownsBroker) {
            kafka.close();
        }
    }
}
