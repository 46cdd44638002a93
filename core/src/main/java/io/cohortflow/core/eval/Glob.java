package io.cohortflow.core.eval;

/** {@code matches} patterns: {@code *} matches any run of characters, everything else itself. */
final class Glob {
    private Glob() {}

    /**
     * Whether {@code text} matches {@code pattern}, in time linear in both: the literal runs
     * between stars must appear in order, the first at the start and the last at the end (unless
     * the pattern starts or ends with a star), and taking each run at its leftmost place after the
     * previous one is never wrong, since a star absorbs whatever lies between. Each run is found
     * with Knuth-Morris-Pratt, so the text is scanned once whatever the pattern (the greedy-star
     * backtracking this replaces was quadratic on patterns such as {@code *aaaaab}).
     */
    static boolean matches(String pattern, String text) {
        int first = pattern.indexOf('*');
        if (first < 0) {
            return pattern.equals(text);
        }
        int last = pattern.lastIndexOf('*');
        int suffix = pattern.length() - last - 1;
        // The text must hold the prefix and the suffix without them overlapping.
        if (first + suffix > text.length()
                || !text.regionMatches(0, pattern, 0, first)
                || !text.regionMatches(text.length() - suffix, pattern, last + 1, suffix)) {
            return false;
        }
        int t = first;
        int end = text.length() - suffix;
        int from = first + 1;
        while (from <= last) {
            int to = pattern.indexOf('*', from);
            if (to > from) {
                int at = indexOf(text, t, end, pattern, from, to);
                if (at < 0) {
                    return false;
                }
                t = at + (to - from);
            }
            from = to + 1;
        }
        return true;
    }

    /**
     * The first index in {@code text[from, to)} where {@code pattern[start, end)} occurs entirely
     * inside that range, or -1.
     */
    private static int indexOf(String text, int from, int to, String pattern, int start, int end) {
        int n = end - start;
        int[] fail = new int[n];
        for (int i = 1, k = 0; i < n; i++) {
            while (k > 0 && pattern.charAt(start + i) != pattern.charAt(start + k)) {
                k = fail[k - 1];
            }
            if (pattern.charAt(start + i) == pattern.charAt(start + k)) {
                k++;
            }
            fail[i] = k;
        }
        for (int i = from, k = 0; i < to; i++) {
            while (k > 0 && text.charAt(i) != pattern.charAt(start + k)) {
                k = fail[k - 1];
            }
            if (text.charAt(i) == pattern.charAt(start + k)) {
                k++;
            }
            if (k == n) {
                return i - n + 1;
            }
        }
        return -1;
    }
}
