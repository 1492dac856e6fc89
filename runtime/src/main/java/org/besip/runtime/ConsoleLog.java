package org.besip.runtime;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Sends everything written to stdout and stderr both to the console and to
 * {@code logs/besip.log}. The log is rotated once at start when it has grown past a limit, so a
 * small box never fills its flash with logs.
 */
final class ConsoleLog {

    static final long ROTATE_BYTES = 4L << 20;

    private ConsoleLog() {
    }

    /** @return the console alone (for what must not reach the log file, like a first-boot password) */
    static PrintStream install(Path logs) throws IOException {
        Files.createDirectories(logs);
        Path log = logs.resolve("besip.log");
        if (Files.exists(log) && Files.size(log) > ROTATE_BYTES) {
            Files.move(log, logs.resolve("besip.log.1"), StandardCopyOption.REPLACE_EXISTING);
        }
        OutputStream file = new FileOutputStream(log.toFile(), true);
        PrintStream console = System.out;
        System.setOut(new PrintStream(new Tee(console, file), true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(new Tee(System.err, file), true, StandardCharsets.UTF_8));
        return console;
    }

    private static final class Tee extends OutputStream {
        private final OutputStream a;
        private final OutputStream b;

        Tee(OutputStream a, OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public synchronized void write(int c) throws IOException {
            a.write(c);
            b.write(c);
        }

        @Override
        public synchronized void write(byte[] buf, int off, int len) throws IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }

        @Override
        public synchronized void flush() throws IOException {
            a.flush();
            b.flush();
        }
    }
}
