package io.cohortflow.service.segmentation;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.cohortflow.core.contract.Keys;
import io.cohortflow.service.ServiceException;
import io.cohortflow.service.kafka.CompactedTable;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;

/**
 * Which user an alias names (docs/architecture.md). Bindings live in a compacted topic ({@link
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
    private final Duration writeTimeout;
    private final int maxBindings;

    public AliasBindings(String bootstrap, String topic, Duration writeTimeout) {
        this(bootstrap, topic, writeTimeout, Integer.MAX_VALUE);
    }

    /**
     * @param maxBindings bindings one workspace may hold: every replica holds every binding in its
     *     heap, so a client minting aliases without end would exhaust it (a 409 beyond)
     */
    public AliasBindings(String bootstrap, String topic, Duration writeTimeout, int maxBindings) {
        this.writeTimeout = writeTimeout;
        this.maxBindings = maxBindings;
        // First writer wins: a later record for a bound alias never rebinds it.
        this.table =
                new CompactedTable<>(
                                bootstrap,
                                topic,
                                Binding.class,
                                (cur, inc) -> cur,
                                writeTimeout,
                                true)
                        .countedBy(Keys::workspace);
    }

    public void start(Duration timeout) {
        table.start(timeout);
    }

    /**
     * Tombstones the bindings that lost to an earlier one (two replicas minting for one alias at
     * once), so the topic holds one record per alias (see {@link CompactedTable#compact}).
     */
    public java.util.concurrent.CompletableFuture<Integer> compact() {
        return table.supersededCount() == 0
                ? java.util.concurrent.CompletableFuture.completedFuture(0)
                : table.compact();
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
     *
     * <p>When the strongest alias of the request is unbound, it is bound first (to the user a
     * weaker alias names, or to a new UUID), then read back, and the others are bound to whichever
     * user won it: another replica may have bound it meanwhile (its copy of the table ahead of this
     * one's), and the answer is then that replica's user, as every later request with these aliases
     * will say. Binding them all at once could give each alias to whichever replica wrote it first,
     * and answering the weaker alias's user after losing the stronger one answered a user the next
     * request would not (a retry's idempotency key then went to another user).
     *
     * <p>Both steps together take at most the write timeout this was made with.
     */
    public CompletableFuture<String> resolve(String workspace, List<Alias> aliases) {
        return resolve(workspace, aliases, Deadline.after(writeTimeout));
    }

    /**
     * {@link #resolve(String, List)} by {@code deadline}: the bindings' writes, however many steps
     * they take, share what is left of it (a request's time), and fail with a {@link
     * TimeoutException} once it has passed.
     */
    public CompletableFuture<String> resolve(
            String workspace, List<Alias> aliases, Deadline deadline) {
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
        int held = table.count(workspace);
        if (held + unbound.size() > maxBindings) {
            if (user != null) {
                // A known user (a rotated cookie beside their CRM id, say) still gets their
                // events applied; only their new aliases stay unbound.
                return CompletableFuture.completedFuture(user);
            }
            // A new user: refused before anything is written or sent. The count is this
            // replica's view, moved as bindings are read back: requests binding at once, here
            // or on other replicas, may pass it by their number.
            throw ServiceException.withDetail(
                    409,
                    "too_many_bindings",
                    "a workspace holds at most "
                            + maxBindings
                            + " alias bindings; erase users, or name them by user_id",
                    "workspace "
                            + workspace
                            + ": "
                            + held
                            + " bindings, "
                            + unbound.size()
                            + " new");
        }
        Alias strongest = byPriority.get(0);
        if (unbound.get(0) != strongest) {
            // The strongest alias is bound, and a binding never moves: its user is the answer.
            String bound = user;
            return bind(workspace, unbound, bound, deadline).thenApply(v -> bound);
        }
        String candidate = user != null ? user : UUID.randomUUID().toString();
        return bind(workspace, List.of(strongest), candidate, deadline)
                .thenCompose(
                        v -> {
                            String winner = lookup(workspace, strongest).orElse(candidate);
                            return bind(
                                            workspace,
                                            unbound.subList(1, unbound.size()),
                                            winner,
                                            deadline)
                                    .thenApply(w -> winner);
                        });
    }

    /**
     * Binds each of {@code aliases} to {@code user} unless bound already (first writer wins), each
     * write waiting no longer than {@code deadline}.
     */
    private CompletableFuture<Void> bind(
            String workspace, List<Alias> aliases, String user, Deadline deadline) {
        if (aliases.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        if (deadline.left().isZero()) {
            // Written now, a binding would only be confirmed after the request had failed.
            return CompletableFuture.failedFuture(
                    new TimeoutException(
                            "no time left of the request's " + deadline.timeout() + " to bind"));
        }
        String now = Instant.now().toString();
        List<CompletableFuture<Optional<Binding>>> writes = new ArrayList<>();
        for (Alias a : aliases) {
            writes.add(
                    table.write(
                            key(workspace, a.tag(), a.id()),
                            new Binding(workspace, a.tag(), a.id(), user, now),
                            deadline.left())); // what is left at each send (see unbind)
        }
        return CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new));
    }

    /**
     * Removes every binding of {@code userId} in {@code workspace} (an erased user): a later
     * request naming one of those aliases mints a new user. Completes with the number removed once
     * this replica reads them gone. Scans the bindings held: erasure is rare, lookups are not.
     *
     * <p>Scans again once its tombstones are read back, until a scan finds nothing: a binding
     * another replica wrote before them (a request naming one of the user's aliases and a new one)
     * may not have been read here at the first scan, and would have kept the erased user.
     *
     * <p>Every scan together takes at most the write timeout this was made with.
     */
    public CompletableFuture<Integer> unbind(String workspace, String userId) {
        return unbind(workspace, userId, Deadline.after(writeTimeout));
    }

    /**
     * {@link #unbind(String, String)} by {@code deadline}: the scans share what is left of it (a
     * request's time; each had a write timeout of its own, so an erasure could take five of them
     * past its request's), and fail with a {@link TimeoutException} once it has passed.
     */
    public CompletableFuture<Integer> unbind(String workspace, String userId, Deadline deadline) {
        return unbind(workspace, userId, 0, MAX_UNBIND_SCANS, deadline);
    }

    /** Scans at most: a client binding new aliases to the user as fast as they go ends it. */
    private static final int MAX_UNBIND_SCANS = 5;

    private CompletableFuture<Integer> unbind(
            String workspace, String userId, int removedSoFar, int scansLeft, Deadline deadline) {
        List<String> keys =
                table.keys(b -> b.workspace().equals(workspace) && b.userId().equals(userId));
        if (keys.isEmpty() || scansLeft == 0) {
            return CompletableFuture.completedFuture(removedSoFar);
        }
        if (deadline.left().isZero()) {
            return CompletableFuture.failedFuture(
                    new TimeoutException(
                            "no time left of the request's "
                                    + deadline.timeout()
                                    + " to remove the user's alias bindings"));
        }
        List<CompletableFuture<Boolean>> removed = new ArrayList<>();
        for (String k : keys) {
            // What is left at each send: one that blocked (max.block.ms) used part of it.
            removed.add(table.remove(k, deadline.left()));
        }
        return CompletableFuture.allOf(removed.toArray(CompletableFuture[]::new))
                .thenCompose(
                        v ->
                                unbind(
                                        workspace,
                                        userId,
                                        removedSoFar + keys.size(),
                                        scansLeft - 1,
                                        deadline));
    }

    /** The table's reader, for readiness. */
    public io.cohortflow.service.kafka.Follower<String, byte[]> follower() {
        return table.follower();
    }

    @Override
    public void close() {
        table.close();
    }
}
