package io.cohortflow.core.definition;

import java.io.Serializable;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.RandomAccess;
import java.util.Set;

/**
 * The strings of a list comparison ({@code streq-in}, {@code contains-any-of}, {@code
 * contains-all-of}), immutable, with the searches those need in time independent of the list's
 * length: membership in a hash set, and which of the strings occur in a text by one pass of an
 * Aho-Corasick automaton. A definition may list thousands of strings and an event carry thousands
 * of characters; scanned string by string, one event against one such comparison took seconds.
 */
public final class StringList extends AbstractList<String> implements RandomAccess, Serializable {
    private static final long serialVersionUID = 1L;

    private final String[] items;
    private final Set<String> set;
    private transient volatile Automaton automaton;

    private StringList(List<String> items) {
        this.items = items.toArray(String[]::new);
        this.set = new HashSet<>(items);
    }

    /** {@code items} as a string list (itself when it is one already). */
    public static StringList of(List<String> items) {
        return items instanceof StringList s ? s : new StringList(items);
    }

    @Override
    public String get(int index) {
        return items[index];
    }

    @Override
    public int size() {
        return items.length;
    }

    @Override
    public boolean contains(Object o) {
        return set.contains(o);
    }

    /** Whether one of the strings occurs in {@code text}. */
    public boolean anyIn(String text) {
        return automaton().scan(text, null);
    }

    /**
     * Marks in {@code found} (bit {@code i} for the {@code i}-th distinct string, see {@link
     * #distinct}) the strings that occur in {@code text}.
     */
    public void findIn(String text, BitSet found) {
        automaton().scan(text, found);
    }

    /** How many distinct strings the list holds: {@link #findIn} numbers them 0 to this. */
    public int distinct() {
        return automaton().words;
    }

    private Automaton automaton() {
        Automaton a = automaton;
        if (a == null) {
            a = new Automaton(set);
            automaton = a;
        }
        return a;
    }

    /** A trie of the strings with failure links, scanned once per text. */
    private static final class Automaton {
        /** Transitions: (node << 16 | char) to the child node. */
        private final Map<Long, Integer> next = new HashMap<>();

        private final List<Integer> fail = new ArrayList<>();

        /** The string ending at a node (its number), or -1. */
        private final List<Integer> word = new ArrayList<>();

        /** The nearest node down the failure links (itself excluded) where a string ends, or -1. */
        private int[] output;

        private final int words;
        private final boolean empty;

        Automaton(Set<String> strings) {
            fail.add(0);
            word.add(-1);
            int n = 0;
            boolean hasEmpty = false;
            for (String s : strings) {
                if (s.isEmpty()) {
                    hasEmpty = true; // in every text
                }
                int node = 0;
                for (int i = 0; i < s.length(); i++) {
                    long k = key(node, s.charAt(i));
                    Integer child = next.get(k);
                    if (child == null) {
                        child = fail.size();
                        fail.add(0);
                        word.add(-1);
                        next.put(k, child);
                    }
                    node = child;
                }
                word.set(node, n++);
            }
            words = n;
            empty = hasEmpty;
            links();
        }

        private static long key(int node, char c) {
            return (long) node << 16 | c;
        }

        /** Failure and output links, breadth first (a node's links need its parent's). */
        private void links() {
            Map<Integer, List<long[]>> children = new HashMap<>();
            next.forEach(
                    (k, child) ->
                            children.computeIfAbsent((int) (k >>> 16), p -> new ArrayList<>())
                                    .add(new long[] {k & 0xFFFF, child}));
            output = new int[fail.size()];
            java.util.Arrays.fill(output, -1);
            java.util.ArrayDeque<Integer> queue = new java.util.ArrayDeque<>();
            queue.add(0);
            while (!queue.isEmpty()) {
                int node = queue.poll();
                for (long[] edge : children.getOrDefault(node, List.of())) {
                    char c = (char) edge[0];
                    int child = (int) edge[1];
                    int f = node == 0 ? 0 : step(fail.get(node), c);
                    fail.set(child, f);
                    output[child] = word.get(f) >= 0 ? f : output[f];
                    queue.add(child);
                }
            }
        }

        /** The node reached from {@code node} on {@code c}, following failure links. */
        private int step(int node, char c) {
            while (true) {
                Integer child = next.get(key(node, c));
                if (child != null) {
                    return child;
                }
                if (node == 0) {
                    return 0;
                }
                node = fail.get(node);
            }
        }

        /**
         * Scans {@code text}: with {@code found} null, whether some string occurs; otherwise marks
         * every string that does and answers whether all do.
         */
        boolean scan(String text, BitSet found) {
            if (empty && found == null) {
                return true;
            }
            int node = 0;
            for (int i = 0; i < text.length(); i++) {
                node = step(node, text.charAt(i));
                for (int o = word.get(node) >= 0 ? node : output[node]; o > 0; o = output[o]) {
                    if (found == null) {
                        return true;
                    }
                    found.set(word.get(o));
                }
            }
            if (found != null && empty) {
                // The empty string is in every text; its number is that of its trie node, the root.
                found.set(word.get(0));
            }
            return found != null && found.cardinality() == words;
        }
    }
}
