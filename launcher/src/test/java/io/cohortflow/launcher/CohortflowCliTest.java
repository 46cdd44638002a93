package io.cohortflow.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code cohortflow}'s command line without a running system: usage, errors and exit codes. */
class CohortflowCliTest {
    final StringWriter out = new StringWriter();
    final StringWriter err = new StringWriter();

    int run(String... args) {
        out.getBuffer().setLength(0);
        err.getBuffer().setLength(0);
        CommandLine cli = Cohortflow.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    @Test
    void help_on_every_command_exits_0_and_names_its_options() {
        assertThat(run("--help")).isZero();
        assertThat(out.toString())
                .startsWith("Usage: cohortflow")
                .contains("run", "backfill", "segments", "Exit codes:")
                .doesNotContain("Exception");
        assertThat(run("backfill", "--help")).isZero();
        assertThat(out.toString()).contains("--input", "--output", "--savepoint", "--until");
        assertThat(run("segments", "list", "--help")).isZero();
        assertThat(out.toString()).contains("--url", "--api-key", "--org", "--name");
        assertThat(run("help", "segments")).isZero();
        assertThat(out.toString()).contains("list", "get", "validate", "create");
        assertThat(run("--version")).isZero();
        assertThat(out.toString()).startsWith("cohortflow ");
    }

    /** An id in a path: a space is %20 there ('+' is a plus sign), '/' one segment's. */
    @Test
    void ids_go_into_a_path_as_one_segment() {
        assertThat(SegmentsCommand.pathSegment("user 42/crm;x")).isEqualTo("user%2042%2Fcrm%3Bx");
        assertThat(SegmentsCommand.pathSegment("a+b")).isEqualTo("a%2Bb");
    }

    @Test
    void wrong_arguments_exit_2_saying_what_is_wrong() {
        assertThat(run("--port", "8080")).isEqualTo(2);
        assertThat(err.toString())
                .contains("cohortflow: Unknown option: '--port'")
                .contains("Try 'cohortflow --help' for more information.")
                .doesNotContain("Usage:");
        assertThat(run("nowhere.properties")).isEqualTo(2);
        assertThat(err.toString()).contains("no configuration file nowhere.properties");
        assertThat(run("backfill", "--input", "h", "--output", "o", "--until", "yesterday"))
                .isEqualTo(2);
        assertThat(err.toString()).contains("--until: not an ISO-8601 instant");
        assertThat(run("backfill", "--output", "o")).isEqualTo(2);
        assertThat(err.toString()).contains("give either --input or --input-table");
        assertThat(run("segments", "get")).isEqualTo(2);
        assertThat(err.toString()).contains("Missing required parameter: '<id>'");
    }

    @Test
    void a_setting_that_does_not_parse_exits_2_naming_the_key(@TempDir Path dir) throws Exception {
        Path file =
                Files.writeString(dir.resolve("c.properties"), "cohortflow.kafka.port=ninety\n");
        assertThat(run(file.toString())).isEqualTo(2);
        assertThat(err.toString())
                .contains("cohortflow.kafka.port must be an integer from 0 to 65535, got 'ninety'")
                .contains("Try 'cohortflow run --help'");
    }

    @Test
    void the_file_named_is_the_one_started_with(@TempDir Path dir) throws Exception {
        Path file =
                Files.writeString(
                        dir.resolve("c.properties"),
                        "cohortflow.kafka.port=19092\ncohortflow.kafka.eventPartitions=3\n");
        CommandLine cli = new CommandLine(new RunCommand());
        cli.parseArgs(file.toString());
        LauncherConfig c = ((RunCommand) cli.getCommand()).configuration();
        assertThat(c.kafkaPort()).isEqualTo(19092);
        assertThat(c.eventPartitions()).isEqualTo(3);
        assertThat(c.settings().deprecationsUsed())
                .containsExactly(
                        "cohortflow.kafka.eventPartitions is deprecated: use"
                                + " cohortflow.kafka.event-partitions"
                                + " (COHORTFLOW_KAFKA_EVENT_PARTITIONS)");
    }

    @Test
    void the_segments_client_needs_a_key_and_says_when_nothing_answers() throws Exception {
        assertThat(run("segments", "list", "--api-key", "", "--org", "")).isEqualTo(2);
        assertThat(err.toString()).contains("an API key and a workspace are needed");
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        assertThat(
                        run(
                                "segments",
                                "list",
                                "--url",
                                "http://127.0.0.1:" + closed,
                                "--api-key",
                                "k",
                                "--org",
                                "o"))
                .isEqualTo(3);
        assertThat(err.toString())
                .contains(
                        "cohortflow: no answer from http://127.0.0.1:"
                                + closed
                                + ": connection refused (is the system running? start it with"
                                + " launcher/run.sh)")
                .doesNotContain("java.net.");
    }

    /**
     * No answer says what happened and where: a server that accepts and never answers times out
     * after --timeout (a failure, 1: the request was sent; one that writes may have been applied),
     * one that closes the connection says so, and a connection not made in time says within what
     * (3: the service could not be reached).
     */
    @Test
    void no_answer_says_what_happened_and_where(@TempDir Path dir) throws Exception {
        String segment = Files.writeString(dir.resolve("s.json"), "{\"name\":\"n\"}").toString();
        java.util.List<java.net.Socket> held = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
                ServerSocket closing = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
                ServerSocket full = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            accepting(silent, held::add); // reads nothing, answers nothing
            accepting(closing, java.net.Socket::close);
            String silentUrl = "http://127.0.0.1:" + silent.getLocalPort();
            String[] key = {"--api-key", "k", "--org", "o", "--timeout", "1"};

            assertThat(run(concat(new String[] {"segments", "list", "--url", silentUrl}, key)))
                    .isEqualTo(1);
            assertThat(err.toString())
                    .contains(
                            "cohortflow: no answer from "
                                    + silentUrl
                                    + ": GET /segments timed out after 1 s (--timeout)")
                    .doesNotContain("may have been applied", "\tat ");

            assertThat(
                            run(
                                    concat(
                                            new String[] {
                                                "segments", "create", segment, "--url", silentUrl
                                            },
                                            key)))
                    .isEqualTo(1);
            assertThat(err.toString())
                    .contains(
                            "cohortflow: no answer from "
                                    + silentUrl
                                    + ": POST /segments timed out after 1 s (--timeout); it was"
                                    + " sent, so it may have been applied: check before retrying");

            String closingUrl = "http://127.0.0.1:" + closing.getLocalPort();
            assertThat(run(concat(new String[] {"segments", "list", "--url", closingUrl}, key)))
                    .isEqualTo(3);
            assertThat(err.toString())
                    .contains(
                            "cohortflow: no answer from "
                                    + closingUrl
                                    + ": the connection was closed before GET /segments was"
                                    + " answered (was the service stopped or restarted?)");

            // A listening socket whose queue is full (it accepts nobody): Linux drops the next
            // connection's SYN, so it is not made in time. Elsewhere the queue may not fill.
            boolean filled = false;
            for (int i = 0; i < 8 && !filled; i++) {
                java.net.Socket s = new java.net.Socket();
                held.add(s);
                try {
                    s.connect(new InetSocketAddress("127.0.0.1", full.getLocalPort()), 200);
                } catch (java.net.SocketTimeoutException e) {
                    filled = true;
                }
            }
            org.junit.jupiter.api.Assumptions.assumeTrue(filled, "the accept queue did not fill");
            String fullUrl = "http://127.0.0.1:" + full.getLocalPort();
            assertThat(run(concat(new String[] {"segments", "list", "--url", fullUrl}, key)))
                    .isEqualTo(3);
            assertThat(err.toString())
                    .contains(
                            "cohortflow: no answer from "
                                    + fullUrl
                                    + ": no connection within 1 s (--timeout)");
        } finally {
            for (java.net.Socket s : held) {
                s.close();
            }
        }
    }

    /**
     * A service stopped in the middle of a request closes the connection, at any point: one line
     * naming the address and what was sent (a write may have been applied), exit 3, as README
     * defines a connection closed without an answer. The JDK's client said "HTTP/1.1 header parser
     * received no bytes: Connection reset" or "fixed content-length: 100, bytes received: 4".
     */
    @Test
    void a_connection_closed_mid_request_is_one_line_naming_the_address_and_what_was_sent(
            @TempDir Path dir) throws Exception {
        String segment = Files.writeString(dir.resolve("s.json"), "{\"name\":\"n\"}").toString();
        String[] key = {"--api-key", "k", "--org", "o"};
        String stopped = " was answered (was the service stopped or restarted?)";

        // A real server, stopped while its handler holds the request.
        for (String[] command :
                new String[][] {{"segments", "list"}, {"segments", "create", segment}}) {
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            java.util.concurrent.ExecutorService handlers =
                    java.util.concurrent.Executors.newCachedThreadPool();
            java.util.concurrent.CountDownLatch received =
                    new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CountDownLatch release =
                    new java.util.concurrent.CountDownLatch(1);
            server.createContext(
                    "/",
                    x -> {
                        x.getRequestBody().readAllBytes();
                        received.countDown();
                        try {
                            release.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        x.close();
                    });
            server.setExecutor(handlers);
            server.start();
            String url = "http://127.0.0.1:" + server.getAddress().getPort();
            Thread stopper =
                    new Thread(
                            () -> {
                                try {
                                    received.await();
                                    server.stop(0);
                                } catch (InterruptedException e) {
                                    Thread.currentThread().interrupt();
                                } finally {
                                    release.countDown();
                                }
                            });
            stopper.start();
            try {
                int exit = run(concat(concat(command, new String[] {"--url", url}), key));
                assertThat(exit).as(err.toString()).isEqualTo(3);
            } finally {
                release.countDown();
                stopper.join(10_000);
                server.stop(0);
                handlers.shutdownNow();
            }
            // The JDK's client sends a read again once on a new connection, and finds the
            // service gone: refused; or, when the retry reached the listener before it closed (a
            // race of the stopping server's, both seen in CI), reset or closed unanswered. A
            // write it does not repeat.
            String head = "cohortflow: no answer from " + url;
            if (command[1].equals("list")) {
                assertThat(err.toString())
                        .isIn(
                                head
                                        + ": connection refused (is the system running? start"
                                        + " it with launcher/run.sh)"
                                        + System.lineSeparator(),
                                head + ": connection reset by peer" + System.lineSeparator(),
                                head
                                        + ": the connection was closed before GET /segments"
                                        + stopped
                                        + System.lineSeparator());
            } else {
                assertThat(err.toString())
                        .isEqualTo(
                                head
                                        + ": the connection was closed before POST /segments"
                                        + stopped
                                        + "; it may have been applied: check before retrying"
                                        + System.lineSeparator());
            }
        }

        // A connection reset once the request is read, and one closed in the middle of the answer
        // (every connection alike: the client sends a read again once).
        for (String answer :
                new String[] {null, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"}) {
            try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
                Thread t =
                        new Thread(
                                () -> {
                                    while (true) {
                                        try (java.net.Socket c = server.accept()) {
                                            c.getInputStream().read(new byte[65536]);
                                            if (answer == null) {
                                                c.setSoLinger(true, 0); // RST, not FIN
                                            } else {
                                                c.getOutputStream()
                                                        .write(
                                                                answer.getBytes(
                                                                        StandardCharsets.US_ASCII));
                                                c.getOutputStream().flush();
                                            }
                                        } catch (java.io.IOException e) {
                                            if (server.isClosed()) {
                                                return; // the test is over
                                            }
                                        }
                                    }
                                });
                t.setDaemon(true);
                t.start();
                String url = "http://127.0.0.1:" + server.getLocalPort();
                String[] args = {"users", "get", "u1", "--url", url, "--timeout", "10"};
                assertThat(run(concat(args, key))).as(err.toString()).isEqualTo(3);
                assertThat(err.toString())
                        .isEqualTo(
                                "cohortflow: no answer from "
                                        + url
                                        + ": the connection was closed before GET"
                                        + " /ccs/v1/users/u1"
                                        + stopped
                                        + System.lineSeparator());
            }
        }
    }

    /**
     * COHORTFLOW_VERBOSE=1 adds the stack trace under the line of a connection closed without an
     * answer, as under every other line of the CLI (CommandErrors); without it, the line alone.
     */
    @Test
    void a_closed_connection_shows_its_stack_only_with_cohortflow_verbose(@TempDir Path dir)
            throws Exception {
        RunScript script = new RunScript(dir);
        try (ServerSocket closing = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            accepting(closing, java.net.Socket::close);
            String url = "http://127.0.0.1:" + closing.getLocalPort();
            String[] args = {"segments", "list", "--url", url, "--api-key", "k", "--org", "o"};
            String line =
                    "cohortflow: no answer from "
                            + url
                            + ": the connection was closed before GET /segments was answered";

            RunScript.Result quiet = script.run(java.util.Map.of(), args);
            assertThat(quiet.exit()).as(quiet.err()).isEqualTo(3);
            assertThat(quiet.err()).startsWith(line).doesNotContain("\tat ");
            assertThat(quiet.err().lines()).hasSize(1);

            RunScript.Result verbose =
                    script.run(java.util.Map.of("COHORTFLOW_VERBOSE", "1"), args);
            assertThat(verbose.exit()).isEqualTo(3);
            assertThat(verbose.err()).startsWith(line).contains("java.io.", "\tat ");
        }
    }

    static String[] concat(String[] a, String[] b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    /**
     * A word that is neither a command nor an existing file is a mistyped command (exit 2), named
     * with the commands close to it and all there are; not a settings file that is not there.
     */
    @Test
    void a_mistyped_command_exits_2_naming_it_and_the_commands() {
        String commands = "Commands: run, backfill, segments, users, help, export-members";
        assertThat(run("segmnets", "list")).isEqualTo(2);
        assertThat(err.toString())
                .contains(
                        "cohortflow: unknown command 'segmnets' (and no settings file of that name)",
                        "Did you mean 'cohortflow segments'?",
                        commands,
                        "Try 'cohortflow --help' for more information.")
                .doesNotContain("configuration file", "Unmatched", "\tat ");
        assertThat(run("lsit")).isEqualTo(2);
        assertThat(err.toString())
                .contains(
                        "cohortflow: unknown command 'lsit'",
                        "Did you mean 'cohortflow segments list'?",
                        commands);
        assertThat(run("get", "u1")).isEqualTo(2);
        assertThat(err.toString())
                .contains(
                        "Did you mean one of: 'cohortflow segments get', 'cohortflow users get'?");
        assertThat(run("bakfill", "--input", "h")).isEqualTo(2);
        assertThat(err.toString()).contains("Did you mean 'cohortflow backfill'?");
        assertThat(run("xyzzy")).isEqualTo(2);
        assertThat(err.toString())
                .contains("cohortflow: unknown command 'xyzzy'", commands)
                .doesNotContain("Did you mean");

        // One level down: a command that takes only commands.
        assertThat(run("segments", "lsit", "--api-key", "k")).isEqualTo(2);
        assertThat(err.toString())
                .contains(
                        "cohortflow: unknown command 'lsit'",
                        "Did you mean 'cohortflow segments list'?",
                        "Commands: list, get, validate, estimate, create",
                        "Try 'cohortflow segments --help' for more information.")
                .doesNotContain("Unmatched");
        assertThat(run("users", "eras", "u1")).isEqualTo(2);
        assertThat(err.toString()).contains("Did you mean 'cohortflow users erase'?");
    }

    /**
     * A command that only groups others ({@code segments}, {@code users}), given none of them, is a
     * mistake named as a mistyped command is (exit 2), with the commands it has; picocli said
     * "Missing required subcommand" and left the user to find them. It lists nothing: {@code
     * segments list} does, and {@code users} has no list.
     */
    @Test
    void a_command_given_without_its_subcommand_exits_2_naming_its_commands() {
        String nl = System.lineSeparator();
        assertThat(run("segments")).isEqualTo(2);
        assertThat(err.toString())
                .isEqualTo(
                        "cohortflow: 'segments' needs a command"
                                + nl
                                + "Commands: list, get, validate, estimate, create"
                                + nl
                                + "Try 'cohortflow segments --help' for more information."
                                + nl);
        assertThat(out.toString()).isEmpty();
        assertThat(run("users")).isEqualTo(2);
        assertThat(err.toString())
                .startsWith("cohortflow: 'users' needs a command" + nl)
                .contains("Commands: get, explain, erase" + nl)
                .contains("Try 'cohortflow users --help' for more information.");
        // Options of the group itself still work.
        assertThat(run("segments", "--help")).isZero();
        assertThat(run("segments", "-V")).isZero();
    }

    /**
     * Through launcher/run.sh, the key it provisions when none is set is announced by a start
     * alone: a mistyped command or option is its one-line mistake, with no start-up warning before
     * it (the script printed the warning for every argument that was not a known command).
     */
    @Test
    void run_sh_warns_of_the_dev_key_only_when_the_system_starts(@TempDir Path dir)
            throws Exception {
        RunScript script = new RunScript(dir);
        String warning = "no COHORTFLOW_API_KEY set: using API key 'dev-key' for workspace 'demo'";

        RunScript.Result mistyped = script.run(java.util.Map.of(), "segmnets", "list");
        assertThat(mistyped.exit()).as(mistyped.err()).isEqualTo(2);
        assertThat(mistyped.err())
                .startsWith(
                        "cohortflow: unknown command 'segmnets' (and no settings file of that"
                                + " name)")
                .contains("Did you mean 'cohortflow segments'?")
                .doesNotContain(warning, "\tat ");
        RunScript.Result option = script.run(java.util.Map.of(), "--port", "8080");
        assertThat(option.exit()).isEqualTo(2);
        assertThat(option.err())
                .startsWith("cohortflow: Unknown option: '--port'")
                .doesNotContain(warning);

        // A start says it, before anything else: here one stopped by a port in use.
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Path settings = script.settings("cohortflow.kafka.port=" + taken.getLocalPort());
            RunScript.Result start = script.run(java.util.Map.of(), settings.toString());
            assertThat(start.exit()).as(start.err()).isEqualTo(1);
            assertThat(start.err())
                    .startsWith(warning + " (loopback only)")
                    .contains(
                            "cohortflow could not start: port "
                                    + taken.getLocalPort()
                                    + " on 127.0.0.1 is already in use");
            // A key of one's own: no warning.
            RunScript.Result own =
                    script.run(
                            java.util.Map.of("COHORTFLOW_API_KEY", "k", "COHORTFLOW_ORG", "o"),
                            settings.toString());
            assertThat(own.exit()).isEqualTo(1);
            assertThat(own.err()).doesNotContain("COHORTFLOW_API_KEY");
        }
    }

    /**
     * What is not a word, or is an existing file, is still the settings file to start with: a path,
     * a name with an extension, a file of a word's name in the working directory.
     */
    @Test
    void a_path_a_name_with_an_extension_or_an_existing_file_is_still_the_settings_file(
            @TempDir Path dir) throws Exception {
        assertThat(run("prod.conf")).isEqualTo(2);
        assertThat(err.toString())
                .contains("no configuration file prod.conf")
                .doesNotContain("unknown command");
        String missing = dir.resolve("settings").toString();
        assertThat(run(missing)).isEqualTo(2);
        assertThat(err.toString())
                .contains("no configuration file " + missing)
                .doesNotContain("unknown command");

        // A file named like a word: read as settings (its bad port stops the start).
        Path word = Path.of("cohortflow-cli-test-" + ProcessHandle.current().pid());
        assertThat(UnknownCommand.isMistypedCommand(word.toString())).isTrue();
        try {
            Files.writeString(word, "cohortflow.kafka.port=ninety\n");
            assertThat(UnknownCommand.isMistypedCommand(word.toString())).isFalse();
            assertThat(run(word.toString())).isEqualTo(2);
            assertThat(err.toString())
                    .contains("cohortflow.kafka.port must be an integer from 0 to 65535")
                    .doesNotContain("unknown command");
        } finally {
            Files.deleteIfExists(word);
        }
    }

    @Test
    void close_commands_are_one_edit_away_or_two_for_long_names_or_a_beginning() {
        assertThat(UnknownCommand.close("lsit", "list")).isTrue(); // two letters swapped
        assertThat(UnknownCommand.close("Segments", "segments")).isTrue();
        assertThat(UnknownCommand.close("segmnts", "segments")).isTrue();
        assertThat(UnknownCommand.close("sgemnets", "segments")).isTrue(); // two edits, long
        assertThat(UnknownCommand.close("exp", "export-members")).isTrue();
        assertThat(UnknownCommand.close("rn", "run")).isTrue();
        assertThat(UnknownCommand.close("xyzzy", "users")).isFalse();
        assertThat(UnknownCommand.close("gt", "list")).isFalse();
        assertThat(UnknownCommand.close("ls", "list")).isFalse(); // two edits, short
    }

    /**
     * What the service answered decides the exit code: only a 2xx is done; a redirect (not
     * followed) or an error is a failure with its status; a request sent that got no answer in time
     * may have been applied, so it is a failure (1), not "could not be reached" (3).
     */
    @Test
    void only_a_2xx_is_done_and_a_request_sent_without_an_answer_is_no_unreachable_service(
            @TempDir Path dir) throws Exception {
        String segment = Files.writeString(dir.resolve("s.json"), "{\"name\":\"n\"}").toString();
        java.util.List<String> orgs = new java.util.concurrent.CopyOnWriteArrayList<>();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext(
                "/segments",
                x -> {
                    x.getResponseHeaders().add("Location", "https://cohortflow.example/segments");
                    x.sendResponseHeaders(301, -1);
                    x.close();
                });
        server.createContext(
                "/ccs/v1/users/",
                x -> {
                    orgs.add(String.valueOf(x.getRequestHeaders().getFirst("x-gw-ims-org-id")));
                    byte[] body =
                            x.getRequestURI().getPath().endsWith("/slow")
                                    ? null
                                    : "{\"user_id\":\"u1\"}".getBytes(StandardCharsets.UTF_8);
                    if (body == null) {
                        return; // never answers
                    }
                    x.sendResponseHeaders(200, body.length);
                    x.getResponseBody().write(body);
                    x.close();
                });
        server.createContext(
                "/ccs/v1/users/gone",
                x -> {
                    x.sendResponseHeaders(502, -1);
                    x.close();
                });
        server.start();
        String url = "http://127.0.0.1:" + server.getAddress().getPort();
        try {
            assertThat(
                            run(
                                    "segments",
                                    "create",
                                    segment,
                                    "--url",
                                    url,
                                    "--api-key",
                                    "k",
                                    "--org",
                                    "o"))
                    .isEqualTo(1);
            assertThat(err.toString())
                    .contains("HTTP 301", "https://cohortflow.example/segments", "not followed");

            // The users API takes the workspace from the key: no --org needed, none sent.
            assertThat(run("users", "get", "u1", "--url", url, "--api-key", "k")).isZero();
            assertThat(out.toString()).contains("\"user_id\" : \"u1\"");
            assertThat(orgs).containsExactly("null");

            assertThat(run("users", "get", "gone", "--url", url, "--api-key", "k")).isEqualTo(1);
            assertThat(err.toString()).contains("HTTP 502");

            assertThat(
                            run(
                                    "users",
                                    "get",
                                    "slow",
                                    "--url",
                                    url,
                                    "--api-key",
                                    "k",
                                    "--timeout",
                                    "1"))
                    .isEqualTo(1);
            assertThat(err.toString())
                    .contains(
                            "cohortflow: no answer from "
                                    + url
                                    + ": GET /ccs/v1/users/slow timed out after 1 s (--timeout)")
                    .doesNotContain("\tat ");
        } finally {
            server.stop(0);
        }
    }

    @Test
    void a_command_that_cannot_use_its_input_says_why_in_a_line_not_a_stack_trace(@TempDir Path dir)
            throws Exception {
        // A file that is not there, and a snapshot that is not there: usage errors (2).
        assertThat(
                        run(
                                "segments",
                                "validate",
                                dir.resolve("missing.json").toString(),
                                "--api-key",
                                "k",
                                "--org",
                                "o"))
                .isEqualTo(2);
        assertThat(err.toString()).contains("cohortflow: ", "missing.json").doesNotContain("\tat ");
        assertThat(run("export-members", "--state", dir.resolve("nothing").toString()))
                .isEqualTo(2);
        assertThat(err.toString()).contains("cohortflow: ", "no checkpoint or savepoint");
        assertThat(err.toString()).doesNotContain("\tat ");
        // The backfill's check of its definitions file, as the standalone command says it
        // (io.cohortflow.job.CommandErrors: one rule for both).
        Path defs = Files.writeString(dir.resolve("segments.jsonl"), "not json\n");
        assertThat(
                        run(
                                "backfill",
                                "--input",
                                Files.writeString(dir.resolve("h.jsonl"), "").toString(),
                                "--definitions-file",
                                defs.toString(),
                                "--output",
                                dir.resolve("out").toString(),
                                "--until",
                                "2026-01-01T00:00:00Z"))
                .isEqualTo(2);
        assertThat(err.toString())
                .startsWith("cohortflow: --definitions-file " + defs + ", line 1: not JSON: ")
                .doesNotContain("\tat ");
        assertThat(err.toString().lines()).hasSize(1);
    }

    @Test
    void a_job_setting_that_does_not_parse_exits_2_naming_it_before_anything_starts(
            @TempDir Path dir) throws Exception {
        Path file =
                Files.writeString(
                        dir.resolve("c.properties"),
                        "cohortflow.data-dir="
                                + dir.resolve("data").toString().replace("\\", "/")
                                + "\ncohortflow.job.checkpoint-interval=ten\n");
        assertThat(run(file.toString())).isEqualTo(2);
        assertThat(err.toString())
                .contains("cohortflow could not start: ", "cohortflow.job.checkpoint-interval")
                .doesNotContain("\tat ");
        assertThat(dir.resolve("data").resolve("kafka")).doesNotExist();
    }

    /** A server answering POST /segments/validate with {@code body}, recording the queries. */
    static HttpServer validateServer(String body, java.util.List<String> queries)
            throws java.io.IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext(
                "/segments/validate",
                x -> {
                    queries.add(String.valueOf(x.getRequestURI().getQuery()));
                    x.getRequestBody().readAllBytes();
                    byte[] b = body.getBytes(StandardCharsets.UTF_8);
                    x.sendResponseHeaders(200, b.length);
                    x.getResponseBody().write(b);
                    x.close();
                });
        server.start();
        return server;
    }

    int validate(HttpServer server, String... args) {
        String[] all = new String[args.length + 8];
        all[0] = "segments";
        all[1] = "validate";
        System.arraycopy(args, 0, all, 2, args.length);
        int i = args.length + 2;
        all[i++] = "--url";
        all[i++] = "http://127.0.0.1:" + server.getAddress().getPort();
        all[i++] = "--api-key";
        all[i++] = "k";
        all[i++] = "--org";
        all[i] = "o";
        return run(all);
    }

    /** A 2xx whose body is not JSON is the service's fault: a failure (1), not wrong arguments. */
    @Test
    void a_validate_answer_that_is_not_json_is_a_failure_not_wrong_arguments(@TempDir Path dir)
            throws Exception {
        String definition =
                Files.writeString(dir.resolve("d.json"), "{\"func\":\"segment\"}").toString();
        java.util.List<String> queries = new java.util.concurrent.CopyOnWriteArrayList<>();
        HttpServer server = validateServer("<html>proxy says hello</html>", queries);
        try {
            assertThat(validate(server, definition)).isEqualTo(1);
            assertThat(err.toString())
                    .contains("cohortflow: the service answered HTTP 200")
                    .contains("not a JSON object")
                    .doesNotContain("Try 'cohortflow")
                    .doesNotContain("\tat ");
        } finally {
            server.stop(0);
        }
        HttpServer valid = validateServer("{\"valid\":true}", queries);
        try {
            assertThat(validate(valid, definition)).isZero();
        } finally {
            valid.stop(0);
        }
    }

    /** A whole segment's own rsid is the data view, unless --rsid names one. */
    @Test
    void validate_takes_a_whole_segments_rsid_unless_rsid_is_given(@TempDir Path dir)
            throws Exception {
        String segment =
                Files.writeString(
                                dir.resolve("s.json"),
                                "{\"name\":\"n\",\"rsid\":\"web-prod\",\"definition\":{}}")
                        .toString();
        String definition = Files.writeString(dir.resolve("d.json"), "{}").toString();
        java.util.List<String> queries = new java.util.concurrent.CopyOnWriteArrayList<>();
        HttpServer server = validateServer("{\"valid\":true}", queries);
        try {
            assertThat(validate(server, segment)).isZero();
            assertThat(validate(server, segment, "--rsid", "other")).isZero();
            assertThat(validate(server, segment, "--rsid", "default")).isZero();
            assertThat(validate(server, definition)).isZero();
            assertThat(queries)
                    .containsExactly("rsid=web-prod", "rsid=other", "rsid=default", "rsid=default");
        } finally {
            server.stop(0);
        }
        assertThat(run("segments", "validate", "--help")).isZero();
        assertThat(out.toString().replaceAll("\\s+", " "))
                .contains("the document's 'rsid' when it is a whole segment, else 'default'");
    }

    /** Input the user gave that cannot be used: exit 2 naming the file and what is wrong. */
    @Test
    void a_file_that_cannot_be_used_exits_2_saying_what_is_wrong_with_it(@TempDir Path dir)
            throws Exception {
        String[] key = {"--api-key", "k", "--org", "o", "--url", "http://127.0.0.1:9"};
        java.util.function.Function<String, Integer> validate =
                f -> {
                    String[] a = new String[key.length + 3];
                    a[0] = "segments";
                    a[1] = "validate";
                    a[2] = f;
                    System.arraycopy(key, 0, a, 3, key.length);
                    return run(a);
                };
        assertThat(validate.apply(dir.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("cohortflow: " + dir + ": is a directory");

        String missing = dir.resolve("missing.json").toString();
        assertThat(validate.apply(missing)).isEqualTo(2);
        assertThat(err.toString()).contains("cohortflow: " + missing + ": no such file");

        String bad = Files.writeString(dir.resolve("bad.json"), "{\n  \"a\": tru\n}").toString();
        assertThat(validate.apply(bad)).isEqualTo(2);
        assertThat(err.toString())
                .contains("cohortflow: " + bad + ": not JSON at line 2, column")
                .doesNotContain("Source:")
                .doesNotContain("REDACTED")
                .doesNotContain("\tat ");

        String empty = Files.writeString(dir.resolve("empty.json"), "  \n").toString();
        assertThat(validate.apply(empty)).isEqualTo(2);
        assertThat(err.toString()).contains("cohortflow: " + empty + ": empty");
        assertThat(run("segments", "create", empty, "--api-key", "k", "--org", "o")).isEqualTo(2);
        assertThat(err.toString()).contains(empty + ": empty");

        java.io.InputStream in = System.in;
        try {
            System.setIn(new java.io.ByteArrayInputStream(new byte[0]));
            assertThat(validate.apply("-")).isEqualTo(2);
            assertThat(err.toString()).contains("cohortflow: standard input: empty");
        } finally {
            System.setIn(in);
        }
    }

    @Test
    void a_timeout_that_is_not_positive_or_a_url_without_http_exits_2_naming_the_option() {
        assertThat(run("segments", "list", "--api-key", "k", "--org", "o", "--timeout", "0"))
                .isEqualTo(2);
        assertThat(err.toString()).contains("--timeout must be positive, got 0");
        assertThat(run("users", "get", "u", "--api-key", "k", "--timeout", "-5")).isEqualTo(2);
        assertThat(err.toString()).contains("--timeout must be positive, got -5");
        assertThat(
                        run(
                                "segments",
                                "list",
                                "--api-key",
                                "k",
                                "--org",
                                "o",
                                "--url",
                                "localhost:8080"))
                .isEqualTo(2);
        assertThat(err.toString())
                .contains("--url must be an http:// or https:// URL, got localhost:8080");
        assertThat(run("users", "get", "u", "--api-key", "k", "--url", "ftp://h/")).isEqualTo(2);
        assertThat(err.toString()).contains("--url must be an http:// or https:// URL");
    }

    /**
     * Every description is a format string (picocli formats it, and warns on every help when it
     * cannot); the export's and the backfill's name the formats they take.
     */
    @Test
    void help_texts_format_and_name_every_format() {
        CommandLine cli = Cohortflow.commandLine();
        java.util.List<String> broken = new java.util.ArrayList<>();
        java.util.ArrayDeque<CommandLine> todo = new java.util.ArrayDeque<>(java.util.List.of(cli));
        while (!todo.isEmpty()) {
            CommandLine c = todo.pop();
            todo.addAll(c.getSubcommands().values());
            java.util.List<String> texts =
                    new java.util.ArrayList<>(
                            java.util.List.of(c.getCommandSpec().usageMessage().description()));
            c.getCommandSpec()
                    .options()
                    .forEach(o -> texts.addAll(java.util.List.of(o.description())));
            for (String t : texts) {
                try {
                    String.format(t);
                } catch (java.util.IllegalFormatException e) {
                    broken.add(c.getCommandSpec().qualifiedName() + ": " + t);
                }
            }
        }
        assertThat(broken).isEmpty();
        assertThat(
                        String.join(
                                " ",
                                cli.getSubcommands()
                                        .get("export-members")
                                        .getCommandSpec()
                                        .usageMessage()
                                        .description()))
                .contains("Parquet");
        assertThat(
                        String.join(
                                " ",
                                cli.getSubcommands()
                                        .get("backfill")
                                        .getCommandSpec()
                                        .findOption("--input-table")
                                        .description()))
                .contains("'avro'", "'parquet'");
    }

    @Test
    void every_command_prints_the_version() {
        for (String[] cmd :
                new String[][] {
                    {"-V"},
                    {"run", "-V"},
                    {"segments", "-V"},
                    {"segments", "validate", "--version"},
                    {"users", "get", "-V"},
                    {"backfill", "-V"},
                    {"export-members", "-V"}
                }) {
            assertThat(run(cmd)).as(String.join(" ", cmd)).isZero();
            assertThat(out.toString()).as(String.join(" ", cmd)).startsWith("cohortflow ");
        }
    }

    /** What a server does with each connection it accepts. */
    private interface OnAccept {
        void accept(java.net.Socket s) throws java.io.IOException;
    }

    /** Accepts connections on {@code server} until it closes, handing each to {@code then}. */
    private static void accepting(ServerSocket server, OnAccept then) {
        Thread t =
                new Thread(
                        () -> {
                            try {
                                while (true) {
                                    then.accept(server.accept());
                                }
                            } catch (java.io.IOException closed) {
                                // the test is over
                            }
                        });
        t.setDaemon(true);
        t.start();
    }
}
