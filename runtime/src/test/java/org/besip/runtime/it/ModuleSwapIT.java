package org.besip.runtime.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13: modules swapped while calls go on, on the shipped box configured over NETCONF. sipp
 * on 127.0.0.1 places {@value #CALLS} calls at {@value #RATE} calls/s from an authenticated user
 * through a tariffed trunk (a sipp UAS on 127.0.0.7 that echoes the audio), each held
 * {@value #HOLD_MS} ms with G.711 both ways through the media relay; a phone registered over TCP
 * (this test, speaking SIP on a socket of its own) waits for a call. In the middle of each batch:
 * (a) pbx upgraded to 1.0.1 over the Modules API, (b) pbx disabled and enabled, (c) a new tariff,
 * a new user and a second listen address in one commit, (d) a release of pbx whose component
 * cannot activate (refused, rolled back), (e) security upgraded while 127.0.0.9 floods REGISTERs.
 * Each batch: every sipp call completes (sipp's exit status: no failed call, no unexpected
 * message), every CDR is answered, none interrupted, each duration is the call's hold and each
 * cost the tariff's price of it, each MOS the relay's of audio both ways; the flooder, once
 * blocked, is never answered; at the end the TCP phone, whose connection was never closed, is
 * rung and answers over it. A second test upgrades pbx while one call's audio crosses the relay
 * and reads the relay's counters go on.
 */
class ModuleSwapIT {

    static final int CALLS = 100;
    /** Calls a second: the caller is on 127.0.0.1, which the security module never blocks (an operator's own test source). */
    static final int RATE = 5;
    /** Each call lasts 30 s, with G.711 both ways through the media relay all along. */
    static final int HOLD_MS = 30_000;
    /**
     * The raw G.711 u-law the callers send (looped): the box's own music on hold. The callers'
     * media ports count up from 42000 (sipp's [auto_media_port]), the provider echoes on 46000.
     */
    static final Path AUDIO = Path.of("../bundles/pbx/src/main/resources/org/besip/pbx/internal/media/music-on-hold.ul").toAbsolutePath()
            .normalize();
    /** The tariff of every dialled number: 0.6 a minute, 0.01 a started second. */
    static final String PRICE = "0.6";

    @TempDir
    Path work;

    @Test
    void callsGoOnThroughAnUpgradeADisableAndEnableAndACommit() throws Exception {
        try (BesipProcess box = BesipProcess.boot(work.resolve("data"), BesipOptions.freePort())) {
            NetconfIT.pbxUsers(box, work, 2);
            NetconfIT.runOn(box, "configure_pbx_mode", "proxy", "31000", "32999", "always"); // every call's audio through the relay
            int provider = BesipProcess.freeUdpAndTcpPort();
            NetconfIT.runOn(box, "merge_pbx", "<trunk><name>provider</name><host>127.0.0.7</host><port>" + provider
                    + "</port><source-address>127.0.0.7</source-address></trunk><dial-plan><route><prefix>9</prefix><trunk>provider"
                    + "</trunk><strip>1</strip></route></dial-plan><tariff><prefix></prefix><price-per-minute>" + PRICE
                    + "</price-per-minute></tariff>");
            Files.writeString(work.resolve("caller.csv"), "SEQUENTIAL\nuser1;[authentication username=user1 password="
                    + NetconfIT.USER_PASSWORD + "]\n");
            try (TcpPhone phone = TcpPhone.register(box.sipPort(), "user0", NetconfIT.USER_PASSWORD)) {
                batch(box, provider, "9001", () -> {
                    var r = box.postJar("action=upgrade&module=pbx", nextRelease(work));
                    assertEquals(200, r.statusCode(), r.body());
                    assertTrue(r.body().contains("1.0.1"), r.body());
                });
                batch(box, provider, "9002", () -> {
                    var r = box.post("action=disable&module=pbx", null, null, Map.of());
                    assertEquals(200, r.statusCode(), r.body());
                    r = box.post("action=enable&module=pbx", null, null, Map.of());
                    assertEquals(200, r.statusCode(), r.body());
                });
                int second = BesipProcess.freeUdpAndTcpPort();
                batch(box, provider, "9003", () -> NetconfIT.runOn(box, "merge_pbx", "<tariff><prefix>9003</prefix><price-per-minute>"
                        + PRICE + "</price-per-minute></tariff><user><name>user9</name><password>" + NetconfIT.USER_PASSWORD
                        + "</password></user><listen><address>127.0.0.1</address><port>" + box.sipPort() + "</port></listen><listen>"
                        + "<address>127.0.0.1</address><port>" + second + "</port></listen>"));
                BesipProcess.awaitUdpListener(second);
                batch(box, provider, "9004", () -> { // a release that cannot start: the upgrade is refused, 1.0.1 is back, the calls go on
                    var r = box.postJar("action=upgrade&module=pbx", broken(work));
                    assertEquals(422, r.statusCode(), r.body());
                    assertTrue(r.body().contains("failed to activate") && r.body().contains("1.0.1 is back in place"), r.body());
                });
                try (Flooder flooder = Flooder.blocked(box.sipPort())) { // a REGISTER flood from another source, blocked by the rule
                    batch(box, provider, "9005", () -> {
                        var r = box.postJar("action=upgrade&module=security", release(work, "besip-security-", "1.0.1"));
                        assertEquals(200, r.statusCode(), r.body());
                    });
                    assertEquals(0, flooder.answered(), "the flooder was never answered once blocked: no block lost in the upgrade");
                    assertTrue(flooder.sent() > 100, "it flooded throughout: " + flooder.sent());
                }
                String modules = box.get("besip-modules.json", "admin", box.password()).body();
                assertTrue(modules.matches("(?s).*\"pbx\".*\"1\\.0\\.1\".*"), "pbx runs 1.0.1 still: " + modules);

                String log = Files.readString(box.data().resolve("logs/besip.log"));
                assertTrue(log.contains("took over"), "the new version took the calls over:\n" + log);
                assertTrue(phone.rungAndAnswered(box, work), "the TCP phone is reached over the connection it registered on");
            }
        }
    }

    /**
     * A call with G.711 both ways through the media relay (policy always; the caller sends 7 s
     * of a capture, the callee echoes it): pbx is upgraded while the audio flows. The relay's
     * session, its sockets and its counters go on in the new version; the call completes and its
     * CDR carries the MOS the new version's relay measured of both directions.
     */
    @Test
    void audioThroughTheRelayGoesOnThroughAnUpgrade() throws Exception {
        String cdr = callThroughAnUpgrade("proxy", "media relay took over 1 of 1 sessions from the previous version");
        String[] f = cdr.split(",", -1);
        // loopback, no loss: the BESIP E-model for G.711 with 20 ms gives 4.40 each way, measured by the new version's relay
        assertEquals(4.40, Double.parseDouble(f[13]), 0.05, "the caller's stream after the upgrade: " + cdr);
        assertEquals(4.40, Double.parseDouble(f[14]), 0.05, "the callee's echo after the upgrade: " + cdr);
    }

    /**
     * The same in {@code mode b2bua}: the box is the UA of both legs, and the answered call's two
     * dialogs (tags, CSeqs, route sets, the SDP each side got) go to the new version with the
     * relay session, so the caller's BYE after the upgrade reaches the callee on the box's own
     * dialog and the CDR is answered with the call's whole duration, not interrupted.
     */
    @Test
    void aB2buaCallGoesOnThroughAnUpgradeWithItsDialogs() throws Exception {
        String cdr = callThroughAnUpgrade("b2bua", "took over 1 calls in progress from the previous version, 1 of them B2BUA dialogs");
        String[] f = cdr.split(",", -1);
        assertEquals(4.40, Double.parseDouble(f[13]), 0.05, "the caller's stream after the upgrade: " + cdr);
    }

    /**
     * A call still ringing while pbx is upgraded: its INVITE transaction goes to the new version
     * (PendingInvite), so the caller's CANCEL after the upgrade is answered 200 and reaches the
     * ringing callee on the branch the old version sent, whose 487 comes back to the caller; the
     * CDR says the call was cancelled, not interrupted.
     */
    @Test
    void aRingingCallIsCancelledAfterAnUpgrade() throws Exception {
        try (BesipProcess box = BesipProcess.boot(work.resolve("data"), BesipOptions.freePort())) {
            NetconfIT.pbxUsers(box, work, 2);
            MonitoringIT.awaitLog(box, "SIP proxy as 127.0.0.1:" + box.sipPort());
            int phone = B2buaIT.registerUser0(box, work);
            Path calleeLog = work.resolve("callee-messages.log");
            Process callee = new ProcessBuilder("sipp", "-sf", Path.of("../bundles/pbx/src/test/resources/sipp/uas-cancelled.xml").toAbsolutePath()
                    .toString(), "-i", "127.0.0.1", "-p", String.valueOf(phone), "-m", "1", "-trace_msg", "-message_file", calleeLog.toString(),
                    "-nostdin", "-timeout", "60s").directory(work.toFile()).redirectErrorStream(true).redirectOutput(work.resolve("callee.txt").toFile())
                    .start();
            try {
                BesipProcess.awaitUdpListener(phone);
                Files.writeString(work.resolve("caller.csv"), "SEQUENTIAL\nuser1;[authentication username=user1 password="
                        + NetconfIT.USER_PASSWORD + "]\n");
                Process caller = new ProcessBuilder("sipp", "-sf", Path.of("src/test/resources/sipp/uac-auth-cancel.xml").toAbsolutePath().toString(),
                        "-inf", work.resolve("caller.csv").toString(), "-s", "user0", "127.0.0.1:" + box.sipPort(), "-i", "127.0.0.2", "-p",
                        String.valueOf(BesipProcess.freeUdpAndTcpPort()), "-m", "1", "-nostdin", "-timeout", "60s", "-recv_timeout", "20000")
                        .directory(work.toFile()).redirectErrorStream(true).redirectOutput(work.resolve("caller.txt").toFile()).start();
                long deadline = System.currentTimeMillis() + 20_000;
                while (!(Files.exists(calleeLog) && Files.readString(calleeLog).contains("INVITE sip:")) && System.currentTimeMillis() < deadline) {
                    Thread.sleep(50); // the callee rings: the caller waits 6 s before it gives up
                }
                assertTrue(Files.readString(calleeLog).contains("INVITE sip:"), "the callee was rung:\n" + box.diagnostics());
                var r = box.postJar("action=upgrade&module=pbx", nextRelease(work));
                assertEquals(200, r.statusCode(), r.body());
                MonitoringIT.awaitLog(box, "took over 1 of 1 INVITE transactions in progress from the previous version");
                assertTrue(caller.waitFor(60, TimeUnit.SECONDS));
                assertEquals(0, caller.exitValue(), "the CANCEL was answered 200 and the INVITE 487:\n" + Files.readString(work.resolve("caller.txt"))
                        + box.diagnostics());
                assertTrue(callee.waitFor(30, TimeUnit.SECONDS));
                assertEquals(0, callee.exitValue(), "the callee got the CANCEL and the ACK of its 487:\n" + Files.readString(work.resolve("callee.txt")));
            } finally {
                callee.destroyForcibly();
            }
            var cdrs = box.get("besip-pbx.csv", "admin", box.password()).body();
            System.out.println("CDR of the call cancelled after the upgrade:\n" + cdrs);
            assertFalse(cdrs.contains(",interrupted,"), cdrs);
            assertEquals(1, cdrs.lines().filter(l -> l.contains(",cancelled,")).count(), cdrs);
        }
    }

    /**
     * One relayed call in {@code mode} with audio both ways, pbx upgraded while it flows; the
     * call completes, the log says {@code tookOver}; returns the call's CDR (answered, 19 columns,
     * its duration the call's).
     */
    private String callThroughAnUpgrade(String mode, String tookOver) throws Exception {
        try (BesipProcess box = BesipProcess.boot(work.resolve("data"), BesipOptions.freePort())) {
            NetconfIT.pbxUsers(box, work, 2);
            NetconfIT.runOn(box, "configure_pbx_mode", mode, "31000", "31099", "always");
            MonitoringIT.awaitLog(box, "SIP " + (mode.equals("b2bua") ? "B2BUA" : "proxy") + " as 127.0.0.1:" + box.sipPort());
            int phone = B2buaIT.registerUser0(box, work);
            // a proxied call: the box stays in the dialog (Record-Route); a B2BUA's leg is the box's own dialog anyway
            List<String> answering = mode.equals("b2bua") ? List.of("-sn", "uas")
                    : List.of("-sf", Path.of("../bundles/pbx/src/test/resources/sipp/uas-record-route.xml").toAbsolutePath().toString());
            List<String> calleeCommand = new java.util.ArrayList<>(List.of("sipp"));
            calleeCommand.addAll(answering);
            calleeCommand.addAll(List.of("-i", "127.0.0.1", "-p", String.valueOf(phone), "-mp", String.valueOf(BesipProcess.freeUdpAndTcpPort()),
                    "-rtp_echo", "-m", "1", "-nostdin", "-timeout", "60s"));
            Process callee = new ProcessBuilder(calleeCommand).directory(work.toFile()).redirectErrorStream(true)
                    .redirectOutput(work.resolve("callee.txt").toFile()).start();
            try {
                BesipProcess.awaitUdpListener(phone);
                Path scenario = work.resolve("uac-pcap-audio.xml");
                Files.writeString(scenario, Files.readString(Path.of("src/test/resources/sipp/uac-pcap-audio.xml")).replace("@PCAP@",
                        B2buaIT.PCAP.toString()));
                Files.writeString(work.resolve("caller.csv"), "SEQUENTIAL\nuser1;[authentication username=user1 password="
                        + NetconfIT.USER_PASSWORD + "]\n");
                Process caller = new ProcessBuilder("sipp", "-sf", scenario.toString(), "-inf", work.resolve("caller.csv").toString(), "-s",
                        "user0", "127.0.0.1:" + box.sipPort(), "-i", "127.0.0.2", "-p", String.valueOf(BesipProcess.freeUdpAndTcpPort()),
                        "-mp", String.valueOf(BesipProcess.freeUdpAndTcpPort()), "-m", "1", "-nostdin", "-timeout", "60s", "-recv_timeout",
                        "10000").directory(work.toFile()).redirectErrorStream(true).redirectOutput(work.resolve("caller.txt").toFile()).start();
                BaresipNatIT.RelayRow before = BaresipNatIT.relayRow(box, r -> r.callerPackets() > 50 && r.calleePackets() > 50);
                var r = box.postJar("action=upgrade&module=pbx", nextRelease(work));
                assertEquals(200, r.statusCode(), r.body());
                BaresipNatIT.RelayRow after = BaresipNatIT.relayRow(box, x -> x.callerPackets() > before.callerPackets() + 50
                        && x.calleePackets() > before.calleePackets() + 50);
                System.out.printf("%s: relay counters %d/%d packets before the upgrade, %d/%d after%n", mode, before.callerPackets(),
                        before.calleePackets(), after.callerPackets(), after.calleePackets());
                assertTrue(caller.waitFor(60, TimeUnit.SECONDS));
                assertEquals(0, caller.exitValue(), "the call completed:\n" + Files.readString(work.resolve("caller.txt")) + box.diagnostics());
                assertTrue(callee.waitFor(30, TimeUnit.SECONDS));
                assertEquals(0, callee.exitValue(), "the callee got the BYE:\n" + Files.readString(work.resolve("callee.txt")));
            } finally {
                callee.destroyForcibly();
            }
            MonitoringIT.awaitLog(box, "RTP packets from the caller"); // the session is released with the call
            String log = Files.readString(box.data().resolve("logs/besip.log"));
            assertTrue(log.contains(tookOver), log);
            var cdrs = box.get("besip-pbx.csv", "admin", box.password()).body();
            System.out.println("CDRs of the call through the upgrade (" + mode + "):\n" + cdrs);
            assertFalse(cdrs.contains(",interrupted,"), cdrs);
            String cdr = cdrs.lines().filter(l -> l.contains(",answered,")).findFirst().orElseThrow(() -> new AssertionError(cdrs));
            String[] f = cdr.split(",", -1);
            assertEquals(19, f.length, "the CDR's 19 columns: " + cdr);
            // the capture is 7 s of audio, sent after the answer; the BYE follows it
            assertTrue(Integer.parseInt(f[7]) >= 7 && Integer.parseInt(f[7]) <= 10, "the whole call's duration: " + cdr);
            return cdr;
        }
    }

    /**
     * A listen address that cannot be bound (another process holds the port) refuses the commit
     * with an rpc-error naming it, before anything is applied: the box keeps answering where it
     * listened.
     */
    @Test
    void aListenAddressThatCannotBeBoundRefusesTheCommit() throws Exception {
        try (BesipProcess box = BesipProcess.boot(work.resolve("data"), BesipOptions.freePort());
                java.net.DatagramSocket taken = new java.net.DatagramSocket(0, java.net.InetAddress.getByName("127.0.0.1"))) {
            NetconfIT.pbxUsers(box, work, 1);
            int port = taken.getLocalPort();
            List<String> cmd = List.of(NetconfIT.PYTHON.toString(), NetconfIT.SCRIPT.toString(), "127.0.0.1", String.valueOf(box.netconfPort()),
                    box.password(), "merge_pbx", "<listen><address>127.0.0.1</address><port>" + port + "</port></listen>");
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertEquals(3, p.exitValue(), "refused: " + out);
            assertTrue(out.contains("SIP cannot listen on 127.0.0.1:" + port) && out.contains("listen"), out);
            try (java.net.DatagramSocket phone = new java.net.DatagramSocket(0, java.net.InetAddress.getByName("127.0.0.1"))) {
                phone.setSoTimeout(5000);
                String options = "OPTIONS sip:127.0.0.1:" + box.sipPort() + " SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:" + phone.getLocalPort()
                        + ";branch=z9hG4bKrefused\r\nFrom: <sip:user0@127.0.0.1>;tag=1\r\nTo: <sip:127.0.0.1>\r\nCall-ID: refused-listen\r\n"
                        + "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
                byte[] b = options.getBytes(StandardCharsets.UTF_8);
                phone.send(new java.net.DatagramPacket(b, b.length, new InetSocketAddress("127.0.0.1", box.sipPort())));
                java.net.DatagramPacket in = new java.net.DatagramPacket(new byte[4096], 4096);
                phone.receive(in);
                assertTrue(new String(in.getData(), 0, in.getLength(), StandardCharsets.UTF_8).startsWith("SIP/2.0 "),
                        "the box still answers where it listened");
            }
        }
    }

    interface Swap {
        void run() throws Exception;
    }

    /** {@value #CALLS} calls to {@code dialled} with {@code swap} done once a third of them are under way. */
    private void batch(BesipProcess box, int providerPort, String dialled, Swap swap) throws Exception {
        Path provider = Path.of("../bundles/pbx/src/test/resources/sipp/uas-record-route.xml").toAbsolutePath(); // keeps the box in the dialog
        Process uas = new ProcessBuilder("sipp", "-sf", provider.toString(), "-i", "127.0.0.7", "-p", String.valueOf(providerPort), "-m", String.valueOf(CALLS),
                "-mp", "46000", "-rtp_echo", "-nostdin", "-timeout", "180s").directory(work.toFile()).redirectErrorStream(true)
                .redirectOutput(work.resolve("uas-" + dialled + ".txt").toFile()).start();
        try {
            BesipProcess.awaitUdpListener("127.0.0.7", providerPort);
            Path scenario = work.resolve("uac-auth-hold-rtp.xml");
            Files.writeString(scenario, Files.readString(Path.of("src/test/resources/sipp/uac-auth-hold-rtp.xml")).replace("@AUDIO@",
                    AUDIO.toString()));
            Process uac = new ProcessBuilder("sipp", "-sf", scenario.toString(), "-inf", work.resolve("caller.csv").toString(), "-s", dialled,
                    "127.0.0.1:" + box.sipPort(), "-i", "127.0.0.1", "-p", String.valueOf(BesipProcess.freeUdpAndTcpPort()), "-r",
                    String.valueOf(RATE), "-m", String.valueOf(CALLS), "-d", String.valueOf(HOLD_MS), "-mp", "42000", "-nostdin", "-timeout", "180s", "-recv_timeout", "30000").directory(work.toFile()).redirectErrorStream(true)
                    .redirectOutput(work.resolve("uac-" + dialled + ".txt").toFile()).start();
            long deadline = System.currentTimeMillis() + 60_000;
            while (cdrs(box, dialled).size() < CALLS / 3) {
                assertTrue(System.currentTimeMillis() < deadline && uac.isAlive(), "calls to " + dialled + " are under way:\n"
                        + Files.readString(work.resolve("uac-" + dialled + ".txt")) + box.diagnostics());
                Thread.sleep(100);
            }
            swap.run();
            assertTrue(uac.waitFor(180, TimeUnit.SECONDS), "sipp's calls to " + dialled + " end");
            String out = Files.readString(work.resolve("uac-" + dialled + ".txt"));
            assertEquals(0, uac.exitValue(), "every call to " + dialled + " completed (no failed transaction):\n" + out + box.diagnostics());
            assertTrue(uas.waitFor(30, TimeUnit.SECONDS), "the provider got every BYE");
            assertEquals(0, uas.exitValue(), Files.readString(work.resolve("uas-" + dialled + ".txt")));
        } finally {
            uas.destroyForcibly();
        }
        List<String[]> rows = cdrs(box, dialled);
        assertEquals(CALLS, rows.size(), "one CDR per call to " + dialled);
        for (String[] f : rows) {
            String row = String.join(",", f);
            assertEquals("answered", f[8], "no CDR of a call to " + dialled + " is interrupted: " + row);
            int seconds = Integer.parseInt(f[7]);
            long ms = Long.parseLong(f[6]) - Long.parseLong(f[5]);
            assertTrue(ms > HOLD_MS - 100 && ms < HOLD_MS + 3000, "the call lasted its hold (sipp's timers are not to the ms), from answer to BYE: " + row);
            assertEquals(ms / 1000, seconds, "duration_s is the answered time: " + row);
            double started = Math.ceil(ms / 1000.0);
            assertEquals(0.6 * started / 60, Double.parseDouble(f[11]), 1e-4, "the cost is 0.6 a minute per started second: " + row);
            assertEquals("provider", f[10], row);
            // loopback, no loss: the relay's MOS of G.711 both ways; a call that crossed the swap is measured by the new version
            assertTrue(Double.parseDouble(f[13]) >= 4.0 && Double.parseDouble(f[14]) >= 4.0, "audio both ways through the relay: " + row);
        }
    }

    /** The CDRs of calls to {@code dialled}: call_id, from, to, source, start, answer, end, duration, disposition, hangup, trunk, cost… */
    static List<String[]> cdrs(BesipProcess box, String dialled) throws Exception {
        var r = box.get("besip-pbx.csv", "admin", box.password());
        assertEquals(200, r.statusCode(), r.body());
        List<String[]> out = new ArrayList<>();
        for (String line : r.body().split("\r\n")) {
            String[] f = line.split(",", -1);
            if (f.length > 11 && f[2].contains(":" + dialled + "@")) {
                out.add(f);
            }
        }
        return out;
    }

    /** The pbx bundle's jar with Bundle-Version 1.0.1: "the next release". */
    static Path nextRelease(Path dir) throws IOException {
        return release(dir, "besip-pbx-", "1.0.1");
    }

    /** The shipped jar whose name starts with {@code prefix}, as version {@code version}. */
    static Path release(Path dir, String prefix, String version) throws IOException {
        Path jar;
        try (var files = Files.list(BesipOptions.dist().resolve("bundles"))) {
            jar = files.filter(p -> p.getFileName().toString().startsWith(prefix)).findFirst().orElseThrow();
        }
        return FixtureBundles.asVersion(jar, version, dir.resolve(prefix + version + ".jar"));
    }

    /**
     * "1.0.2", a release whose PBX component cannot activate: its descriptor names an
     * implementation class the jar does not have (a broken build).
     */
    static Path broken(Path dir) throws IOException {
        String descriptor = "OSGI-INF/org.besip.pbx.internal.component.PbxComponent.xml";
        String implementation = "class=\"org.besip.pbx.internal.component.PbxComponent\"";
        return FixtureBundles.rewrite(nextRelease(dir), "1.0.2", dir.resolve("besip-pbx-1.0.2.jar"), (name, b) -> {
            if (!name.equals(descriptor)) {
                return b;
            }
            String xml = new String(b, StandardCharsets.UTF_8);
            assertTrue(xml.contains(implementation), xml);
            return xml.replace(implementation, "class=\"org.besip.pbx.internal.component.NotInThisJar\"").getBytes(StandardCharsets.UTF_8);
        });
    }

    /**
     * REGISTERs from 127.0.0.9, 60 at once (past the shipped rule: 50 in 5 s), then one each 20 ms
     * until closed (at most 3 minutes); counts what the box answers once it has blocked the source.
     */
    static final class Flooder implements AutoCloseable {
        private final java.net.DatagramSocket socket;
        private final int port;
        private final Thread thread;
        private volatile boolean running = true;
        private final java.util.concurrent.atomic.AtomicInteger sent = new java.util.concurrent.atomic.AtomicInteger();
        private final java.util.concurrent.atomic.AtomicInteger answered = new java.util.concurrent.atomic.AtomicInteger();

        private Flooder(int port) throws IOException {
            this.port = port;
            socket = new java.net.DatagramSocket(0, java.net.InetAddress.getByName("127.0.0.9"));
            socket.setSoTimeout(20);
            thread = new Thread(this::flood, "flooder");
        }

        /** Floods until the box stops answering (at most 20 s), then goes on flooding in the background. */
        static Flooder blocked(int port) throws Exception {
            Flooder f = new Flooder(port);
            for (int i = 0; i < 60; i++) {
                f.send();
            }
            long deadline = System.currentTimeMillis() + 20_000;
            long quietSince = System.currentTimeMillis();
            while (System.currentTimeMillis() - quietSince < 2000) { // blocked: 2 s of REGISTERs without an answer
                assertTrue(System.currentTimeMillis() < deadline, "the flood from 127.0.0.9 is blocked");
                f.send();
                if (f.receive()) {
                    quietSince = System.currentTimeMillis();
                }
            }
            f.thread.start();
            return f;
        }

        private void flood() {
            long end = System.currentTimeMillis() + 180_000;
            while (running && System.currentTimeMillis() < end) {
                try {
                    send();
                    if (receive()) {
                        answered.incrementAndGet();
                    }
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void send() throws IOException {
            String msg = "REGISTER sip:127.0.0.1:" + port + " SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.9:" + socket.getLocalPort() + ";branch=z9hG4bKf"
                    + System.nanoTime() + "\r\nFrom: <sip:user0@127.0.0.1>;tag=f\r\nTo: <sip:user0@127.0.0.1>\r\nCall-ID: flood-"
                    + System.nanoTime() + "\r\nCSeq: 1 REGISTER\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
            byte[] b = msg.getBytes(StandardCharsets.UTF_8);
            socket.send(new java.net.DatagramPacket(b, b.length, java.net.InetAddress.getByName("127.0.0.1"), port));
            sent.incrementAndGet();
        }

        private boolean receive() throws IOException {
            try {
                socket.receive(new java.net.DatagramPacket(new byte[4096], 4096));
                return true;
            } catch (java.net.SocketTimeoutException e) {
                return false;
            }
        }

        int answered() {
            return answered.get();
        }

        int sent() {
            return sent.get();
        }

        @Override
        public void close() throws Exception {
            running = false;
            thread.join(5000);
            socket.close();
        }
    }

    /**
     * A phone registered over TCP: this test's own socket, REGISTER with digest (RFC 2617 with
     * qop=auth, MD5, worked out here), then, when rung, 200 OK and the BYE answered.
     */
    static final class TcpPhone implements AutoCloseable {
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;
        private final String user;

        private TcpPhone(Socket socket, String user) throws IOException {
            this.socket = socket;
            this.in = socket.getInputStream();
            this.out = socket.getOutputStream();
            this.user = user;
        }

        static TcpPhone register(int boxPort, String user, String password) throws Exception {
            Socket s = new Socket();
            s.connect(new InetSocketAddress("127.0.0.1", boxPort), 5000);
            s.setSoTimeout(20_000);
            TcpPhone p = new TcpPhone(s, user);
            String reply = p.send(p.register(1, null));
            assertTrue(reply.startsWith("SIP/2.0 401"), reply);
            Matcher m = Pattern.compile("nonce=\"([^\"]+)\"").matcher(reply);
            assertTrue(m.find(), reply);
            String nonce = m.group(1);
            String uri = "sip:127.0.0.1:" + boxPort;
            String ha1 = md5(user + ":besip:" + password);
            String ha2 = md5("REGISTER:" + uri);
            String response = md5(ha1 + ":" + nonce + ":00000001:c0ffee:auth:" + ha2);
            reply = p.send(p.register(2, "Authorization: Digest username=\"" + user + "\", realm=\"besip\", nonce=\"" + nonce + "\", uri=\""
                    + uri + "\", response=\"" + response + "\", algorithm=MD5, qop=auth, nc=00000001, cnonce=\"c0ffee\"\r\n"));
            assertTrue(reply.startsWith("SIP/2.0 200"), "registered over TCP: " + reply);
            return p;
        }

        private String register(int cseq, String auth) {
            int local = socket.getLocalPort();
            return "REGISTER sip:127.0.0.1:" + socket.getPort() + " SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:" + local + ";branch=z9hG4bKtcp"
                    + cseq + ";rport\r\nFrom: <sip:" + user + "@127.0.0.1>;tag=tcpphone\r\nTo: <sip:" + user + "@127.0.0.1>\r\n"
                    + "Call-ID: tcp-phone-register\r\nCSeq: " + cseq + " REGISTER\r\nContact: <sip:" + user + "@127.0.0.1:" + local
                    + ";transport=tcp>;expires=3600\r\nMax-Forwards: 70\r\n" + (auth == null ? "" : auth) + "Content-Length: 0\r\n\r\n";
        }

        private String send(String message) throws IOException {
            out.write(message.getBytes(StandardCharsets.UTF_8));
            out.flush();
            return read();
        }

        /** The next SIP message on the connection (headers and the Content-Length body). */
        private String read() throws IOException {
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    throw new IOException("the box closed the phone's connection after:\n" + head);
                }
                if (head.length() == 0 && (b == '\r' || b == '\n')) {
                    continue; // keep-alive CRLFs
                }
                head.append((char) b);
            }
            Matcher m = Pattern.compile("(?mi)^(?:Content-Length|l):\\s*(\\d+)").matcher(head);
            int len = m.find() ? Integer.parseInt(m.group(1)) : 0;
            return head + new String(in.readNBytes(len), StandardCharsets.UTF_8);
        }

        /** sipp (user1) calls extension 100; this phone answers what comes over its connection and the BYE after. */
        boolean rungAndAnswered(BesipProcess box, Path work) throws Exception {
            Path scenario = Path.of("../bundles/pbx/src/test/resources/sipp/uac-proxy-auth.xml").toAbsolutePath();
            Process uac = new ProcessBuilder("sipp", "-sf", scenario.toString(), "-inf", work.resolve("caller.csv").toString(), "-s", "100",
                    "127.0.0.1:" + box.sipPort(), "-i", "127.0.0.2", "-p", String.valueOf(BesipProcess.freeUdpAndTcpPort()), "-m", "1",
                    "-nostdin", "-timeout", "30s").directory(work.toFile()).redirectErrorStream(true)
                    .redirectOutput(work.resolve("uac-tcp.txt").toFile()).start();
            try {
                String invite = read();
                assertTrue(invite.startsWith("INVITE "), invite);
                respond(invite, "200 OK", "Contact: <sip:" + user + "@127.0.0.1:" + socket.getLocalPort() + ";transport=tcp>\r\n");
                String next = read();
                if (next.startsWith("ACK ")) {
                    next = read();
                }
                assertTrue(next.startsWith("BYE "), next);
                respond(next, "200 OK", "");
                assertTrue(uac.waitFor(30, TimeUnit.SECONDS));
                assertEquals(0, uac.exitValue(), Files.readString(work.resolve("uac-tcp.txt")));
                return true;
            } finally {
                uac.destroyForcibly();
            }
        }

        private void respond(String request, String status, String extra) throws IOException {
            StringBuilder r = new StringBuilder("SIP/2.0 " + status + "\r\n");
            for (String line : request.split("\r\n")) {
                String name = line.contains(":") ? line.substring(0, line.indexOf(':')).trim().toLowerCase(java.util.Locale.ROOT) : "";
                switch (name) {
                    case "via", "from", "call-id", "cseq", "record-route" -> r.append(line).append("\r\n");
                    case "to" -> r.append(line).append(line.contains(";tag=") ? "" : ";tag=tcpanswer").append("\r\n");
                    default -> {
                    }
                }
            }
            r.append(extra).append("Content-Length: 0\r\n\r\n");
            out.write(r.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }

        private static String md5(String s) throws Exception {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(s.getBytes(StandardCharsets.UTF_8)));
        }
    }
}
