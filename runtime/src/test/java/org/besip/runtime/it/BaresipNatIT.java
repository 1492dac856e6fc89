package org.besip.runtime.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real softphone behind a NAT: Debian's baresip in a network namespace the test makes
 * ({@code bsnat-lan}, 10.77.1.2), behind a router namespace ({@code bsnat-rtr}) that masquerades
 * it to 10.77.2.1 and, like a home router, lets nothing unsolicited in; the box listens on the
 * host's side, 10.77.2.2. The phone registers from behind the NAT with the box's default
 * challenge (MD5), a second baresip on the host (10.77.2.3) calls it through the box, and both
 * see the call answered and hung up; the box relays the audio (the callee is NAT'd), and each
 * phone decodes the other's tone (440 Hz one way, 700 Hz the other). The box reaches the phone where its REGISTER came from, the
 * NAT's mapping, never at the private address in its Contact.
 */
class BaresipNatIT {

    @TempDir
    Path work;

    private final List<Process> started = new ArrayList<>();

    static int run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), String.join(" ", cmd));
        return p.exitValue();
    }

    static void must(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), String.join(" ", cmd));
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ": " + out);
    }

    /** Removes what this test makes (by its names), also what a killed earlier run of it left. */
    static void teardown() throws Exception {
        run("ip", "netns", "del", "bsnat-lan");
        run("ip", "netns", "del", "bsnat-rtr");
        run("ip", "link", "del", "bsnat-w0");
    }

    @AfterEach
    void stop() throws Exception {
        for (Process p : started) {
            p.destroy();
            if (!p.waitFor(3, TimeUnit.SECONDS)) {
                p.destroy(); // baresip's second SIGTERM is an exit at once
                if (!p.waitFor(5, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
        }
        teardown();
    }

    private void network(boolean lossy) throws Exception {
        teardown();
        must("ip", "netns", "add", "bsnat-lan");
        must("ip", "netns", "add", "bsnat-rtr");
        must("ip", "link", "add", "bsnat-l0", "type", "veth", "peer", "name", "bsnat-l1");
        must("ip", "link", "set", "bsnat-l0", "netns", "bsnat-lan");
        must("ip", "link", "set", "bsnat-l1", "netns", "bsnat-rtr");
        must("ip", "link", "add", "bsnat-w0", "type", "veth", "peer", "name", "bsnat-w1");
        must("ip", "link", "set", "bsnat-w1", "netns", "bsnat-rtr");
        must("ip", "-n", "bsnat-lan", "addr", "add", "10.77.1.2/24", "dev", "bsnat-l0");
        must("ip", "-n", "bsnat-lan", "link", "set", "lo", "up");
        must("ip", "-n", "bsnat-lan", "link", "set", "bsnat-l0", "up");
        must("ip", "-n", "bsnat-lan", "route", "add", "default", "via", "10.77.1.1");
        must("ip", "-n", "bsnat-rtr", "addr", "add", "10.77.1.1/24", "dev", "bsnat-l1");
        must("ip", "-n", "bsnat-rtr", "addr", "add", "10.77.2.1/24", "dev", "bsnat-w1");
        must("ip", "-n", "bsnat-rtr", "link", "set", "lo", "up");
        must("ip", "-n", "bsnat-rtr", "link", "set", "bsnat-l1", "up");
        must("ip", "-n", "bsnat-rtr", "link", "set", "bsnat-w1", "up");
        must("ip", "netns", "exec", "bsnat-rtr", "sysctl", "-qw", "net.ipv4.ip_forward=1");
        must("ip", "addr", "add", "10.77.2.2/24", "dev", "bsnat-w0");
        must("ip", "addr", "add", "10.77.2.3/24", "dev", "bsnat-w0");
        must("ip", "link", "set", "bsnat-w0", "up");
        Path nat = work.resolve("nat.nft");
        Files.writeString(nat, "table ip bsnat {\n"
                + "  chain postrouting {\n    type nat hook postrouting priority srcnat; policy accept;\n"
                + "    ip saddr 10.77.1.0/24 oifname \"bsnat-w1\" masquerade\n  }\n"
                + "  chain forward {\n    type filter hook forward priority filter; policy accept;\n" // like a home router:
                + "    iifname \"bsnat-w1\" oifname \"bsnat-l1\" ct state established,related accept\n" // nothing unsolicited in
                + "    iifname \"bsnat-w1\" oifname \"bsnat-l1\" drop\n"
                // a lossy uplink: every 20th RTP packet the phone sends is lost on the way to the box
                + (lossy ? "    iifname \"bsnat-l1\" oifname \"bsnat-w1\" udp sport 10000-10100 numgen inc mod 20 0 drop\n" : "") + "  }\n"
                + "}\n");
        must("ip", "netns", "exec", "bsnat-rtr", "nft", "-f", nat.toString());
    }

    /**
     * A baresip config folder: no audio hardware (a sine at {@code hz}, aubridge's nil player),
     * sndfile dumping what it sends and what it decodes into {@code <dir>/dump}, ctrl_tcp for the test.
     */
    private Path phone(String name, String listen, String iface, String rtp, String ctrl, String account, int hz) throws Exception {
        Path dir = Files.createDirectories(work.resolve(name));
        Files.createDirectories(dir.resolve("dump"));
        Files.writeString(dir.resolve("config"), String.join("\n", "poll_method epoll", "sip_listen " + listen,
                "call_local_timeout 120", "audio_player aubridge,nil", "audio_source ausine," + hz, "audio_alert aubridge,nil",
                "ausrc_srate 48000", "ausrc_channels 2", "auplay_srate 48000", "auplay_channels 2", "rtp_ports " + rtp,
                "net_interface " + iface, "module_path /usr/lib/baresip/modules", "module g711.so", "module ausine.so",
                "module aubridge.so", "module sndfile.so", "snd_path " + dir.resolve("dump"), "module ctrl_tcp.so", "module_tmp account.so",
                "module_app menu.so", "ctrl_tcp_listen " + ctrl,
                ""));
        Files.writeString(dir.resolve("accounts"), account + "\n");
        return dir;
    }

    private Process baresip(String name, Path dir, String... netns) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(netns));
        cmd.addAll(List.of("stdbuf", "-oL", "baresip", "-f", dir.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(work.resolve(name + ".log").toFile()).start();
        started.add(p);
        return p;
    }

    /** Waits (at most 20 s) until {@code name}'s log has {@code text}. */
    private void awaitLog(String name, String text) throws Exception {
        long deadline = System.currentTimeMillis() + 20_000;
        while (System.currentTimeMillis() < deadline) {
            if (Files.readString(work.resolve(name + ".log"), StandardCharsets.ISO_8859_1).contains(text)) {
                return;
            }
            Thread.sleep(50);
        }
        StringBuilder logs = new StringBuilder(name + " never logged: " + text);
        for (String log : List.of("phone0.log", "phone1.log", "data/logs/besip.log")) {
            Path f = work.resolve(log);
            if (Files.exists(f)) {
                logs.append("\n--- ").append(log).append(" ---\n").append(Files.readString(f, StandardCharsets.ISO_8859_1).replace('\r', '\n'));
            }
        }
        throw new AssertionError(logs.toString());
    }

    /**
     * The frequency of the tone in the audio a phone decoded (sndfile's {@code *-dec.wav}: 16-bit
     * PCM), from its zero crossings over its loud part; fails when the file is missing or silent.
     */
    static double tone(Path dump) throws Exception {
        List<Path> dec;
        try (var files = Files.list(dump)) {
            dec = files.filter(f -> f.getFileName().toString().contains("dec")).toList();
        }
        String listing;
        try (var files = Files.list(dump)) {
            listing = files.map(f -> f.getFileName() + " " + f.toFile().length()).toList().toString();
        }
        assertEquals(1, dec.size(), "one decoded dump in " + dump + ": " + listing);
        byte[] wav = Files.readAllBytes(dec.get(0));
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(wav).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        int channels = b.getShort(22);
        int rate = b.getInt(24);
        int data = 12;
        while (data + 8 <= wav.length && !new String(wav, data, 4, StandardCharsets.US_ASCII).equals("data")) {
            data += 8 + b.getInt(data + 4);
        }
        assertTrue(data + 8 < wav.length, "a data chunk in " + dec.get(0) + ": " + listing);
        int start = data + 8;
        int frames = (wav.length - start) / (2 * channels);
        long crossings = 0;
        long loud = 0;
        double energy = 0;
        int prev = 0;
        for (int i = 0; i < frames; i++) {
            int v = b.getShort(start + i * 2 * channels);
            energy += (double) v * v;
            if (Math.abs(v) > 1000) {
                loud++;
            }
            if ((prev < 0 && v >= 0) || (prev >= 0 && v < 0)) {
                crossings++;
            }
            prev = v;
        }
        double rms = Math.sqrt(energy / Math.max(1, frames));
        assertTrue(frames > rate / 2 && rms > 1000 && loud > frames / 4, "half a second or more of tone, not silence: " + frames
                + " frames at " + rate + " Hz, RMS " + (int) rms + ": " + listing);
        return crossings / 2.0 / ((double) frames / rate);
    }

    /** One ctrl_tcp command (a netstring of JSON). */
    private static void command(String host, int port, String command, String params) throws Exception {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 5000);
            byte[] json = ("{\"command\":\"" + command + "\",\"params\":\"" + params + "\",\"token\":\"t1\"}").getBytes(StandardCharsets.UTF_8);
            OutputStream out = s.getOutputStream();
            out.write((json.length + ":").getBytes(StandardCharsets.US_ASCII));
            out.write(json);
            out.write(',');
            out.flush();
            s.setSoTimeout(5000);
            s.getInputStream().read(); // the response's first byte: the command was taken
        }
    }

    /**
     * Clean: the call is answered and hung up on both sides, a second of audio each way goes through
     * the relay, and its CDR scores both directions 4.40 (no loss). Lossy: the NAT drops every 20th
     * packet the phone behind it sends; the CDR's MOS of that direction is what {@code bin/besip-vqm}
     * computes on a capture of the same packets where they reach the box, within 0.1.
     */
    @ParameterizedTest(name = "lossy uplink: {0}")
    @ValueSource(booleans = { false, true })
    void aPhoneBehindNatRegistersIsCalledThroughTheBoxAndBothSeeTheCallAnsweredAndHungUp(boolean lossy) throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "network namespaces need root"); // CI runs as root
        network(lossy);
        int sip = BesipProcess.freeUdpAndTcpPort();
        try (BesipProcess box = BesipProcess.boot(work.resolve("data"), BesipOptions.freePort(), "-Dbesip.sip.host=10.77.2.2",
                "-Dbesip.sip.port=" + sip)) {
            NetconfIT.runOn(box, "configure_pbx_users", "2", "Sup3r-secret-pw");
            MonitoringIT.awaitLog(box, "SIP over UDP on /10.77.2.2:" + sip);

            String registrar = "10.77.2.2:" + sip;
            Path behindNat = phone("phone0", "10.77.1.2:5060", "bsnat-l0", "10000-10100", "127.0.0.1:4444",
                    "<sip:user0@" + registrar + ";transport=udp>;auth_pass=Sup3r-secret-pw;regint=60;answermode=auto;audio_codecs=PCMU", 700);
            baresip("phone0", behindNat, "ip", "netns", "exec", "bsnat-lan");
            awaitLog("phone0", "user0@10.77.2.2: {0/UDP/v4} 200 OK");

            int ctrl = BesipOptions.freePort();
            Path onHost = phone("phone1", "10.77.2.3:" + BesipProcess.freeUdpAndTcpPort(), "10.77.2.3", "10200-10300", "127.0.0.1:" + ctrl,
                    "<sip:user1@" + registrar + ";transport=udp>;auth_pass=Sup3r-secret-pw;regint=60;audio_codecs=PCMU", 440);
            baresip("phone1", onHost);
            awaitLog("phone1", "user1@10.77.2.2: {0/UDP/v4} 200 OK");

            // the box knows user0 by where its REGISTER came from: the NAT's address, not the private Contact
            var page = box.get("besip-pbx", "admin", box.password());
            assertTrue(page.body().contains("10.77.2.1:") && page.body().contains("10.77.1.2"), "the binding's source is the NAT:\n"
                    + page.body());

            Process capture = null;
            if (lossy) { // what reaches the box from the NAT, for besip-vqm
                capture = new ProcessBuilder("dumpcap", "-q", "-P", "-i", "bsnat-w0", "-f", "udp and src host 10.77.2.1", "-w",
                        work.resolve("uplink.pcap").toString()).redirectErrorStream(true).redirectOutput(work.resolve("dumpcap.log").toFile())
                        .start();
                started.add(capture);
                awaitLog("dumpcap", "File: ");
            }
            command("127.0.0.1", ctrl, "dial", "sip:user0@" + registrar);
            awaitLog("phone0", "Call established");
            awaitLog("phone1", "Call established");
            // the callee is behind a NAT: the box relays the call's audio (media/relay nat-only, the default); both phones'
            // 440 Hz tones (50 packets a second) reach the relay's ports, latched where each phone really is
            java.util.regex.Pattern row = java.util.regex.Pattern.compile(
                    "<td>([^<]*)</td><td class='caller-packets'>(\\d+)</td><td>([^<]*)</td><td class='callee-packets'>(\\d+)</td>");
            long deadline = System.currentTimeMillis() + 30_000;
            String relayPage = "";
            String callee = null;
            while (callee == null && System.currentTimeMillis() < deadline) {
                relayPage = box.get("besip-pbx", "admin", box.password()).body();
                java.util.regex.Matcher m = row.matcher(relayPage);
                long enough = lossy ? 250 : 50; // lossy: five seconds, so the loss pattern is more than a few packets
                if (m.find() && Long.parseLong(m.group(2)) >= enough && Long.parseLong(m.group(4)) >= enough) {
                    callee = m.group(3);
                } else {
                    Thread.sleep(100);
                }
            }
            assertTrue(callee != null, "a second of audio each way through the relay:\n" + relayPage);
            assertTrue(callee.contains("10.77.2.1"), "the NAT'd phone is latched at the NAT's address: " + callee);
            command("127.0.0.1", ctrl, "hangup", "");
            awaitLog("phone1", "call: terminate call"); // the caller hangs up: its BYE goes through the box
            awaitLog("phone0", "session closed"); // the phone behind the NAT got it: the call is over on both sides
            MonitoringIT.awaitLog(box, "RTP packets from the caller"); // the relay session is released with the call
            // what each phone decoded is the other phone's tone: the audio crossed the relay both ways, through the NAT
            double heardBehindNat = tone(work.resolve("phone0/dump"));
            double heardOnHost = tone(work.resolve("phone1/dump"));
            System.out.printf(java.util.Locale.ROOT, "decoded tones: behind the NAT %.1f Hz (sent 440), on the host %.1f Hz (sent 700)%n",
                    heardBehindNat, heardOnHost);
            assertEquals(440, heardBehindNat, 15, "the phone behind the NAT heard the host phone's 440 Hz");
            assertEquals(700, heardOnHost, 15, "the host phone heard the NAT'd phone's 700 Hz");

            var cdrs = box.get("besip-pbx.csv", "admin", box.password());
            String cdr = cdrs.body().lines().filter(l -> l.contains("sip:user1@") && l.contains(",answered,caller,")).findFirst()
                    .orElseThrow(() -> new AssertionError(cdrs.body()));
            System.out.print("CDRs of the relayed call:\n" + cdrs.body());
            // mos_caller, mos_callee, loss_caller, loss_callee, jitter_caller, jitter_callee: no loss on the veth pair, so
            // R = 93.3552 - Id(20 ms) = 92.821 and MOS = 4.40 for both directions (the BESIP E-model, G.711)
            String[] f = cdr.split(",", -1);
            String[] q = java.util.Arrays.copyOfRange(f, f.length - 6, f.length);
            assertEquals(4.40, Double.parseDouble(q[0]), 0.011, "the caller's stream: " + cdr);
            assertEquals(0.0, Double.parseDouble(q[2]), 1e-9, cdr);
            if (!lossy) {
                assertEquals(4.40, Double.parseDouble(q[1]), 0.011, "the callee's stream (behind the NAT): " + cdr);
                assertEquals(0.0, Double.parseDouble(q[3]), 1e-9, cdr);
                return;
            }
            assertEquals(5.0, Double.parseDouble(q[3]), 0.6, "one packet in 20 lost on the uplink: " + cdr);
            capture.destroy();
            assertTrue(capture.waitFor(10, TimeUnit.SECONDS), "dumpcap stopped");
            Process vqm = new ProcessBuilder(BesipOptions.dist().resolve("bin/besip-vqm").toString(), "analyze",
                    work.resolve("uplink.pcap").toString(), "--json", "--delay-ms", "20").redirectErrorStream(true).start();
            String json = new String(vqm.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(vqm.waitFor(60, TimeUnit.SECONDS) && vqm.exitValue() == 0, json);
            java.util.regex.Matcher v = java.util.regex.Pattern.compile("\"src\": ?\"10\\.77\\.2\\.1:\\d+\"[^}]*\"loss_pct\": ?([0-9.]+)[^}]*"
                    + "\"mos\": ?([0-9.]+)").matcher(json);
            assertTrue(v.find(), "besip-vqm scored the uplink stream:\n" + json);
            System.out.println("relayed call under loss: CDR mos_callee " + q[1] + " loss " + q[3] + " %; besip-vqm on the capture: mos "
                    + v.group(2) + " loss " + v.group(1) + " %");
            assertEquals(Double.parseDouble(v.group(2)), Double.parseDouble(q[1]), 0.1, "the CDR's MOS is besip-vqm's on the same packets");
            assertTrue(Double.parseDouble(q[1]) < 4.2, "the loss lowers the score: " + cdr);
        }
    }
}
