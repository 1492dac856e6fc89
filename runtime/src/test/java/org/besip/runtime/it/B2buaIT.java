package org.besip.runtime.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped box in {@code mode b2bua}, configured over NETCONF, between two sipp phones: a
 * caller on 127.0.0.2 that authenticates and sends 7 s of G.711 A-law from a capture
 * ({@code play_pcap_audio}, {@code ../shared/data/pcap/sipp_g711a.pcap}), and a registered
 * callee on 127.0.0.1 that answers and echoes the audio back ({@code -rtp_echo}). What the callee
 * received is read from sipp's own message log: another Call-ID, nothing of the caller's address
 * (Via, Contact, From, SDP), the box's relay in the SDP. The CDR carries the MOS the relay measured
 * of both directions, and the recording of the call (the caller's calls are recorded): a WAV of
 * both directions mixed, listed on the PBX page and served to the admin.
 */
class B2buaIT {

    @TempDir
    Path work;

    /** {@code ../shared/data/pcap/sipp_g711a.pcap}, as the repository carries it (with its SHA-256 in SHA256SUMS). */
    static final Path PCAP = Path.of("../bundles/monitoring/src/test/resources/pcap/sipp_g711a.pcap").toAbsolutePath().normalize();

    @Test
    void theCalleeSeesOnlyTheBoxAndTheAudioCrossesItsRelay() throws Exception {
        assertTrue(Files.isReadable(PCAP), "the capture " + PCAP);
        try (BesipProcess box = BesipProcess.boot(work.resolve("data"), BesipOptions.freePort())) {
            NetconfIT.pbxUsers(box, work, 2);
            NetconfIT.runOn(box, "configure_pbx_mode", "b2bua", "31000", "31099");
            NetconfIT.runOn(box, "configure_pbx_record", "user1"); // the caller's calls are recorded
            MonitoringIT.awaitLog(box, "SIP B2BUA as 127.0.0.1:" + box.sipPort());

            int phone = registerUser0(box, work);

            Path calleeLog = work.resolve("callee-messages.log");
            Process callee = new ProcessBuilder("sipp", "-sn", "uas", "-i", "127.0.0.1", "-p", String.valueOf(phone), "-mp",
                    String.valueOf(BesipProcess.freeUdpAndTcpPort()), "-rtp_echo", "-m", "1", "-trace_msg", "-message_file",
                    calleeLog.toString(), "-nostdin", "-timeout", "60s").directory(work.toFile()).redirectErrorStream(true).start();
            try {
                BesipProcess.awaitUdpListener(phone);
                Path scenario = work.resolve("uac-pcap-audio.xml");
                Files.writeString(scenario, Files.readString(Path.of("src/test/resources/sipp/uac-pcap-audio.xml")).replace("@PCAP@",
                        PCAP.toString()));
                Files.writeString(work.resolve("caller.csv"), "SEQUENTIAL\nuser1;[authentication username=user1 password="
                        + NetconfIT.USER_PASSWORD + "]\n");
                Path callerLog = work.resolve("caller-messages.log");
                Process caller = new ProcessBuilder("sipp", "-sf", scenario.toString(), "-inf", work.resolve("caller.csv").toString(), "-s",
                        "user0", "127.0.0.1:" + box.sipPort(), "-i", "127.0.0.2", "-p", String.valueOf(BesipProcess.freeUdpAndTcpPort()),
                        "-mp", String.valueOf(BesipProcess.freeUdpAndTcpPort()), "-m", "1", "-trace_msg", "-message_file",
                        callerLog.toString(), "-nostdin", "-timeout", "60s", "-recv_timeout", "10000").directory(work.toFile())
                        .redirectErrorStream(true).start();
                String out = new String(caller.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(caller.waitFor(90, TimeUnit.SECONDS), out);
                assertEquals(0, caller.exitValue(), "the call through the B2BUA completed:\n" + out + box.diagnostics());
                assertTrue(callee.waitFor(30, TimeUnit.SECONDS));
                assertEquals(0, callee.exitValue(), "the callee answered and got the BYE");

                String sentByCaller = Files.readString(callerLog);
                String got = Files.readString(calleeLog);
                String invite = message(got, "INVITE sip:");
                String callerInvite = message(sentByCaller, "INVITE sip:");
                System.out.println("the INVITE the callee got from the B2BUA:\n" + invite);
                String callerCallId = header(callerInvite, "Call-ID");
                assertNotEquals(callerCallId, header(invite, "Call-ID"), "the callee's dialog is the box's own");
                assertFalse(got.contains(callerCallId), "the caller's Call-ID never reached the callee");
                assertFalse(got.contains("127.0.0.2"), "nothing of the caller's address (Via, Contact, From, SDP) reached the callee:\n" + got);
                assertTrue(header(invite, "Via").startsWith("SIP/2.0/UDP 127.0.0.1:" + box.sipPort() + ";"), header(invite, "Via"));
                assertEquals(1, Pattern.compile("(?m)^Via:").matcher(invite.substring(0, invite.indexOf("\n\n") < 0 ? invite.length()
                        : invite.indexOf("\n\n"))).results().count(), "one Via, the box's");
                assertTrue(header(invite, "Contact").contains("@127.0.0.1:" + box.sipPort()), header(invite, "Contact"));
                assertTrue(invite.contains("c=IN IP4 127.0.0.1"), invite);
                Matcher m = Pattern.compile("m=audio (\\d+) RTP/AVP 8").matcher(invite);
                assertTrue(m.find(), invite);
                int port = Integer.parseInt(m.group(1));
                assertTrue(port >= 31000 && port <= 31099, "the SDP names the box's relay port: " + port);
                String okToCaller = message(sentByCaller, "SIP/2.0 200 OK", "CSeq: 2 INVITE");
                assertTrue(okToCaller.contains("c=IN IP4 127.0.0.1") && header(okToCaller, "Contact").contains("b2b@127.0.0.1"), okToCaller);

                MonitoringIT.awaitLog(box, "RTP packets from the caller"); // the relay session is released with the call
                var cdrs = box.get("besip-pbx.csv", "admin", box.password());
                System.out.print("CDR of the B2BUA call:\n" + cdrs.body());
                String cdr = cdrs.body().lines().filter(l -> l.contains(",answered,caller,")).findFirst()
                        .orElseThrow(() -> new AssertionError(cdrs.body()));
                assertTrue(cdr.startsWith(callerCallId + ","), "the CDR is the caller's call: " + cdr);
                String[] f = cdr.split(",", -1);
                String[] q = java.util.Arrays.copyOfRange(f, f.length - 6, f.length);
                // loopback, no loss: R = 93.3552 - Id(20 ms) = 92.821, MOS 4.40 each way (the BESIP E-model, G.711)
                assertEquals(4.40, Double.parseDouble(q[0]), 0.02, "the caller's stream, as the relay got it: " + cdr);
                assertEquals(4.40, Double.parseDouble(q[1]), 0.02, "the callee's echo, as the relay got it: " + cdr);
                assertEquals(0.0, Double.parseDouble(q[2]), 1e-9, cdr);

                // the recording: its path in the CDR (the column before the MOS), the file under the data directory
                String path = f[f.length - 7];
                assertTrue(path.matches("recordings/\\d{4}-\\d{2}-\\d{2}/\\d{6}-[0-9a-f]{16}\\.wav"), "the recording in the CDR: " + cdr);
                MonitoringIT.awaitLog(box, "recorded call " + callerCallId + " to " + path);
                byte[] wav = Files.readAllBytes(box.data().resolve(path));
                java.nio.ByteBuffer w = java.nio.ByteBuffer.wrap(wav).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                assertEquals(8000, w.getInt(24), "8 kHz");
                assertEquals(1, w.getShort(22), "mono: both directions mixed");
                assertEquals(wav.length - 44, w.getInt(40), "the header's data size is the file's");
                double seconds = (wav.length - 44) / 16000.0;
                assertEquals(7.5, seconds, 1.5, "the call's audio: the capture's 7 s and its echo");
                double energy = 0;
                for (int i = 44; i + 1 < wav.length; i += 2) {
                    energy += Math.pow(w.getShort(i), 2);
                }
                double rms = Math.sqrt(energy / ((wav.length - 44) / 2.0));
                System.out.printf(java.util.Locale.ROOT, "the recording %s: %.1f s, RMS %.0f%n", path, seconds, rms);
                assertTrue(rms > 300, "the recording is not silent: RMS " + rms);
                String page = box.get("besip-pbx", "admin", box.password()).body();
                String name = path.substring("recordings/".length());
                assertTrue(page.contains("Recordings (1)") && page.contains("<audio controls preload='none' src='besip-pbx.wav?f="
                        + java.net.URLEncoder.encode(name, StandardCharsets.UTF_8)), "the page lists the recording with a player:\n" + page);
                var served = box.get("besip-pbx.wav?f=" + java.net.URLEncoder.encode(name, StandardCharsets.UTF_8), "admin", box.password());
                assertEquals(200, served.statusCode());
                assertEquals("audio/wav", served.headers().firstValue("Content-Type").orElse("").replaceAll(";.*", ""));
                assertEquals(404, box.get("besip-pbx.wav?f=../../etc/passwd", "admin", box.password()).statusCode());
                assertEquals(401, box.get("besip-pbx.wav?f=" + name, null, null).statusCode(), "recordings only behind the admin credentials");
            } finally {
                callee.destroyForcibly();
            }
        }
    }

    /**
     * Registers user0 (of {@code work/users.csv}, {@link NetconfIT#pbxUsers}) with sipp from a
     * free port of 127.0.0.1, where the callee's sipp answers next; returns the port.
     */
    static int registerUser0(BesipProcess box, Path work) throws Exception {
        int phone = BesipProcess.freeUdpAndTcpPort();
        Path register = Path.of("../bundles/pbx/src/test/resources/sipp/register-auth.xml").toAbsolutePath();
        Process reg = new ProcessBuilder("sipp", "-sf", register.toString(), "-inf", work.resolve("users.csv").toString(), "127.0.0.1:"
                + box.sipPort(), "-i", "127.0.0.1", "-p", String.valueOf(phone), "-m", "1", "-nostdin", "-timeout", "30s")
                .directory(work.toFile()).redirectErrorStream(true).start();
        String regOut = new String(reg.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(reg.waitFor(40, TimeUnit.SECONDS) && reg.exitValue() == 0, "user0 registers from the callee's port:\n" + regOut);
        return phone;
    }

    /**
     * The first message of a sipp message log (entries after a line of dashes, the message after
     * the entry's first blank line) that starts with {@code start} and holds each of {@code having}.
     */
    static String message(String log, String start, String... having) {
        for (String entry : log.replace("\r\n", "\n").split("(?m)^-{20,} .*$")) {
            int blank = entry.indexOf("\n\n");
            String msg = blank < 0 ? "" : entry.substring(blank + 2).stripLeading();
            if (msg.startsWith(start) && java.util.Arrays.stream(having).allMatch(msg::contains)) {
                return msg;
            }
        }
        throw new AssertionError("no '" + start + "' in:\n" + log);
    }

    static String header(String message, String name) {
        Matcher m = Pattern.compile("(?mi)^" + Pattern.quote(name) + ":\\s*(.*)$").matcher(message);
        if (!m.find()) {
            throw new AssertionError("no " + name + " in:\n" + message);
        }
        return m.group(1).trim();
    }
}
