package io.cohortflow.job;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The user TTL settings a job ran under, checkpointed by {@link SegmentationOperator} ({@link
 * Descriptors#USER_TTLS}) so that a restore under other settings can tell whether its users' timers
 * still hold. Each user's timer is at the earlier of their next lapse and their TTL instant under
 * the settings it was registered with ({@link Lapses#register}). A TTL lengthened or turned off
 * needs nothing: the earlier timer fires, expires nobody and registers the later wake-up ({@link
 * WakeUps#onTimer}). A TTL shortened or turned on for some workspace reaches its users who send
 * nothing more only when something visits them: the restore starts a sweep of every user ({@link
 * WakeUps#visit} moves a timer earlier). Plain logic, tested without Flink.
 */
final class UserTtls {
    private UserTtls() {}

    /**
     * What a subtask checkpoints of {@code settings}: the default TTL in milliseconds, then {@code
     * millis/workspace} for each workspace with its own (workspace ids hold no '/', and the millis
     * come first whatever they hold).
     */
    static List<String> state(SegmentationSettings settings) {
        List<String> out = new ArrayList<>();
        out.add(Long.toString(settings.userTtlMillis()));
        new TreeMap<>(settings.workspaceUserTtlMillis())
                .forEach((workspace, millis) -> out.add(millis + "/" + workspace));
        return out;
    }

    /**
     * Whether the users of some workspace expire sooner under {@code now} than under the settings
     * {@code saved} by {@link #state} (every old subtask's, one after the other: union state), so
     * that a sweep must give them their earlier timers. With nothing saved (state from before the
     * TTLs were checkpointed, a backfill's bootstrap), whether any user expires under {@code now}
     * at all: no timer is known to account for it.
     */
    static boolean shortened(SegmentationSettings now, List<String> saved) {
        if (now.backfill()) {
            return false; // a backfill expires nobody
        }
        if (saved.isEmpty()) {
            return now.userTtlMillis() > 0
                    || now.workspaceUserTtlMillis().values().stream().anyMatch(t -> t > 0);
        }
        // Every old subtask saved the same; were they ever to differ, the longest counts.
        long savedDefault = 0;
        boolean first = true;
        Map<String, Long> savedWorkspaces = new HashMap<>();
        for (String entry : saved) {
            int slash = entry.indexOf('/');
            if (slash < 0) {
                long t = Long.parseLong(entry);
                savedDefault = first ? t : longer(savedDefault, t);
                first = false;
            } else {
                savedWorkspaces.merge(
                        entry.substring(slash + 1),
                        Long.parseLong(entry.substring(0, slash)),
                        UserTtls::longer);
            }
        }
        // A workspace named in neither follows the defaults.
        if (shorter(now.userTtlMillis(), savedDefault)) {
            return true;
        }
        List<String> named = new ArrayList<>(savedWorkspaces.keySet());
        named.addAll(now.workspaceUserTtlMillis().keySet());
        for (String workspace : named) {
            if (shorter(
                    now.ttlOf(workspace), savedWorkspaces.getOrDefault(workspace, savedDefault))) {
                return true;
            }
        }
        return false;
    }

    /** Whether a TTL of {@code now} ends sooner than one of {@code before} (0: never). */
    private static boolean shorter(long now, long before) {
        return now > 0 && (before <= 0 || now < before);
    }

    private static long longer(long a, long b) {
        return a <= 0 || b <= 0 ? 0 : Math.max(a, b);
    }
}
