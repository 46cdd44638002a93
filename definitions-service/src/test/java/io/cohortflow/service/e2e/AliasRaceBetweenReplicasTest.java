package io.cohortflow.service.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.service.api.Http;
import io.cohortflow.service.segmentation.AliasBindings;
import io.cohortflow.service.segmentation.SegmentationConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Two whole service replicas on one broker receive, at the same instant, requests naming the same
 * new aliases: every alias of a round ends up bound to one user, as a replica started afterwards
 * reads the bindings back. (No job runs: the requests end in 503 after the bindings are written,
 * which is all this test looks at.)
 */
class AliasRaceBetweenReplicasTest {
    static final int ROUNDS = 20;

    static String body(int round) {
        return "{\"aliases\":[{\"priority\":0,\"tag\":\"email\",\"id\":\"e"
                + round
                + "\"},{\"priority\":1,\"tag\":\"cookie\",\"id\":\"c"
                + round
                + "\"},{\"priority\":2,\"tag\":\"device\",\"id\":\"d"
                + round
                + "\"}]}";
    }

    @Test
    void two_replicas_minting_for_the_same_new_aliases_bind_them_all_to_one_user()
            throws Exception {
        Map<String, String> quick = Map.of(SegmentationConfig.TIMEOUT.key(), "500 ms");
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (ServiceOnBroker one = ServiceOnBroker.start(quick);
                ServiceOnBroker two = ServiceOnBroker.beside(one, quick)) {
            List<Http> replicas = List.of(one.http, two.http);
            for (int round = 0; round < ROUNDS; round++) {
                CyclicBarrier together = new CyclicBarrier(2);
                List<CompletableFuture<Http.Response>> sent = new ArrayList<>();
                for (Http replica : replicas) {
                    int r = round;
                    sent.add(
                            CompletableFuture.supplyAsync(
                                    () -> {
                                        try {
                                            together.await(10, TimeUnit.SECONDS);
                                        } catch (Exception e) {
                                            throw new IllegalStateException(e);
                                        }
                                        return replica.post(
                                                "/ccs/v1/segmentation?k=ci-key", body(r));
                                    },
                                    pool));
                }
                for (CompletableFuture<Http.Response> f : sent) {
                    // The bindings are written before the request waits for the job (not here).
                    assertThat(f.get(30, TimeUnit.SECONDS).status()).isEqualTo(503);
                }
            }
            try (AliasBindings reader =
                    new AliasBindings(
                            one.kafka.bootstrapServers(),
                            "cohortflow.aliases",
                            Duration.ofSeconds(10))) {
                reader.start(Duration.ofSeconds(30));
                for (int round = 0; round < ROUNDS; round++) {
                    String email =
                            reader.lookup("acme", new AliasBindings.Alias("email", "e" + round, 0))
                                    .orElseThrow();
                    assertThat(
                                    reader.lookup(
                                            "acme",
                                            new AliasBindings.Alias("cookie", "c" + round, 1)))
                            .as("round %d", round)
                            .contains(email);
                    assertThat(
                                    reader.lookup(
                                            "acme",
                                            new AliasBindings.Alias("device", "d" + round, 2)))
                            .as("round %d", round)
                            .contains(email);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
