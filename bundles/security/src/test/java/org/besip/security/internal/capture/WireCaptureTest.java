package org.besip.security.internal.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ConnectException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.besip.security.internal.engine.Engine;
import org.besip.security.internal.rules.RuleParser;
import org.junit.jupiter.api.Test;

/**
 * The wire as the second inspection point, for real on the loopback interface (needs root, as the
 * test command runs): a REGISTER flood to a port no SIP stack listens on, and a SYN flood to a
 * closed TCP port, both raise their rules; the RSTs the kernel answers with do not look like SYNs.
 */
class WireCaptureTest {

    @Test
    void floodsThePbxNeverSeesAreCaughtOnTheWire() throws Exception {
        int udpPort;
        int tcpPort;
        try (DatagramSocket a = new DatagramSocket(0); java.net.ServerSocket b = new java.net.ServerSocket(0)) {
            udpPort = a.getLocalPort();
            tcpPort = b.getLocalPort();
        }
        RuleParser.Result rules = new RuleParser(Map.of()).parse(
                "alert udp any any -> any any (msg:\"REGISTER flood\"; content:\"REGISTER sip\"; detection_filter:track by_src, count 50, "
                        + "seconds 5; sid:1; fwsam:src, 10min;)\n"
                        + "alert tcp any any -> any any (msg:\"SYN flood\"; flags:S; detection_filter:track by_src, count 20, seconds 5; sid:2;)\n"
                        + "alert tcp any any -> any any (msg:\"RST\"; flags:R+; sid:3;)\n", "t");
        assertEquals(List.of(), rules.problems());
        Engine engine = new Engine(rules.rules());
        List<Engine.Event> events = new CopyOnWriteArrayList<>();
        try (WireCapture c = new WireCapture(List.of("lo"), "udp port " + udpPort + " or tcp port " + tcpPort,
                p -> events.addAll(engine.evaluate(p, System.currentTimeMillis()).events()))) {
            long before = awaitCapturing(c, udpPort);
            try (DatagramSocket s = new DatagramSocket(0, InetAddress.getByName("127.0.0.9"))) {
                byte[] b = "REGISTER sip:box SIP/2.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
                for (int i = 0; i < 60; i++) {
                    s.send(new DatagramPacket(b, b.length, InetAddress.getByName("127.0.0.1"), udpPort));
                }
            }
            for (int i = 0; i < 30; i++) {
                try (Socket s = new Socket()) {
                    s.bind(new InetSocketAddress("127.0.0.8", 0));
                    s.connect(new InetSocketAddress("127.0.0.1", tcpPort), 500);
                } catch (ConnectException e) {
                    // refused: the SYN went out, an RST came back
                }
            }
            long deadline = System.currentTimeMillis() + 5000;
            while (System.currentTimeMillis() < deadline && (count(events, 1) < 10 || count(events, 2) < 10)) {
                Thread.sleep(50);
            }
            assertTrue(c.packets() - before >= 120, "captured " + (c.packets() - before));
        }
        assertEquals(10, count(events, 1), "REGISTERs 51 to 60");
        assertTrue(events.stream().filter(e -> e.rule().sid() == 1).allMatch(e -> e.src().getHostAddress().equals("127.0.0.9")
                && e.blockTarget().getHostAddress().equals("127.0.0.9")));
        assertEquals(10, count(events, 2), "SYNs 21 to 30, not the RSTs");
        assertTrue(count(events, 3) >= 30, "the kernel's RSTs, seen as RST: " + count(events, 3));
    }

    /**
     * Sends a probe datagram (no rule matches it) every 20 ms until the capture has seen one, at most
     * 5 s; returns the packets counted so far.
     */
    private static long awaitCapturing(WireCapture c, int udpPort) throws Exception {
        byte[] probe = "probe".getBytes(StandardCharsets.US_ASCII);
        long deadline = System.currentTimeMillis() + 5000;
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getByName("127.0.0.7"))) {
            while (c.packets() == 0) {
                assertTrue(System.currentTimeMillis() < deadline, "libpcap saw nothing on lo within 5 s");
                s.send(new DatagramPacket(probe, probe.length, InetAddress.getByName("127.0.0.1"), udpPort));
                Thread.sleep(20);
            }
        }
        return c.packets();
    }

    private static long count(List<Engine.Event> events, long sid) {
        return events.stream().filter(e -> e.rule().sid() == sid).count();
    }
}
