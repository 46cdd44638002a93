package io.cohortflow.core.contract;

import org.jspecify.annotations.Nullable;

/**
 * Text made of whole characters: no half of a surrogate pair. Such a half is not text: written as
 * UTF-8 (a Kafka key or value, the state's strings, a URL) it becomes {@code ?}, so two different
 * strings would read back as one, and a string would not read back as itself. Clients' strings that
 * are stored or keyed (user ids, alias tags and ids, event names, property names and values) are
 * refused with one.
 */
public final class WholeText {
    private WholeText() {}

    /** The index of the first unpaired surrogate in {@code s}, or -1 when there is none. */
    public static int unpairedSurrogate(CharSequence s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!Character.isSurrogate(c)) {
                continue;
            }
            if (Character.isHighSurrogate(c)
                    && i + 1 < s.length()
                    && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else {
                return i;
            }
        }
        return -1;
    }

    /** What is wrong with {@code s} by this rule, or null when it is whole text. */
    public static @Nullable String problem(CharSequence s) {
        int at = unpairedSurrogate(s);
        return at < 0 ? null : "whole characters only (an unpaired surrogate at " + at + ")";
    }
}
