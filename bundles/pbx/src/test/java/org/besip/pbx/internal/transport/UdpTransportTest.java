package org.besip.pbx.internal.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.besip.core.api.traffic.TrafficInspector;
import org.besip.core.api.traffic.Transport;
import org.besip.core.api.traffic.Verdict;
import org.junit.jupiter.api.Test;

/** The security hook on UDP: every datagram is shown to the inspectors before anything parses it. */
class UdpTransportTest {

    record Seen(InetSocketAddress source, Transport transport, String text) {
    }

    static String exchange(DatagramSocket s, int port, String text) throws Exception {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        s.send(new DatagramPacket(b, b.length, InetAddress.getByName("127.0.0.1"), port));
        DatagramPacket in = new DatagramPacket(new byte[2048], 2048);
        s.receive(in);
        return new String(in.getData(), 0, in.getLength(), StandardCharsets.UTF_8);
    }

    @Test
    void inspectorsSeeEveryDatagramFirstAndADropIsSilent() throws Exception {
        List<Seen> seen = new CopyOnWriteArrayList<>();
        List<String> handled = new CopyOnWriteArrayList<>();
        TrafficInspector faulty = (source, transport, bytes) -> {
            throw new IllegalStateException("a broken rule");
        };
        TrafficInspector blocker = (source, transport, bytes) -> {
            String text = StandardCharsets.UTF_8.decode(bytes).toString();
            seen.add(new Seen(source, transport, text));
            return text.contains("friendly-scanner") ? Verdict.DROP : Verdict.ACCEPT;
        };
        UdpTransport.Handler echo = (data, len, src) -> {
            String text = new String(data, 0, len, StandardCharsets.UTF_8);
            handled.add(text);
            return ("echo " + text).getBytes(StandardCharsets.UTF_8);
        };
        try (UdpTransport t = new UdpTransport(new InetSocketAddress("127.0.0.1", 0), () -> List.of(faulty, blocker), echo);
                DatagramSocket s = new DatagramSocket(0, InetAddress.getByName("127.0.0.1"))) {
            s.setSoTimeout(2000);
            assertEquals("echo OPTIONS one", exchange(s, t.port(), "OPTIONS one"), "a faulty inspector does not stop signalling");
            assertThrows(SocketTimeoutException.class, () -> exchange(s, t.port(), "OPTIONS User-Agent: friendly-scanner"),
                    "a dropped datagram gets no answer");
            assertEquals("echo OPTIONS two", exchange(s, t.port(), "OPTIONS two"));
            assertEquals(List.of("OPTIONS one", "OPTIONS two"), handled, "the dropped datagram never reached the handler");
            assertEquals(3, seen.size());
            for (Seen x : seen) {
                assertEquals(Transport.UDP, x.transport());
                assertEquals(new InetSocketAddress("127.0.0.1", s.getLocalPort()), x.source());
            }
        }
    }

    @Test
    void withoutInspectorsEverythingIsAccepted() throws Exception {
        try (UdpTransport t = new UdpTransport(new InetSocketAddress("127.0.0.1", 0), List::of, (d, l, src) -> new byte[] { 'k' });
                DatagramSocket s = new DatagramSocket(0, InetAddress.getByName("127.0.0.1"))) {
            s.setSoTimeout(2000);
            assertEquals("k", exchange(s, t.port(), "REGISTER"));
        }
    }
}
