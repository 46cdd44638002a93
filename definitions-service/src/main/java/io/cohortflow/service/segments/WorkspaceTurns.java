package io.cohortflow.service.segments;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * A workspace's segment edits whose checks read other segments (creates, deletes, publishes and
 * unpublishes, rollbacks, definition changes), one at a time on this replica: each starts once the
 * one before it has been written and applied to the view, or has failed. Those checks read others
 * (a delete looks for referrers, a create for live references, both for the resolved-size limit),
 * and the log orders writes per segment only: two edits of different segments checked at once each
 * passed against a view without the other (a create naming B and a delete of B both answered 200).
 * The API's 60 writes a minute per workspace leave the wait at one write's round trip (about 10 ms)
 * at most.
 *
 * <p>Across replicas the same can still happen (each checks its own view); the job then reports the
 * referrer not applied, never live (docs/service.md).
 */
final class WorkspaceTurns {
    /** Per workspace, the last edit's end (completes normally once it is over, either way). */
    private final Map<String, CompletableFuture<Void>> last = new ConcurrentHashMap<>();

    /** Runs an edit whose turn came while another ended: not on the store's callback thread. */
    private final Executor executor;

    WorkspaceTurns(Executor executor) {
        this.executor = executor;
    }

    /**
     * Runs {@code edit} in {@code workspace}'s turn: at once, on this thread, when no other edit of
     * the workspace is under way (its checks then fail as they always did, by throwing).
     */
    <T> CompletableFuture<T> next(String workspace, Supplier<CompletableFuture<T>> edit) {
        CompletableFuture<Void> mine = new CompletableFuture<>();
        CompletableFuture<Void> before = last.put(workspace, mine);
        Runnable over =
                () -> {
                    mine.complete(null);
                    last.remove(workspace, mine);
                };
        CompletableFuture<T> result;
        if (before == null || before.isDone()) {
            try {
                result = edit.get();
            } catch (RuntimeException | Error e) {
                over.run();
                throw e;
            }
        } else {
            result = before.thenComposeAsync(ignored -> edit.get(), executor);
        }
        result.whenComplete((value, failure) -> over.run());
        return result;
    }

    /** Workspaces with an edit under way (for tests: none once every edit ended). */
    int underWay() {
        return last.size();
    }
}
