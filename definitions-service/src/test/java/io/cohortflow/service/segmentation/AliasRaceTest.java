package io.cohortflow.service.segmentation;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.core.contract.TopicSpec;
import io.cohortflow.kafka.EmbeddedKafka;
import io.cohortflow.service.kafka.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two service replicas (two {@link AliasBindings} over one real broker) minting a user for the same
 * new aliases at the same instant: every alias ends up bound to one user, the one both answer.
 */
class AliasRaceTest {
    static EmbeddedKafka kafka;
    static AliasBindings one;
    static AliasBindings two;

    @BeforeAll
    static void start() {
        kafka = EmbeddedKafka.start();
        Topics.ensure(
                kafka.bootstrapServers(),
                List.of(new TopicSpec("race.aliases", 1, Map.of("cleanup.policy", "compact"))));
        one = new AliasBindings(kafka.bootstrapServers(), "race.aliases", Duration.ofSeconds(10));
        one.start(Duration.ofSeconds(30));
        two = new AliasBindings(kafka.bootstrapServers(), "race.aliases", Duration.ofSeconds(10));
        two.start(Duration.ofSeconds(30));
    }

    @AfterAll
    static void stop() {
        if (one != null) {
            one.close();
        }
        if (two != null) {
            two.close();
        }
        kafka.close();
    }

    @Test
    void two_replicas_minting_for_the_same_new_aliases_bind_them_all_to_one_user()
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 40; round++) {
                // Listed weakest first by one replica and strongest first by the other, so that
                // their writes interleave differently.
                List<AliasBindings.Alias> aliases = new ArrayList<>();
                for (int p = 0; p < 4; p++) {
                    aliases.add(new AliasBindings.Alias("tag" + p, "r" + round + "-" + p, p));
                }
                List<AliasBindings.Alias> reversed = new ArrayList<>(aliases);
                java.util.Collections.reverse(reversed);
                CyclicBarrier together = new CyclicBarrier(2);
                CompletableFuture<String> a =
                        CompletableFuture.supplyAsync(
                                () -> {
                                    await(together);
                                    return one.resolve("acme", aliases).join();
                                },
                                pool);
                CompletableFuture<String> b =
                        CompletableFuture.supplyAsync(
                                () -> {
                                    await(together);
                                    return two.resolve("acme", reversed).join();
                                },
                                pool);
                String user = a.get();
                assertThat(b.get()).as("round %d", round).isEqualTo(user);
                for (AliasBindings.Alias alias : aliases) {
                    assertThat(one.lookup("acme", alias)).as("round %d", round).hasValue(user);
                    assertThat(two.lookup("acme", alias)).as("round %d", round).hasValue(user);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void a_replica_that_loses_the_strongest_alias_answers_the_user_that_won_it() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 40; round++) {
                // The weaker alias is bound already; the stronger one is new to both replicas.
                AliasBindings.Alias weak = new AliasBindings.Alias("cookie", "w" + round, 1);
                String weakUser = one.resolve("acme", List.of(weak)).get();
                AliasBindings.Alias strong = new AliasBindings.Alias("crm", "s" + round, 0);
                CyclicBarrier together = new CyclicBarrier(2);
                CompletableFuture<String> alone =
                        CompletableFuture.supplyAsync(
                                () -> {
                                    await(together);
                                    return one.resolve("acme", List.of(strong)).join();
                                },
                                pool);
                CompletableFuture<String> both =
                        CompletableFuture.supplyAsync(
                                () -> {
                                    await(together);
                                    return two.resolve("acme", List.of(strong, weak)).join();
                                },
                                pool);
                String answered = alone.get();
                // Read back by the time its answer came: whichever of the two bindings is first.
                String won = one.lookup("acme", strong).orElseThrow();
                assertThat(answered).as("round %d", round).isEqualTo(won);
                // Whoever won the strong alias, the request naming both answers that user, as
                // every later one with the same aliases does.
                assertThat(both.get()).as("round %d", round).isEqualTo(won);
                assertThat(two.resolve("acme", List.of(strong, weak)).get()).isEqualTo(won);
                assertThat(List.of(weakUser, alone.get())).contains(won);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void an_erasure_on_one_replica_unbinds_what_another_bound_to_the_user_just_before()
            throws Exception {
        for (int round = 0; round < 40; round++) {
            AliasBindings.Alias known = new AliasBindings.Alias("crm", "e" + round, 0);
            String user = one.resolve("acme", List.of(known)).get();
            // Both replicas know the user by now; one binds a new alias to it ...
            while (two.lookup("acme", known).isEmpty()) {
                Thread.sleep(1);
            }
            AliasBindings.Alias fresh = new AliasBindings.Alias("cookie", "e" + round, 1);
            assertThat(one.resolve("acme", List.of(known, fresh)).get()).isEqualTo(user);
            // ... and the other erases the user at once, before it may have read that binding.
            two.unbind("acme", user).get();
            assertThat(two.lookup("acme", known)).as("round %d", round).isEmpty();
            assertThat(two.lookup("acme", fresh)).as("round %d", round).isEmpty();
        }
    }

    private static void await(CyclicBarrier b) {
        try {
            b.await();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
