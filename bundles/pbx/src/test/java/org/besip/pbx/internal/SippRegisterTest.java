package org.besip.pbx.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.besip.pbx.internal.registrar.Binding;
import org.besip.pbx.internal.registrar.LocationService;
import org.besip.pbx.internal.transport.TcpTransport;
import org.besip.pbx.internal.transport.UdpTransport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * sipp (Debian sip-tester, installed by the test command) registers users with digest
 * authentication against the registrar on UDP.
 */
class SippRegisterTest {

    static final Path SCENARIO = Path.of("src/test/resources/sipp/register-auth.xml");

    @TempDir
    Path tmp;

    static int freeUdpPort() throws Exception {
        try (DatagramSocket s = new DatagramSocket(0)) {
            return s.getLocalPort();
        }
    }

    /**
     * Waits (at most 10 s) until something listens on UDP {@code port} of 127.0.0.1, read from
     * /proc/net/udp so the probe never holds the port itself.
     */
    static void awaitUdpListener(int port) throws Exception {
        String local = String.format("0100007F:%04X", port);
        long deadline = System.currentTimeMillis() + 10_000;
        while (System.currentTimeMillis() < deadline) {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/net/udp"))) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 1 && f[1].equalsIgnoreCase(local)) {
                    return;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("nothing listens on UDP 127.0.0.1:" + port + " after 10 s");
    }

    /** Runs sipp for {@code calls} registrations of users from {@code csv}; returns {successful, failed}. */
    long[] sipp(int port, Path csv, int calls) throws Exception {
        return sipp(port, csv, calls, "u1");
    }

    /** {@code transport}: sipp's -t mode, u1 (UDP) or t1 (one TCP connection). */
    long[] sipp(int port, Path csv, int calls, String transport) throws Exception {
        Process p = new ProcessBuilder("sipp", "-sf", SCENARIO.toAbsolutePath().toString(), "-inf", csv.toString(),
                "127.0.0.1:" + port, "-i", "127.0.0.1", "-p", String.valueOf(freeUdpPort()), "-m", String.valueOf(calls),
                "-r", "50", "-nostdin", "-timeout", "30s", "-recv_timeout", "3000", "-t", transport)
                .directory(tmp.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), out);
        return new long[] { count(out, "Successful call"), count(out, "Failed call") };
    }

    private static long count(String out, String label) {
        Matcher m = Pattern.compile(label + "\\s*\\|\\s*\\d+\\s*\\|\\s*(\\d+)").matcher(out);
        long last = -1;
        while (m.find()) {
            last = Long.parseLong(m.group(1));
        }
        return last;
    }

    static Path users(Path dir, String password) throws Exception {
        return users(dir, password, 20);
    }

    /** A sipp injection file of users {@code user0..user<count-1>}, taken in turn. */
    static Path users(Path dir, String password, int count) throws Exception {
        StringBuilder sb = new StringBuilder("SEQUENTIAL\n");
        for (int i = 0; i < count; i++) {
            sb.append("user").append(i).append(";[authentication username=user").append(i).append(" password=").append(password)
                    .append("]\n");
        }
        Path csv = dir.resolve("users-" + password + "-" + count + ".csv");
        Files.writeString(csv, sb);
        return csv;
    }

    @Test
    void sippRegistersOneHundredUsersWithDigestAndEveryRegistrationSucceeds() throws Exception {
        int port = freeUdpPort();
        LocationService location = new LocationService();
        try (UdpTransport t = StandaloneRegistrar.start("127.0.0.1", port, 100, "s3cret", (src, why) -> { }, location)) {
            long[] r = sipp(port, users(tmp, "s3cret", 100), 100);
            assertEquals(100, r[0], "successful registrations");
            assertEquals(0, r[1], "failed registrations");
            assertEquals(100, registeredUsers(location), "100 distinct users hold a binding");
        }
    }

    @Test
    void sippRegistersOneHundredUsersOverOneTcpConnection() throws Exception {
        List<String> failures = new CopyOnWriteArrayList<>();
        LocationService location = new LocationService();
        SipServer server = StandaloneRegistrar.server(100, "s3cret", (src, why) -> failures.add(src + " " + why), location);
        try (TcpTransport t = new TcpTransport(new InetSocketAddress("127.0.0.1", 0), List::of, server::handle)) {
            long[] r = sipp(t.port(), users(tmp, "s3cret", 100), 100, "t1");
            assertEquals(100, r[0], "successful registrations");
            assertEquals(0, r[1], "failed registrations");
            assertEquals(List.of(), failures);
            assertEquals(100, registeredUsers(location), "100 distinct users hold a binding");
        }
    }

    private static long registeredUsers(LocationService location) {
        return location.all(System.currentTimeMillis()).stream().map(Binding::aor).distinct().count();
    }

    @Test
    void aWrongPasswordIsChallengedAgainAndReportedWithItsSource() throws Exception {
        int port = freeUdpPort();
        List<String> failures = new CopyOnWriteArrayList<>();
        try (UdpTransport t = StandaloneRegistrar.start("127.0.0.1", port, 20, "s3cret", (src, why) -> failures.add(src + " " + why))) {
            long[] r = sipp(port, users(tmp, "guess"), 5);
            assertEquals(0, r[0]);
            assertEquals(5, r[1], "each registration fails on the second 401");
            assertEquals(5, failures.size(), failures.toString());
            assertTrue(failures.get(0).startsWith("127.0.0.1 wrong credentials"), failures.get(0));
        }
    }
}
