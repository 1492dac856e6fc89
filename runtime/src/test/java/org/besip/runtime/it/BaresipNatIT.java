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
        must("ip", "addr", "add", "10.77.2.4/24", "dev", "bsnat-w0");
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

    /** The namespaces and the NAT (needs root), and the box on the host's side at 10.77.2.2:{@code sip} with {@code users} users. */
    private BesipProcess boxOnTheNat(boolean lossy, int sip, int users) throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "network namespaces need root"); // CI runs as root
        network(lossy);
        BesipProcess box = BesipProcess.boot(work.resolve("data"), BesipOptions.freePort(), "-Dbesip.sip.host=10.77.2.2", "-Dbesip.sip.port=" + sip);
        try {
            NetconfIT.runOn(box, "configure_pbx_users", String.valueOf(users), "Sup3r-secret-pw");
        } catch (Exception | AssertionError e) {
            box.close(); // the caller's try-with-resources never got it
            throw e;
        }
        return box;
    }

    /** user0's baresip behind the NAT (10.77.1.2, a 700 Hz tone, answering at once), registered with the box at {@code registrar}. */
    private void phoneBehindNat(String registrar) throws Exception {
        Path behindNat = phone("phone0", "10.77.1.2:5060", "bsnat-l0", "10000-10100", "127.0.0.1:4444",
                "<sip:user0@" + registrar + ";transport=udp>;auth_pass=Sup3r-secret-pw;regint=60;answermode=auto;audio_codecs=PCMU", 700);
        baresip("phone0", behindNat, "ip", "netns", "exec", "bsnat-lan");
        awaitLog("phone0", "user0@10.77.2.2: {0/UDP/v4} 200 OK");
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
        for (String log : List.of("phone0.log", "phone1.log", "phone2.log", "data/logs/besip.log")) {
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
        Dump d = Dump.of(dump);
        short[] v = d.samples();
        long crossings = 0;
        long loud = 0;
        double energy = 0;
        int prev = 0;
        for (short x : v) {
            energy += (double) x * x;
            if (Math.abs(x) > 1000) {
                loud++;
            }
            if ((prev < 0 && x >= 0) || (prev >= 0 && x < 0)) {
                crossings++;
            }
            prev = x;
        }
        double rms = Math.sqrt(energy / Math.max(1, v.length));
        assertTrue(v.length > d.rate() / 2 && rms > 1000 && loud > v.length / 4, "half a second or more of tone, not silence: " + v.length
                + " samples at " + d.rate() + " Hz, RMS " + (int) rms + " in " + Dump.files(dump));
        return crossings / 2.0 / ((double) v.length / d.rate());
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
        int sip = BesipProcess.freeUdpAndTcpPort();
        try (BesipProcess box = boxOnTheNat(lossy, sip, 2)) {
            MonitoringIT.awaitLog(box, "SIP over UDP on /10.77.2.2:" + sip);

            String registrar = "10.77.2.2:" + sip;
            phoneBehindNat(registrar);

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

    /** Samples as they come, 16-bit. */
    static final class Pcm {
        short[] samples = new short[8000];
        int n;

        void add(int v) {
            if (n == samples.length) {
                samples = java.util.Arrays.copyOf(samples, 2 * n);
            }
            samples[n++] = (short) v;
        }

        short[] all() {
            return java.util.Arrays.copyOf(samples, n);
        }
    }

    /**
     * What a phone decoded: sndfile starts a dump for each stream update (a re-INVITE starts a new
     * one), named by the second it began; their left channels in that order, 16-bit PCM, and
     * their rate (the decoder's: 8 kHz for G.711).
     */
    record Dump(short[] samples, int rate) {
        static List<Path> files(Path dir) throws Exception {
            try (var files = Files.list(dir)) {
                return files.filter(f -> f.getFileName().toString().contains("dec")).sorted().toList();
            }
        }

        static Dump of(Path dir) throws Exception {
            List<Path> dec = files(dir);
            assertTrue(!dec.isEmpty(), "a decoded dump in " + dir);
            Pcm all = new Pcm();
            int rate = 0;
            for (Path f : dec) {
                byte[] wav = Files.readAllBytes(f);
                java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(wav).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                int channels = b.getShort(22);
                rate = b.getInt(24);
                int data = 12;
                while (data + 8 <= wav.length && !new String(wav, data, 4, StandardCharsets.US_ASCII).equals("data")) {
                    data += 8 + b.getInt(data + 4);
                }
                int start = data + 8;
                int frames = Math.max(0, (wav.length - start) / (2 * channels));
                for (int i = 0; i < frames; i++) {
                    all.add(b.getShort(start + i * 2 * channels));
                }
            }
            return new Dump(all.all(), rate);
        }

        /**
         * How much of the audio from {@code fromS} to {@code toS} (seconds into the dump) is a tone
         * of {@code hz} (Goertzel: the tone's power over the window's, 1 for a pure sine), and the
         * window's RMS.
         */
        double[] purity(double fromS, double toS, double hz) {
            int a = (int) Math.max(0, fromS * rate);
            int z = (int) Math.min(samples.length, toS * rate);
            assertTrue(z - a > rate / 4, "a quarter second or more of audio from " + fromS + " s to " + toS + " s: the dump holds "
                    + samples.length / (double) rate + " s");
            double w = 2 * Math.PI * hz / rate;
            double coeff = 2 * Math.cos(w);
            double s1 = 0;
            double s2 = 0;
            double energy = 0;
            for (int i = a; i < z; i++) {
                double s0 = samples[i] + coeff * s1 - s2;
                s2 = s1;
                s1 = s0;
                energy += (double) samples[i] * samples[i];
            }
            double power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
            int n = z - a;
            return new double[] { energy == 0 ? 0 : 2 * power / (n * energy), Math.sqrt(energy / n) };
        }
    }

    /** The relay's row on the PBX page: where the callee is latched, the RTP packets each side sent, the music frames to the callee. */
    record RelayRow(String callee, long callerPackets, long calleePackets, long musicToCallee) {
    }

    /** Polls the PBX page (at most 30 s) until the relay's row passes {@code until}; returns it. */
    static RelayRow relayRow(BesipProcess box, java.util.function.Predicate<RelayRow> until) throws Exception {
        java.util.regex.Pattern row = java.util.regex.Pattern.compile("<td class='caller-packets'>(\\d+)</td><td>([^<]*)</td>"
                + "<td class='callee-packets'>(\\d+)</td><td>\\d+</td><td class='music'>\\d+, (\\d+)</td>");
        long deadline = System.currentTimeMillis() + 30_000;
        String page = "";
        while (System.currentTimeMillis() < deadline) {
            page = box.get("besip-pbx", "admin", box.password()).body();
            java.util.regex.Matcher m = row.matcher(page);
            if (m.find()) {
                RelayRow r = new RelayRow(m.group(2), Long.parseLong(m.group(1)), Long.parseLong(m.group(3)), Long.parseLong(m.group(4)));
                if (until.test(r)) {
                    return r;
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("the relay's counters never got there:\n" + page.replaceAll("(?s)^.*?(<h2>Media relay)", "$1")
                .replaceAll("(?s)<h2>Recordings.*$", "") + box.diagnostics());
    }

    /** The RTP packets (G.711 µ-law, payload type 0) in a pcap file (Ethernet, IPv4, UDP): capture time in µs, SSRC, sequence. */
    static void rtpTo(Path pcap, List<long[]> packets, List<byte[]> payloads) throws Exception {
        byte[] f = Files.readAllBytes(pcap);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(f).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        assertEquals(0xa1b2c3d4, b.getInt(0), "a little-endian pcap (dumpcap -P)");
        for (int at = 24; at + 16 <= f.length;) {
            long us = (b.getInt(at) & 0xFFFFFFFFL) * 1_000_000 + (b.getInt(at + 4) & 0xFFFFFFFFL);
            int len = b.getInt(at + 8);
            int p = at + 16;
            at = p + len;
            if (len < 14 + 20 + 8 + 12 || (f[p + 12] & 0xFF) != 0x08 || f[p + 13] != 0x00) {
                continue;
            }
            int ip = p + 14;
            int udp = ip + (f[ip] & 0x0F) * 4;
            int rtp = udp + 8;
            int end = p + len;
            if (f[ip + 9] != 17 || end - rtp < 12 || (f[rtp] & 0xC0) != 0x80 || (f[rtp + 1] & 0x7F) != 0) {
                continue;
            }
            long ssrc = ((f[rtp + 8] & 0xFFL) << 24) | ((f[rtp + 9] & 0xFFL) << 16) | ((f[rtp + 10] & 0xFFL) << 8) | (f[rtp + 11] & 0xFFL);
            int seq = ((f[rtp + 2] & 0xFF) << 8) | (f[rtp + 3] & 0xFF);
            packets.add(new long[] { us, ssrc, seq });
            payloads.add(java.util.Arrays.copyOfRange(f, rtp + 12, end));
        }
    }

    /** µ-law to linear (ITU-T G.711). */
    static int ulaw(int u) {
        u = ~u & 0xFF;
        int t = ((u & 0x0F) << 3) + 0x84;
        t <<= (u & 0x70) >> 4;
        return (u & 0x80) != 0 ? 0x84 - t : t - 0x84;
    }

    /** The purity of {@code hz} (and the RMS) in the audio of the packets captured from {@code fromMs} to {@code toMs}, decoded in order. */
    static double[] purity(List<long[]> packets, List<byte[]> payloads, long fromMs, long toMs, double hz) {
        Pcm pcm = new Pcm();
        for (int i = 0; i < packets.size(); i++) {
            long ms = packets.get(i)[0] / 1000;
            if (ms >= fromMs && ms <= toMs) {
                for (byte x : payloads.get(i)) {
                    pcm.add(ulaw(x));
                }
            }
        }
        return new Dump(pcm.all(), 8000).purity(0, pcm.n / 8000.0, hz);
    }

    /**
     * The box in mode b2bua: the host phone (440 Hz) calls the one behind the NAT (700 Hz) and
     * they hear each other through the relay; the caller holds (baresip's hold: a re-INVITE with
     * sendonly), and the phone behind the NAT hears the box's music instead of the tone, then the
     * tone again once resumed; then the caller transfers it (REFER) to a third phone (1000 Hz),
     * which the box calls: the phone behind the NAT hears 1000 Hz, the third phone 700 Hz; the
     * caller's call ends with the NOTIFY of the transfer's 200.
     */
    @org.junit.jupiter.api.Test
    void throughTheB2buaAHeldPhoneHearsMusicAndATransferredOneTheThirdPhone() throws Exception {
        int sip = BesipProcess.freeUdpAndTcpPort();
        try (BesipProcess box = boxOnTheNat(false, sip, 3)) {
            NetconfIT.runOn(box, "configure_pbx_mode", "b2bua", "30000", "30999");
            MonitoringIT.awaitLog(box, "SIP B2BUA as 10.77.2.2:" + sip);
            String registrar = "10.77.2.2:" + sip;
            phoneBehindNat(registrar);
            int ctrl = BesipOptions.freePort();
            baresip("phone1", phone("phone1", "10.77.2.3:" + BesipProcess.freeUdpAndTcpPort(), "10.77.2.3", "10200-10300", "127.0.0.1:" + ctrl,
                    "<sip:user1@" + registrar + ";transport=udp>;auth_pass=Sup3r-secret-pw;regint=60;audio_codecs=PCMU", 440));
            awaitLog("phone1", "user1@10.77.2.2: {0/UDP/v4} 200 OK");
            int ctrl2 = BesipOptions.freePort();
            baresip("phone2", phone("phone2", "10.77.2.4:" + BesipProcess.freeUdpAndTcpPort(), "10.77.2.4", "10400-10500", "127.0.0.1:" + ctrl2,
                    "<sip:user2@" + registrar + ";transport=udp>;auth_pass=Sup3r-secret-pw;regint=60;answermode=auto;audio_codecs=PCMU", 1000));
            awaitLog("phone2", "user2@10.77.2.2: {0/UDP/v4} 200 OK");

            // what reaches the phone behind the NAT, captured inside its namespace: the audio it really gets
            Process capture = new ProcessBuilder("ip", "netns", "exec", "bsnat-lan", "dumpcap", "-q", "-P", "-i", "bsnat-l0", "-f",
                    "udp and dst host 10.77.1.2 and dst portrange 10000-10100", "-w", work.resolve("lan.pcap").toString())
                    .redirectErrorStream(true).redirectOutput(work.resolve("dumpcap.log").toFile()).start();
            started.add(capture);
            awaitLog("dumpcap", "File: ");

            command("127.0.0.1", ctrl, "dial", "sip:user0@" + registrar);
            awaitLog("phone0", "Call established");
            awaitLog("phone1", "Call established");
            RelayRow r = relayRow(box, row -> row.callerPackets() >= 150); // three seconds of the caller's tone
            assertTrue(r.callee().contains("10.77.2.1"), "the NAT'd phone is latched at the NAT's address: " + r.callee());
            long holdAt = System.currentTimeMillis();
            command("127.0.0.1", ctrl, "hold", "");
            MonitoringIT.awaitLog(box, "plays music on hold to the callee");
            relayRow(box, row -> row.musicToCallee() >= 150); // three seconds of music to the held phone
            long resumeAt = System.currentTimeMillis();
            command("127.0.0.1", ctrl, "resume", "");
            MonitoringIT.awaitLog(box, "stops the music to the callee");
            long callerPackets = relayRow(box, row -> true).callerPackets();
            relayRow(box, row -> row.callerPackets() >= callerPackets + 150);
            long transferAt = System.currentTimeMillis();
            command("127.0.0.1", ctrl, "transfer", "sip:user2@" + registrar);
            awaitLog("phone2", "Call established");
            long transferredAt = System.currentTimeMillis();
            awaitLog("phone1", "terminated (duration"); // the transfer done, the caller's own call is over
            long thirdPackets = relayRow(box, row -> true).callerPackets();
            relayRow(box, row -> row.callerPackets() >= thirdPackets + 150); // the caller's side of the relay is the third phone now
            long endAt = System.currentTimeMillis();
            command("127.0.0.1", ctrl2, "hangup", "");
            awaitLog("phone0", "session closed");
            MonitoringIT.awaitLog(box, "RTP packets from the caller");
            capture.destroy();
            assertTrue(capture.waitFor(10, TimeUnit.SECONDS), "dumpcap stopped");

            List<long[]> heard = new ArrayList<>(); // per packet: capture time in µs, SSRC, sequence; payloads beside
            List<byte[]> payloads = new ArrayList<>();
            rtpTo(work.resolve("lan.pcap"), heard, payloads);
            assertTrue(heard.size() > 500, "the phone behind the NAT got the call's audio: " + heard.size() + " packets");
            assertEquals(1, heard.stream().mapToLong(x -> x[1]).distinct().count(),
                    "one RTP stream all along (the relay continues it across the music and the transfer)");
            double[] before = purity(heard, payloads, holdAt - 2500, holdAt - 200, 440);
            double[] onHold = purity(heard, payloads, holdAt + 800, resumeAt - 200, 440);
            double[] after = purity(heard, payloads, resumeAt + 800, transferAt - 200, 440);
            double[] third = purity(heard, payloads, transferredAt + 800, endAt - 200, 1000);
            byte[] music = Files.readAllBytes(Path.of("../bundles/pbx/src/main/resources/org/besip/pbx/internal/media/music-on-hold.ul"));
            String tune = new String(music, StandardCharsets.ISO_8859_1);
            long held = 0;
            long fromTune = 0;
            for (int i = 0; i < heard.size(); i++) {
                long ms = heard.get(i)[0] / 1000;
                if (ms > holdAt + 800 && ms < resumeAt - 200) {
                    held++;
                    if (tune.contains(new String(payloads.get(i), StandardCharsets.ISO_8859_1))) {
                        fromTune++;
                    }
                }
            }
            System.out.printf(java.util.Locale.ROOT, "behind the NAT: 440 Hz purity %.2f before the hold, %.2f on hold (RMS %.0f; %d of %d"
                    + " frames from the shipped tune), %.2f after; 1000 Hz purity %.2f after the transfer%n", before[0], onHold[0], onHold[1],
                    fromTune, held, after[0], third[0]);
            assertTrue(before[0] > 0.8, "the caller's 440 Hz before the hold: " + before[0]);
            assertTrue(held >= 50 && fromTune == held, "on hold, every frame the phone got is the box's music: " + fromTune + " of " + held);
            assertTrue(onHold[0] < 0.3, "not the caller's tone on hold: " + onHold[0]);
            assertTrue(after[0] > 0.8, "the caller's 440 Hz again once resumed: " + after[0]);
            assertTrue(third[0] > 0.8, "the third phone's 1000 Hz after the transfer: " + third[0]);
            double[] atCaller = Dump.of(work.resolve("phone1/dump")).purity(0.6, 2.5, 700);
            double[] atThird = Dump.of(work.resolve("phone2/dump")).purity(0.6, 2.5, 700);
            System.out.printf(java.util.Locale.ROOT, "the NAT'd phone's 700 Hz: purity %.2f at the caller, %.2f at the third phone%n", atCaller[0],
                    atThird[0]);
            assertTrue(atCaller[0] > 0.8, "the caller hears the phone behind the NAT: " + atCaller[0]);
            assertTrue(atThird[0] > 0.8, "the third phone hears the phone behind the NAT: " + atThird[0]);

            var cdrs = box.get("besip-pbx.csv", "admin", box.password());
            System.out.print("CDR of the held and transferred call:\n" + cdrs.body());
            assertTrue(cdrs.body().lines().anyMatch(l -> l.contains("sip:user1@") && l.contains(",answered,")), cdrs.body());
        }
    }
}
