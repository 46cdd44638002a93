package io.cohortflow.job.backfill;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** The backfill's command line as {@code Backfill.main} runs it, its standard error kept. */
final class BackfillCli {
    final StringWriter err = new StringWriter();

    int run(String... args) {
        CommandLine cli = Backfill.commandLine();
        cli.setOut(new PrintWriter(new StringWriter(), true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }
}
