package org.besip.runtime.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The open-relay probes against the running box (PBX on by default, users configured over
 * NETCONF), sent from 127.0.0.66, which is not whitelisted: a pre-loaded Route to a foreign host,
 * a foreign Request-URI, an in-dialog request for a dialog that does not exist, a CANCEL for no
 * INVITE, an unauthenticated call to a registered user. Each is refused with the box's answer,
 * nothing reaches the foreign listener (127.0.0.9) or the user's phone, and each refusal reaches
 * the log with its source for the security module.
 */
class RelayProbeIT {

    @TempDir
    Path work;

    int n;

    private String request(String method, String uri, String extra, DatagramSocket from, String toTag) {
        n++;
        String local = from.getLocalAddress().getHostAddress() + ":" + from.getLocalPort();
        return method + " " + uri + " SIP/2.0\r\nVia: SIP/2.0/UDP " + local + ";branch=z9hG4bKprobe" + n + ";rport\r\nMax-Forwards: 70\r\n"
                + "From: <sip:mallory@evil.example>;tag=m" + n + "\r\nTo: <" + uri + ">" + (toTag == null ? "" : ";tag=" + toTag) + "\r\n"
                + "Call-ID: probe-" + n + "@evil.example\r\nCSeq: 1 " + method + "\r\nContact: <sip:mallory@" + local + ">\r\n" + extra
                + "Content-Length: 0\r\n\r\n";
    }

    /** Sends {@code text} to the box; the first line of its answer, or null when none comes within 2 s. */
    private static String send(DatagramSocket s, String text, int port) throws Exception {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        s.send(new DatagramPacket(b, b.length, new InetSocketAddress("127.0.0.1", port)));
        DatagramPacket in = new DatagramPacket(new byte[8192], 8192);
        long deadline = System.currentTimeMillis() + 2000;
        while (System.currentTimeMillis() < deadline) {
            try {
                s.receive(in);
            } catch (SocketTimeoutException e) {
                return null;
            }
            String answer = new String(in.getData(), 0, in.getLength(), StandardCharsets.UTF_8);
            if (!answer.startsWith("SIP/2.0 100")) {
                return answer.substring(0, answer.indexOf("\r\n"));
            }
        }
        return null;
    }

    /** Whatever reached {@code s} within {@code ms}, or null. */
    private static String heard(DatagramSocket s, int ms) throws Exception {
        s.setSoTimeout(ms);
        DatagramPacket in = new DatagramPacket(new byte[8192], 8192);
        try {
            s.receive(in);
            return new String(in.getData(), 0, in.getLength(), StandardCharsets.UTF_8);
        } catch (SocketTimeoutException e) {
            return null;
        }
    }

    @Test
    void everyRelayProbeFromAStrangerIsRefusedAndNothingReachesTheForeignHostOrThePhone() throws Exception {
        try (BesipProcess box = BesipProcess.boot(work.resolve("data"), BesipOptions.freePort());
                DatagramSocket mallory = new DatagramSocket(new InetSocketAddress("127.0.0.66", 0));
                DatagramSocket premium = new DatagramSocket(new InetSocketAddress("127.0.0.9", 0));
                DatagramSocket phone = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            NetconfIT.runOn(box, "configure_pbx_users", "2", "Sup3r-secret-pw");
            MonitoringIT.awaitLog(box, "SIP over UDP on /127.0.0.1:" + box.sipPort());
            mallory.setSoTimeout(2000);
            int port = box.sipPort();
            String foreign = "127.0.0.9:" + premium.getLocalPort();

            // user0 registers from the phone socket (digest), so a call to user0 would ring it
            registerPhone(phone, port);

            String routed = send(mallory, request("INVITE", "sip:user0@127.0.0.1:" + port, "Route: <sip:" + foreign + ";lr>\r\n", mallory,
                    null), port);
            assertEquals("SIP/2.0 403 Route Not Allowed", routed, "a pre-loaded Route to a foreign host");
            assertEquals("SIP/2.0 407 Proxy Authentication Required", send(mallory, request("INVITE", "sip:0900123456@" + foreign, "",
                    mallory, null), port), "a foreign Request-URI: prove you are a user first");
            assertEquals("SIP/2.0 481 Call/Transaction Does Not Exist", send(mallory, request("BYE", "sip:premium@" + foreign,
                    "Route: <sip:127.0.0.1:" + port + ";lr>\r\n", mallory, "forged"), port), "an in-dialog request for no dialog of the box");
            assertEquals("SIP/2.0 481 Call/Transaction Does Not Exist", send(mallory, request("CANCEL", "sip:premium@" + foreign, "",
                    mallory, null), port), "a CANCEL for no INVITE of the box");
            assertEquals("SIP/2.0 407 Proxy Authentication Required", send(mallory, request("INVITE", "sip:user0@127.0.0.1:" + port, "",
                    mallory, null), port), "ringing a registered user needs authentication");
            assertEquals("SIP/2.0 407 Proxy Authentication Required", send(mallory, request("MESSAGE", "sip:101@127.0.0.1:" + port, "",
                    mallory, null), port), "so does a MESSAGE to an extension");

            assertNull(heard(premium, 1000), "nothing reached the foreign host");
            assertNull(heard(phone, 200), "nothing reached user0's phone");
            // each refusal went to the security module as a soft fault (besip/pbx/auth/FAILED with the source): three so far
            // (the Route, the BYE, the CANCEL; a 407 for missing credentials is no fault); ten in 60 s block the prober
            // refusals four to ten: each is answered (nothing blocks before the tenth)
            for (int i = 4; i <= 10; i++) {
                assertEquals("SIP/2.0 481 Call/Transaction Does Not Exist", send(mallory, request("BYE", "sip:premium@" + foreign, "",
                        mallory, "forged"), port), "refusal " + i + " of 10 is still answered");
            }
            // the faults reach the security module asynchronously (the transport thread never waits on it) and the block is
            // laid in the kernel after that, so the test waits for the block rather than counting probes sent meanwhile
            MonitoringIT.awaitLog(box, "BLOCKED 127.0.0.66 for 600 s (soft faults: 10 SIP authentication failures in 60 s");
            assertNull(send(mallory, request("BYE", "sip:premium@" + foreign, "", mallory, "forged"), port),
                    "once blocked, the prober's packets are dropped: no answer");
            NetconfIT.runOn(box, "security_blocks", "127.0.0.66", "590", "600");
            assertNull(heard(premium, 200), "still nothing reached the foreign host");
        }
    }

    /** REGISTER as user0 from {@code phone}, answering the 401 (MD5, the box's default challenge). */
    private static void registerPhone(DatagramSocket phone, int port) throws Exception {
        phone.setSoTimeout(3000);
        String local = "127.0.0.1:" + phone.getLocalPort();
        String register = "REGISTER sip:127.0.0.1:" + port + " SIP/2.0\r\nVia: SIP/2.0/UDP " + local + ";branch=z9hG4bKreg%d;rport\r\n"
                + "Max-Forwards: 70\r\nFrom: <sip:user0@127.0.0.1>;tag=r1\r\nTo: <sip:user0@127.0.0.1>\r\nCall-ID: reg-probe\r\n"
                + "CSeq: %d REGISTER\r\nContact: <sip:user0@" + local + ">;expires=600\r\n%sContent-Length: 0\r\n\r\n";
        String challenge = exchange(phone, String.format(register, 1, 1, ""), port);
        assertTrue(challenge.startsWith("SIP/2.0 401"), challenge);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("WWW-Authenticate: (Digest [^\r\n]*)").matcher(challenge);
        assertTrue(m.find(), challenge);
        String auth = org.besip.pbx.internal.auth.DigestAuthenticator.answer(m.group(1), "user0", "Sup3r-secret-pw", "REGISTER",
                "sip:127.0.0.1:" + port, 1, "c1");
        String ok = exchange(phone, String.format(register, 2, 2, "Authorization: " + auth + "\r\n"), port);
        assertTrue(ok.startsWith("SIP/2.0 200"), ok);
    }

    private static String exchange(DatagramSocket s, String text, int port) throws Exception {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        s.send(new DatagramPacket(b, b.length, InetAddress.getByName("127.0.0.1"), port));
        DatagramPacket in = new DatagramPacket(new byte[8192], 8192);
        s.receive(in);
        return new String(in.getData(), 0, in.getLength(), StandardCharsets.UTF_8);
    }
}
