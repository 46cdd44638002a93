package io.cohortflow.core.eval;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code matches} agrees with the regular expression the glob stands for. */
class GlobTest {

    @Test
    void a_glob_matches_exactly_what_its_regular_expression_matches() {
        Random r = new Random(7);
        for (int i = 0; i < 20_000; i++) {
            String pattern = word(r, "ab*", 1 + r.nextInt(8));
            String text = word(r, "ab", r.nextInt(12));
            assertThat(Glob.matches(pattern, text))
                    .as("%s matches %s", pattern, text)
                    .isEqualTo(regex(pattern).matcher(text).matches());
        }
    }

    @Test
    void runs_are_literal_and_may_not_overlap_the_ends() {
        assertThat(Glob.matches("*/news/*", "https://example.com/news/1")).isTrue();
        assertThat(Glob.matches("a*a", "a")).isFalse();
        assertThat(Glob.matches("ab*ba", "aba")).isFalse();
        assertThat(Glob.matches("ab*ba", "abba")).isTrue();
        assertThat(Glob.matches("a.c", "abc")).isFalse();
        assertThat(Glob.matches("*", "")).isTrue();
        assertThat(Glob.matches("", "")).isTrue();
        assertThat(Glob.matches("**a**", "xax")).isTrue();
        assertThat(Glob.matches("*aab*", "aaab")).isTrue(); // a failed partial match restarts
    }

    private static String word(Random r, String alphabet, int length) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < length; i++) {
            b.append(alphabet.charAt(r.nextInt(alphabet.length())));
        }
        return b.toString();
    }

    /** The glob as a regular expression: literal runs joined by {@code .*}. */
    private static Pattern regex(String glob) {
        StringBuilder b = new StringBuilder();
        String[] parts = glob.split("\\*", -1);
        for (int i = 0; i < parts.length; i++) {
            if (i > 0) {
                b.append(".*");
            }
            b.append(Pattern.quote(parts[i]));
        }
        return Pattern.compile(b.toString(), Pattern.DOTALL);
    }
}
