package org.besip.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import org.jline.reader.Candidate;
import org.jline.reader.Completer;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.ParsedLine;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;

/**
 * The CLI on a terminal: JLine's line editor with history (~/.besip/cli_history) and tab
 * completion of commands, paths, existing keys and values from the box's schema. Each command's
 * error is one line; the session goes on.
 */
final class Interactive {

    private final Cli cli;

    Interactive(Cli cli) {
        this.cli = cli;
    }

    int loop() throws IOException {
        try (Terminal terminal = TerminalBuilder.builder().system(true).build()) {
            Completer completer = (reader, line, candidates) -> complete(line, candidates);
            LineReader reader = LineReaderBuilder.builder().terminal(terminal).appName("besip-cli").completer(completer)
                    .variable(LineReader.HISTORY_FILE, Path.of(System.getProperty("user.home"), ".besip", "cli_history"))
                    .option(LineReader.Option.AUTO_LIST, true).build();
            java.io.PrintStream err = new java.io.PrintStream(terminal.output(), true, java.nio.charset.StandardCharsets.UTF_8);
            while (true) {
                String line;
                try {
                    line = reader.readLine("besip# ");
                } catch (UserInterruptException e) {
                    continue;
                } catch (EndOfFileException e) {
                    return 0;
                }
                try {
                    cli.execute(line, err);
                } catch (Cli.Quit q) {
                    return 0;
                }
            }
        }
    }

    private void complete(ParsedLine line, List<Candidate> candidates) {
        List<String> words;
        try {
            words = Text.words(line.line().substring(0, line.cursor() - line.wordCursor()));
        } catch (IllegalArgumentException e) {
            return;
        }
        for (String c : Completion.next(cli.schema(), words, cli::existing)) {
            candidates.add(new Candidate(Text.quote(c), c, null, null, null, null, true));
        }
    }
}
