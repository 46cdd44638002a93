package io.cohortflow.launcher;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code cohortflow users get|explain|erase}: one user of a running service (docs/segmentation.md,
 * "One user"), for scripts and support: JSON on standard output, exit codes as {@code segments}.
 */
@Command(
        name = "users",
        mixinStandardHelpOptions = true,
        description = "One user of a running service: memberships, explain, erasure.",
        subcommands = {
            UsersCommand.Get.class,
            UsersCommand.Explain.class,
            UsersCommand.Erase.class
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:done",
            "1:the service answered an error (404: the user is unknown)",
            "2:wrong arguments",
            AnswerPrinter.UNREACHABLE_HELP
        })
final class UsersCommand {
    private UsersCommand() {}

    /** The user: an id, or an alias as {@code tag:id}. */
    static final class Who {
        @Parameters(
                paramLabel = "<user-id>",
                description = "The user's id, as the events carry it.")
        @Nullable String userId;

        @Option(
                names = "--alias",
                paramLabel = "<tag:id>",
                description = "The user an alias is bound to, as tag:id.")
        @Nullable String alias;

        /** {@code /ccs/v1/users/<id or alias>}{@code suffix}, with the alias's query. */
        String path(CommandLine cmd, String suffix, Map<String, Object> query) {
            Map<String, Object> q = new LinkedHashMap<>();
            String user;
            if (alias != null) {
                int colon = alias.indexOf(':');
                if (colon <= 0 || colon == alias.length() - 1) {
                    throw new CommandLine.ParameterException(cmd, "--alias takes tag:id");
                }
                q.put("tag", alias.substring(0, colon));
                q.put("id", alias.substring(colon + 1));
                user = "alias";
            } else {
                user = SegmentsCommand.pathSegment(userId);
            }
            q.putAll(query);
            return "/ccs/v1/users/" + user + suffix + SegmentsCommand.query(q);
        }
    }

    @Command(
            name = "get",
            mixinStandardHelpOptions = true,
            description = "The user's memberships with status and times (GET /ccs/v1/users/{id}).")
    static final class Get implements Callable<Integer> {
        @Mixin ServiceClient service;
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;

        @ArgGroup(multiplicity = "1")
        Who who;

        @Override
        public Integer call() {
            return service.send(
                    spec.commandLine(), "GET", who.path(spec.commandLine(), "", Map.of()), null);
        }
    }

    @Command(
            name = "explain",
            mixinStandardHelpOptions = true,
            description = "Why the user is or is not in a segment, as a tree (GET .../explain).")
    static final class Explain implements Callable<Integer> {
        @Mixin ServiceClient service;
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;

        @ArgGroup(multiplicity = "1")
        Who who;

        @Option(names = "--segment", required = true, description = "The segment's id.")
        String segment;

        @Override
        public Integer call() {
            String path = who.path(spec.commandLine(), "/explain", Map.of("segment", segment));
            return service.send(spec.commandLine(), "GET", path, null);
        }
    }

    @Command(
            name = "erase",
            mixinStandardHelpOptions = true,
            description =
                    "Erases the user: state, memberships (exited) and alias bindings (DELETE"
                            + " /ccs/v1/users/{id}; an admin key). Asks for --yes.")
    static final class Erase implements Callable<Integer> {
        @Mixin ServiceClient service;
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;

        @ArgGroup(multiplicity = "1")
        Who who;

        @Option(names = "--yes", description = "Erase without asking: it cannot be undone.")
        boolean yes;

        @Override
        public Integer call() {
            if (!yes) {
                throw new CommandLine.ParameterException(
                        spec.commandLine(), "erasure cannot be undone: add --yes to erase");
            }
            return service.send(
                    spec.commandLine(), "DELETE", who.path(spec.commandLine(), "", Map.of()), null);
        }
    }
}
