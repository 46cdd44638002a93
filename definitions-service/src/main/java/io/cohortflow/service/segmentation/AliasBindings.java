package io.cohortflow.service.segmentation;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.cohortflow.core.contract.Keys;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * Which user an alias names (DESIGN section 3). Bindings live in a compacted topic ({@link
 * CompactedTable}); the first binding of an alias in log order wins for ever, so two replicas that
 * mint a user for the same new alias at once agree on the first one written, and a restart reads
 * the same bindings back.
 */
public final class AliasBindings implements AutoCloseable {

    /** One binding record on the aliases topic. */
    public record Binding(
            @JsonProperty("workspace") String workspace,
            @JsonProperty("tag") String tag,
            @JsonProperty("id") String id,
            @JsonProperty("user_id") String userId,
            @JsonProperty("bound") String bound) {}

    /** An alias of a request; {@code priority} is 0 for a single alias. Lower is stronger. */
    public record Alias(String tag, String id, int priority) {}

    private final CompactedTable<Binding> table;

    public AliasBindings(String bootstrap, String topic, Duration writeTimeout) {
        // First writer wins: a later record for a bound alias never rebinds it.
        this.table =
                new CompactedTable<>(
                        bootstrap, topic, Binding.class, (cur, inc) -> cur, writeTimeout, true);
    }

    public void start(Duration timeout) {
        table.start(timeout);
    }

    static String key(String workspace, String tag, String id) {
        // Length-prefixed so that no tag/id pair can collide with another.
        return Keys.of(workspace, tag.length() + ":" + tag + ":" + id);
    }

    public Optional<String> lookup(String workspace, Alias a) {
        return table.get(key(workspace, a.tag(), a.id())).map(Binding::userId);
    }

    /**
     * The user the aliases name: the one bound to the strongest bound alias, or a new UUID when
     * none is bound. Every unbound alias is bound to that user before the future completes, so the
     * answer is durable.
     */
    public CompletableFuture<String> resolve(String workspace, List<Alias> aliases) {
        List<Alias> byPriority = new ArrayList<>(aliases);
        byPriority.sort(Comparator.comparingInt(Alias::priority));
        String user = null;
        List<Alias> unbound = new ArrayList<>();
        for (Alias a : byPriority) {
            Optional<String> u = lookup(workspace, a);
            if (u.isPresent() && user == null) {
                user = u.get();
            } else if (u.isEmpty()) {
                unbound.add(a);
            }
        }
        if (unbound.isEmpty()) {
            return CompletableFuture.completedFuture(user);
        }
        boolean minted = user == null;
        String candidate = minted ? UUID.randomUUID().toString() : user;
        String now = Instant.now().toString();
        List<CompletableFuture<Optional<Binding>>> writes = new ArrayList<>();
        for (Alias a : unbound) {
            writes.add(
                    table.write(
                            key(workspace, a.tag(), a.id()),
                            new Binding(workspace, a.tag(), a.id(), candidate, now)));
        }
        return CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new))
                .thenApply(
                        v -> {
                            if (!minted) {
                                return candidate;
                            }
                            // Another replica may have bound the strongest alias first: its user
                            // is the answer, whatever we wrote.
                            return lookup(workspace, byPriority.get(0)).orElse(candidate);
                        });
    }

    @Override
    public void close() {
        table.close();
    }
}
