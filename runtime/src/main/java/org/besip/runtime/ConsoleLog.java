package org.besip.runtime;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/**
 * Sends everything written to stdout and stderr both to the console and to
 * {@code logs/besip.log}. The log rotates by size while the box runs: past
 * {@code besip.log.max-size} bytes (default 4 MiB) it becomes {@code besip.log.1}, the older ones
 * move up, and past {@code besip.log.files} files (default 3, the current one included) the oldest
 * goes. So the logs never take more than about max-size × files of a small box's flash. A log
 * file that cannot be written (a full disk) costs the file, never the console or the box.
 */
final class ConsoleLog {

    static final String MAX_SIZE = "besip.log.max-size";
    static final String FILES = "besip.log.files";
    static final long DEFAULT_MAX_SIZE = 4L << 20;
    static final int DEFAULT_FILES = 3;

    /** How large a log grows and how many are kept. */
    record Limits(long maxSize, int files) {
    }

    private ConsoleLog() {
    }

    /** The limits in the launcher's settings; a bad value is a configuration error. */
    static Limits limits(Map<String, String> props) throws StartupException {
        String size = props.getOrDefault(MAX_SIZE, "").trim();
        long max = DEFAULT_MAX_SIZE;
        if (!size.isEmpty()) {
            long unit = 1;
            String digits = size;
            char last = Character.toUpperCase(size.charAt(size.length() - 1));
            if (last == 'K' || last == 'M') {
                unit = last == 'K' ? 1024 : 1024 * 1024;
                digits = size.substring(0, size.length() - 1);
            }
            try {
                max = Long.parseLong(digits.trim()) * unit;
            } catch (NumberFormatException e) {
                max = -1;
            }
            if (max < 64 * 1024 || max > 1024L * 1024 * 1024) {
                throw new StartupException(StartupException.CONFIG, MAX_SIZE + " \"" + size + "\" is not a size from 64K to 1024M");
            }
        }
        String count = props.getOrDefault(FILES, "").trim();
        int files = DEFAULT_FILES;
        if (!count.isEmpty()) {
            try {
                files = Integer.parseInt(count);
            } catch (NumberFormatException e) {
                files = -1;
            }
            if (files < 1 || files > 20) {
                throw new StartupException(StartupException.CONFIG, FILES + " \"" + count + "\" is not a number of files from 1 to 20");
            }
        }
        return new Limits(max, files);
    }

    /** @return the console alone (for what must not reach the log file, like a first-boot password) */
    static PrintStream install(Path logs, Limits limits) throws IOException {
        Files.createDirectories(logs);
        RotatingFile file = new RotatingFile(logs.resolve("besip.log"), limits);
        PrintStream console = System.out;
        System.setOut(new PrintStream(new Tee(console, file), true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(new Tee(System.err, file), true, StandardCharsets.UTF_8));
        return console;
    }

    /**
     * A log file that rotates once a write takes it past the limit: the write goes whole into the
     * file it started in (a line is never split), the next into a fresh one.
     */
    static final class RotatingFile extends OutputStream {
        private final Path log;
        private final Limits limits;
        private OutputStream out;
        private long size;

        RotatingFile(Path log, Limits limits) throws IOException {
            this.log = log;
            this.limits = limits;
            if (Files.exists(log) && Files.size(log) >= limits.maxSize()) {
                rotate();
            }
            open();
        }

        private void open() throws IOException {
            out = new FileOutputStream(log.toFile(), true);
            size = Files.size(log);
        }

        /** besip.log.(n-1) to .n, …, besip.log to .1; the oldest beyond the count is deleted. */
        private void rotate() throws IOException {
            int keep = limits.files() - 1;
            Path dir = log.getParent();
            String name = log.getFileName().toString();
            Files.deleteIfExists(dir.resolve(name + "." + Math.max(keep, 1)));
            for (int i = keep - 1; i >= 1; i--) {
                Path from = dir.resolve(name + "." + i);
                if (Files.exists(from)) {
                    Files.move(from, dir.resolve(name + "." + (i + 1)), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            if (keep >= 1) {
                Files.move(log, dir.resolve(name + ".1"), StandardCopyOption.REPLACE_EXISTING);
            } else {
                Files.deleteIfExists(log);
            }
        }

        @Override
        public synchronized void write(int b) throws IOException {
            write(new byte[] { (byte) b }, 0, 1);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) throws IOException {
            if (out == null) {
                open(); // after a failed rotation: tried again on each write until the file opens
            }
            out.write(b, off, len);
            size += len;
            if (size >= limits.maxSize()) {
                out.close();
                out = null;
                rotate();
                open();
            }
        }

        @Override
        public synchronized void flush() throws IOException {
            if (out != null) {
                out.flush();
            }
        }

        @Override
        public synchronized void close() throws IOException {
            if (out != null) {
                out.close();
                out = null;
            }
        }
    }

    private static final class Tee extends OutputStream {
        private final OutputStream console;
        private final OutputStream file;
        private boolean fileFailed;

        Tee(OutputStream console, OutputStream file) {
            this.console = console;
            this.file = file;
        }

        @Override
        public synchronized void write(int c) throws IOException {
            write(new byte[] { (byte) c }, 0, 1);
        }

        @Override
        public synchronized void write(byte[] buf, int off, int len) throws IOException {
            console.write(buf, off, len);
            try {
                file.write(buf, off, len);
                if (fileFailed) {
                    fileFailed = false;
                    console.write("besip: the log file is written again\n".getBytes(StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                if (!fileFailed) {
                    fileFailed = true; // said once, not on every line of a full disk
                    console.write(("besip: the log file cannot be written (" + e.getMessage() + "); logging to the console only\n")
                            .getBytes(StandardCharsets.UTF_8));
                }
            }
        }

        @Override
        public synchronized void flush() throws IOException {
            console.flush();
            try {
                file.flush();
            } catch (IOException e) {
                // reported by the write that failed
            }
        }
    }
}
