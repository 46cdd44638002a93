package io.cohortflow.launcher;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import picocli.CommandLine;

/**
 * A word where a command was expected that names none, or no word at all: a usage error (2) whose
 * message names the word, and whose hints are the commands that are close ("Did you mean ...") and
 * the ones there are. Picocli's own suggestions compare letter pairs, so the commonest typo, two
 * letters swapped ({@code lsit}), got none; and a command given without its subcommand ({@code
 * cohortflow segments}) said only "Missing required subcommand".
 */
final class UnknownCommand extends CommandLine.ParameterException {
    private static final long serialVersionUID = 1L;

    /**
     * What a command looks like: letters, digits, '-' and '_', no dot, no path separator. A
     * settings file is named by a path or has an extension, so {@code prod.conf} that is not there
     * is still "no configuration file", but {@code segmnets} is a mistyped command.
     */
    private static final Pattern WORD = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]*");

    private final List<String> hints;

    private UnknownCommand(CommandLine cmd, String message, List<String> hints) {
        super(cmd, message);
        this.hints = List.copyOf(hints);
    }

    /** The lines to print after the message: the suggestions, then the commands there are. */
    List<String> hints() {
        return hints;
    }

    /**
     * Whether the first argument of {@code cohortflow} is a mistyped command rather than the
     * settings file of {@code run}: a word ({@link #WORD}) that is not an existing file. A file of
     * that name still starts the system with it, as documented.
     */
    static boolean isMistypedCommand(String argument) {
        return WORD.matcher(argument).matches() && !Files.isRegularFile(Path.of(argument));
    }

    /** Whether {@code argument} could be a command: a word ({@link #WORD}). */
    static boolean looksLikeCommand(String argument) {
        return WORD.matcher(argument).matches();
    }

    /**
     * {@code word} given to {@code cmd} where one of its subcommands was expected; {@code detail}
     * (may be empty) follows the message in parentheses.
     */
    static UnknownCommand of(CommandLine cmd, String word, String detail) {
        List<String> hints = new ArrayList<>();
        List<String> close = suggestions(cmd, word);
        if (close.size() == 1) {
            hints.add("Did you mean '" + close.get(0) + "'?");
        } else if (!close.isEmpty()) {
            hints.add("Did you mean one of: '" + String.join("', '", close) + "'?");
        }
        hints.add("Commands: " + String.join(", ", cmd.getSubcommands().keySet()));
        return new UnknownCommand(
                cmd,
                "unknown command '" + word + "'" + (detail.isEmpty() ? "" : " (" + detail + ")"),
                hints);
    }

    /**
     * {@code cmd}, a command that only groups others ({@code cohortflow segments}), given none of
     * them: the commands it has, as a mistyped one's are listed.
     */
    static UnknownCommand missing(CommandLine cmd) {
        return new UnknownCommand(
                cmd,
                "'" + cmd.getCommandName() + "' needs a command",
                List.of("Commands: " + String.join(", ", cmd.getSubcommands().keySet())));
    }

    /**
     * The commands of {@code cmd} close to {@code word}, qualified ({@code cohortflow segments});
     * when none is, its subcommands' commands ({@code cohortflow lsit}: {@code cohortflow segments
     * list}), since a command given one level too high is a likely mistake too.
     */
    static List<String> suggestions(CommandLine cmd, String word) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, CommandLine> e : cmd.getSubcommands().entrySet()) {
            if (close(word, e.getKey())) {
                out.add(e.getValue().getCommandSpec().qualifiedName());
            }
        }
        if (out.isEmpty()) {
            for (CommandLine sub : cmd.getSubcommands().values()) {
                for (Map.Entry<String, CommandLine> e : sub.getSubcommands().entrySet()) {
                    if (close(word, e.getKey())) {
                        out.add(e.getValue().getCommandSpec().qualifiedName());
                    }
                }
            }
        }
        return out;
    }

    /**
     * Whether a user who typed {@code typed} likely meant {@code command}: the same ignoring case,
     * a beginning of it of 3 letters or more, or one edit away (two for names of 6 letters or
     * more), a swap of two neighbouring letters counting as one edit.
     */
    static boolean close(String typed, String command) {
        String a = typed.toLowerCase(Locale.ROOT);
        String b = command.toLowerCase(Locale.ROOT);
        if (a.length() >= 3 && b.startsWith(a)) {
            return true;
        }
        int allowed = Math.max(a.length(), b.length()) >= 6 ? 2 : 1;
        return Math.abs(a.length() - b.length()) <= allowed && distance(a, b) <= allowed;
    }

    /** The optimal string alignment distance: insertions, deletions, changes and swaps. */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] =
                        Math.min(
                                Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1
                        && j > 1
                        && a.charAt(i - 1) == b.charAt(j - 2)
                        && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
