package io.cohortflow.core.definition;

import java.util.Optional;

/** "Did you mean" hints for misspelled function and field names. */
public final class Suggestions {
    private Suggestions() {}

    /** The closest candidate within two edits (or one missing prefix/suffix character run). */
    public static Optional<String> closest(String word, Iterable<String> candidates) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String c : candidates) {
            int d = distance(word, c);
            if (d < bestDistance || (d == bestDistance && best != null && c.compareTo(best) < 0)) {
                best = c;
                bestDistance = d;
            }
        }
        int allowed = Math.max(2, word.length() / 4);
        return bestDistance <= allowed ? Optional.ofNullable(best) : Optional.empty();
    }

    /** Levenshtein distance, bounded in cost by the short strings it sees here. */
    static int distance(String a, String b) {
        if (a.length() > 64 || b.length() > 64) {
            return Integer.MAX_VALUE;
        }
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
