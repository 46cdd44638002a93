package io.cohortflow.core.event;

/**
 * One instance per event name, shared by every event, user and catalogue: a name looked up in a
 * catalogue's maps or a user's names then matches its key by identity, not character by character
 * (events decoded from bytes each carry their own instance). And a profile kept in memory for long
 * (the engine's benchmarks, a user visited again and again) held the instance of the first event of
 * each name it saw, so each of its users held their own, and finding an event's name among a user's
 * meant reading that user's copy, a cache miss or two per event (a quarter of the engine's time at
 * 10 definitions). Names repeat across users, so the shared instances stay in the cache.
 *
 * <p>A table indexed by hash that keeps the name last put in each slot: no lock, no growth, a
 * lookup of one slot. Two names that share a slot take turns: each is then held in some profiles as
 * another instance, which only costs what it did before. Threads may race on a slot; a string is
 * immutable, so any instance read is a whole one.
 */
public final class CanonicalNames {
    private CanonicalNames() {}

    private static final String[] TABLE = new String[1 << 12];

    /** The shared instance equal to {@code name}: the one the table holds, or {@code name}. */
    public static String of(String name) {
        int h = name.hashCode();
        int slot = (h ^ (h >>> 16)) & (TABLE.length - 1);
        String held = TABLE[slot];
        if (held != null && held.equals(name)) {
            return held;
        }
        TABLE[slot] = name;
        return name;
    }
}
