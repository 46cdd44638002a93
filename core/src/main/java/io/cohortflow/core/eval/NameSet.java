package io.cohortflow.core.eval;

import io.cohortflow.core.event.CanonicalNames;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * An immutable set of a few event names whose {@link #contains} compares the names' cached hashes
 * before their characters. History-evaluated segments ask "is this event of one of my names?" of
 * every stored event they read; event names often differ only in their last characters ({@code
 * Event12}, {@code Event17}), where {@link Set#of}'s probe compares them byte by byte.
 */
final class NameSet extends AbstractSet<String> {
    /** Past this many names a hash set does better than a scan of the hashes. */
    private static final int SCAN = 16;

    private final String[] names;
    private final int[] hashes;
    @Nullable private final Set<String> large;

    private NameSet(String[] names) {
        this.names = names;
        this.hashes = new int[names.length];
        for (int i = 0; i < names.length; i++) {
            names[i] = CanonicalNames.of(names[i]); // an event's name matches by identity
            hashes[i] = names[i].hashCode();
        }
        this.large = names.length > SCAN ? Set.of(names) : null;
    }

    /** {@code names} as a name set (null stays null: "any name"). */
    static @Nullable Set<String> of(@Nullable Set<String> names) {
        if (names == null || names instanceof NameSet) {
            return names;
        }
        return new NameSet(names.toArray(new String[0]));
    }

    /** Each set of {@code sets} as a name set. */
    static List<Set<String>> each(List<Set<String>> sets) {
        return sets.stream().map(s -> (Set<String>) of(s)).toList();
    }

    @Override
    public boolean contains(Object o) {
        if (!(o instanceof String s)) {
            return false;
        }
        if (large != null) {
            return large.contains(s);
        }
        int h = s.hashCode();
        for (int i = 0; i < hashes.length; i++) {
            if (hashes[i] == h && names[i].equals(s)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public Iterator<String> iterator() {
        return Arrays.asList(names).iterator();
    }

    @Override
    public int size() {
        return names.length;
    }
}
