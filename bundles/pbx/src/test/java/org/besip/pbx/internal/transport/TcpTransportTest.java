package org.besip.pbx.internal.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.besip.core.api.traffic.Transport;
import org.besip.core.api.traffic.TrafficInspector;
import org.besip.core.api.traffic.Verdict;
import org.junit.jupiter.api.Test;

class TcpTransportTest {

    static final String OPTIONS = "OPTIONS sip:besip SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bK1\r\n"
            + "Content-Length: 4\r\n\r\nbody";

    static ByteBuffer written(String s) {
        ByteBuffer b = ByteBuffer.allocate(200);
        b.put(s.getBytes(StandardCharsets.ISO_8859_1));
        return b;
    }

    @Test
    void aMessageEndsAfterItsContentLength() {
        ByteBuffer b = written(OPTIONS + "INVITE");
        assertEquals(OPTIONS.length(), TcpTransport.messageLength(b));
    }

    @Test
    void moreBytesAreNeededUntilTheBodyIsComplete() {
        assertEquals(0, TcpTransport.messageLength(written(OPTIONS.substring(0, OPTIONS.length() - 1))));
        assertEquals(0, TcpTransport.messageLength(written("OPTIONS sip:besip SIP/2.0\r\nVia: x")));
    }

    @Test
    void keepAlivesAreSkippedAndCompactFormIsRead() {
        ByteBuffer b = written("\r\n\r\nOPTIONS sip:b SIP/2.0\r\nl: 0\r\n\r\n");
        assertEquals("OPTIONS sip:b SIP/2.0\r\nl: 0\r\n\r\n".length(), TcpTransport.messageLength(b));
        assertEquals('O', b.get(0), "keep-alives removed from the buffer");
    }

    @Test
    void withoutAValidContentLengthAStreamCannotBeFramed() {
        assertEquals(-1, TcpTransport.messageLength(written("OPTIONS sip:b SIP/2.0\r\nVia: x\r\n\r\n")));
        assertEquals(-1, TcpTransport.messageLength(written("OPTIONS sip:b SIP/2.0\r\nContent-Length: -3\r\n\r\n")));
        assertEquals(-1, TcpTransport.messageLength(written("OPTIONS sip:b SIP/2.0\r\nContent-Length: 70000\r\n\r\n")));
    }

    @Test
    void messagesSplitAndBatchedOnOneConnectionAreEachAnsweredAndInspected() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        List<Transport> transports = new CopyOnWriteArrayList<>();
        TrafficInspector inspector = (source, transport, bytes) -> {
            transports.add(transport);
            String text = StandardCharsets.ISO_8859_1.decode(bytes).toString();
            return text.contains("drop-me") ? Verdict.DROP : Verdict.ACCEPT;
        };
        UdpTransport.Handler echo = (data, len, src) -> {
            String text = new String(data, 0, len, StandardCharsets.ISO_8859_1);
            seen.add(text);
            return ("ANSWER " + seen.size() + "\n").getBytes(StandardCharsets.ISO_8859_1);
        };
        try (TcpTransport t = new TcpTransport(new InetSocketAddress("127.0.0.1", 0), () -> List.of(inspector), echo);
                Socket s = new Socket("127.0.0.1", t.port())) {
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            byte[] one = OPTIONS.getBytes(StandardCharsets.ISO_8859_1);
            out.write(one, 0, 20); // split
            out.flush();
            awaitRead(t.port(), s.getLocalPort()); // the box has read the first part before the rest is sent
            out.write(one, 20, one.length - 20);
            String dropped = OPTIONS.replace("body", "drop-me").replace("Content-Length: 4", "Content-Length: 7");
            out.write((dropped + "\r\n\r\n" + OPTIONS).getBytes(StandardCharsets.ISO_8859_1)); // batched, with a keep-alive
            out.flush();
            InputStream in = s.getInputStream();
            byte[] want = "ANSWER 1\nANSWER 2\n".getBytes(StandardCharsets.ISO_8859_1);
            byte[] got = in.readNBytes(want.length);
            assertEquals("ANSWER 1\nANSWER 2\n", new String(got, StandardCharsets.ISO_8859_1));
            assertEquals(List.of(OPTIONS, OPTIONS), seen, "the dropped message never reached the handler");
            assertEquals(List.of(Transport.TCP, Transport.TCP, Transport.TCP), transports);
        }
    }

    /** Whether the box closed {@code s} (EOF or reset) within {@code ms}. */
    static boolean closedByTheBox(Socket s, int ms) throws Exception {
        s.setSoTimeout(ms);
        try {
            return s.getInputStream().read() < 0;
        } catch (java.net.SocketTimeoutException e) {
            return false;
        } catch (java.io.IOException e) {
            return true; // reset
        }
    }

    @Test
    void oneAddressGetsAtMost32Connections() throws Exception {
        try (TcpTransport t = new TcpTransport(new InetSocketAddress("127.0.0.1", 0), List::of, (d, l, s) -> null)) {
            List<Socket> mine = new java.util.ArrayList<>();
            try {
                for (int i = 0; i < TcpTransport.MAX_PER_SOURCE; i++) {
                    Socket s = new Socket();
                    s.bind(new InetSocketAddress("127.0.0.77", 0));
                    s.connect(new InetSocketAddress("127.0.0.1", t.port()));
                    mine.add(s);
                }
                Socket one = new Socket();
                one.bind(new InetSocketAddress("127.0.0.77", 0));
                one.connect(new InetSocketAddress("127.0.0.1", t.port()));
                mine.add(one);
                assertTrue(closedByTheBox(one, 5000), "the 33rd connection from one address is closed");
                assertTrue(!closedByTheBox(mine.get(0), 300), "the first 32 stay");
                try (Socket other = new Socket("127.0.0.1", t.port())) {
                    assertTrue(!closedByTheBox(other, 300), "another address still gets in");
                }
            } finally {
                for (Socket s : mine) {
                    s.close();
                }
            }
        }
    }

    @Test
    void keepAliveCrlfsAloneNeverKeepASilentConnectionOpen() throws Exception {
        try (TcpTransport t = new TcpTransport(new InetSocketAddress("127.0.0.1", 0), List::of, (d, l, s) -> null, 1000);
                Socket s = new Socket("127.0.0.1", t.port())) {
            long start = System.currentTimeMillis();
            boolean closed = false;
            while (!closed && System.currentTimeMillis() - start < 10_000) {
                try {
                    s.getOutputStream().write("\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                } catch (java.io.IOException e) {
                    closed = true;
                    break;
                }
                closed = closedByTheBox(s, 200);
            }
            assertTrue(closed, "closed although it kept sending CRLFs: it never brought a SIP message");
            assertTrue(System.currentTimeMillis() - start >= 1000, "not before its first-message time");
        }
    }

    @Test
    void anUnframeableStreamIsClosed() throws Exception {
        try (TcpTransport t = new TcpTransport(new InetSocketAddress("127.0.0.1", 0), List::of, (d, l, s) -> new byte[] { 'x' });
                Socket s = new Socket("127.0.0.1", t.port())) {
            s.setSoTimeout(5000);
            s.getOutputStream().write("OPTIONS sip:b SIP/2.0\r\nVia: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            assertEquals(-1, s.getInputStream().read(), "closed without an answer");
        }
    }

    @Test
    void aHeaderLargerThanTheLimitClosesTheConnectionWithoutGrowingForever() throws Exception {
        try (TcpTransport t = new TcpTransport(new InetSocketAddress("127.0.0.1", 0), List::of, (d, l, s) -> new byte[] { 'x' });
                Socket s = new Socket("127.0.0.1", t.port())) {
            s.setSoTimeout(5000);
            byte[] junk = new byte[8192];
            java.util.Arrays.fill(junk, (byte) 'a');
            OutputStream out = s.getOutputStream();
            boolean closed = false;
            try {
                for (int i = 0; i < 20; i++) { // 160 KiB > MAX_MESSAGE
                    out.write(junk);
                }
                closed = s.getInputStream().read() == -1;
            } catch (java.io.IOException reset) {
                closed = true;
            }
            assertTrue(closed);
        }
    }

    /**
     * Waits (at most 5 s) until the box's side of the connection from {@code clientPort} to
     * {@code serverPort} has nothing left unread, read from /proc/net/tcp (both address families; on loopback the client's
     * bytes are queued at the peer before its write returns): then the transport has taken what
     * arrived so far in a read of its own.
     */
    static void awaitRead(int serverPort, int clientPort) throws Exception {
        String local = String.format(":%04X", serverPort);
        String remote = String.format(":%04X", clientPort);
        long deadline = System.currentTimeMillis() + 5000;
        while (System.currentTimeMillis() < deadline) {
            for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) { // Java's sockets may be IPv6 ones (::ffff:127.0.0.1)
                for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of(table))) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length > 4 && f[1].endsWith(local) && f[2].endsWith(remote) && f[4].endsWith(":00000000")) {
                        return;
                    }
                }
            }
            Thread.sleep(5);
        }
        throw new AssertionError("the transport never read the first part of the split message");
    }
}
