package org.besip.runtime.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A PostgreSQL server of the test's own, from Debian's {@code postgresql} package: a new cluster
 * in a temporary folder ({@code initdb}), listening on 127.0.0.1 at a free port and on a socket in
 * that folder, with a role and a database for besip; stopped ({@code pg_ctl stop}, which signals
 * the postmaster of that folder's pid file) and removed on close. As root it runs as the package's
 * {@code postgres} user, since PostgreSQL refuses to run as root.
 */
final class Postgres implements AutoCloseable {

    static final String USER = "besip";
    static final String PASSWORD = "fleet-Store-7q2";
    static final String DATABASE = "besip";

    private final Path dir;
    private final Path bin;
    private final int port;
    private final List<String> as;

    private Postgres(Path dir, Path bin, int port, List<String> as) {
        this.dir = dir;
        this.bin = bin;
        this.port = port;
        this.as = as;
    }

    /** The newest installed server's bin folder, or an error saying how to get one. */
    static Path bin() throws IOException {
        Path root = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(root)) {
            try (Stream<Path> versions = Files.list(root)) {
                var found = versions.map(v -> v.resolve("bin")).filter(b -> Files.isExecutable(b.resolve("initdb")))
                        .max(Comparator.comparing(p -> Integer.parseInt(p.getParent().getFileName().toString().replaceAll("\\D", "0"))));
                if (found.isPresent()) {
                    return found.get();
                }
            }
        }
        throw new AssertionError("needs Debian's postgresql (initdb, pg_ctl): run the README's test command");
    }

    static Postgres start() throws Exception {
        Path bin = bin();
        boolean root = "root".equals(System.getProperty("user.name"));
        List<String> as = root ? List.of("runuser", "-u", "postgres", "--") : List.of();
        Path dir = Files.createTempDirectory("besip-pg-");
        if (root) {
            run(List.of("chown", "postgres:postgres", dir.toString()));
        }
        int port = BesipProcess.freeUdpAndTcpPort();
        Postgres pg = new Postgres(dir, bin, port, as);
        try {
            pg.as(bin.resolve("initdb").toString(), "-D", dir.resolve("data").toString(), "-U", "postgres", "--auth-local=trust",
                    "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync");
            pg.as(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-l", dir.resolve("server.log").toString(),
                    "-w", "-t", "60", "-o", "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c fsync=off", "start");
            pg.sql("create role " + USER + " login password '" + PASSWORD + "'");
            pg.sql("create database " + DATABASE + " owner " + USER);
            return pg;
        } catch (Exception | AssertionError e) {
            pg.close();
            throw e;
        }
    }

    String url() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + DATABASE;
    }

    /** Runs SQL as the superuser over the socket, in the besip database once it exists; its output, unaligned. */
    String sql(String statement) throws Exception {
        return as(bin.resolve("psql").toString(), "-h", dir.toString(), "-p", String.valueOf(port), "-U", "postgres", "-d",
                statement.startsWith("create role") || statement.startsWith("create database") ? "postgres" : DATABASE,
                "-v", "ON_ERROR_STOP=1", "-tAq", "-c", statement).trim();
    }

    private String as(String... command) throws Exception {
        List<String> cmd = new ArrayList<>(as);
        cmd.addAll(List.of(command));
        return run(cmd);
    }

    private static String run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", cmd) + " hung:\n" + out);
        }
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ":\n" + out);
        return out;
    }

    String serverLog() {
        try {
            return Files.readString(dir.resolve("server.log"));
        } catch (IOException e) {
            return "(no server log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() throws Exception {
        try {
            if (Files.exists(dir.resolve("data/postmaster.pid"))) {
                as(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-m", "fast", "-w", "stop");
            }
        } finally {
            try (Stream<Path> all = Files.walk(dir)) {
                all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
