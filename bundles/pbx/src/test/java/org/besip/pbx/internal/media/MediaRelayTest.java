package org.besip.pbx.internal.media;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import org.besip.pbx.internal.proxy.Proxy;
import org.besip.pbx.internal.registrar.Binding;
import org.besip.pbx.internal.registrar.LocationService;
import org.besip.pbx.internal.sip.SipMessage;
import org.besip.pbx.internal.sip.SipParser;
import org.junit.jupiter.api.Test;

/**
 * The relay over real UDP sockets on loopback: audio both ways, symmetric latching for a phone
 * behind NAT, strangers dropped, the media timeout, ports given back; and the proxy pointing a
 * call's SDP at it.
 */
class MediaRelayTest {

    static final InetAddress LO = InetAddress.getLoopbackAddress();

    static MediaRelay relay(long timeoutMs, List<String> timedOut) throws Exception {
        int base = 20000 + (int) (ProcessHandle.current().pid() % 400) * 40; // a range of its own per test JVM
        return new MediaRelay(new MediaRelay.Settings(LO, base, base + 39, timeoutMs), timedOut::add);
    }

    static byte[] rtp(int seq) {
        byte[] b = new byte[172];
        b[0] = (byte) 0x80;
        b[2] = (byte) (seq >> 8);
        b[3] = (byte) seq;
        return b;
    }

    /** What {@code s} receives within 2 s (its payload and where from), or null. */
    static DatagramPacket receive(DatagramSocket s) throws Exception {
        s.setSoTimeout(2000);
        DatagramPacket p = new DatagramPacket(new byte[2048], 2048);
        try {
            s.receive(p);
            return p;
        } catch (SocketTimeoutException e) {
            return null;
        }
    }

    static void send(DatagramSocket s, byte[] b, int port) throws Exception {
        s.send(new DatagramPacket(b, b.length, new InetSocketAddress(LO, port)));
    }

    @Test
    void audioGoesBothWaysAndEachPhoneHearsTheBoxFromWhereItSends() throws Exception {
        List<String> timedOut = new CopyOnWriteArrayList<>();
        try (MediaRelay r = relay(60_000, timedOut); DatagramSocket a = new DatagramSocket(0, LO); DatagramSocket b = new DatagramSocket(0, LO)) {
            MediaRelay.Session s = r.open("call-1");
            assertEquals(s.caller().port() % 2, 0, "RTP on an even port");
            s.caller().remote(new InetSocketAddress(LO, a.getLocalPort()));
            s.callee().remote(new InetSocketAddress(LO, b.getLocalPort()));
            send(a, rtp(1), s.caller().port());
            DatagramPacket atB = receive(b);
            assertNotNull(atB, "the caller's packet reached the callee");
            assertArrayEquals(rtp(1), java.util.Arrays.copyOf(atB.getData(), atB.getLength()));
            assertEquals(s.callee().port(), atB.getPort(), "from the callee's leg: where the callee sends");
            send(b, rtp(2), s.callee().port());
            DatagramPacket atA = receive(a);
            assertNotNull(atA);
            assertEquals(s.caller().port(), atA.getPort());
            assertEquals(1, s.caller().received().packets());
        }
    }

    /** Sockets kept by name across relays, as core's Listeners keeps them across versions of the module. */
    static final class KeptPorts implements MediaRelay.Ports {
        final java.util.Map<InetSocketAddress, java.nio.channels.DatagramChannel> open = new java.util.concurrent.ConcurrentHashMap<>();

        @Override
        public java.nio.channels.DatagramChannel bind(InetSocketAddress at) throws java.io.IOException {
            java.nio.channels.DatagramChannel c = open.get(at);
            if (c == null || !c.isOpen()) {
                c = java.nio.channels.DatagramChannel.open().bind(at);
                open.put(at, c);
            }
            return c;
        }

        @Override
        public void release(java.nio.channels.DatagramChannel c, InetSocketAddress at) {
            java.nio.channels.DatagramChannel held = open.remove(at);
            if (held != null) {
                try {
                    held.close();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        }
    }

    @Test
    void aSessionHandedToTheNextRelayKeepsItsSocketsItsLatchAndThePacketsSentInBetween() throws Exception {
        int base = 21000 + (int) (ProcessHandle.current().pid() % 400) * 40;
        MediaRelay.Settings settings = new MediaRelay.Settings(LO, base, base + 39, 60_000);
        KeptPorts ports = new KeptPorts();
        List<String> timedOut = new CopyOnWriteArrayList<>();
        try (DatagramSocket a = new DatagramSocket(0, LO); DatagramSocket b = new DatagramSocket(0, LO)) {
            MediaRelay first = new MediaRelay(settings, ports, timedOut::add);
            MediaRelay.Session s = first.open("call-h");
            s.caller().remote(new InetSocketAddress(LO, a.getLocalPort()));
            s.callee().remote(new InetSocketAddress(LO, b.getLocalPort()));
            send(a, rtp(1), s.caller().port());
            assertNotNull(receive(b), "relayed before the swap");
            List<MediaRelay.SessionState> handed = first.handOver();
            first.close(); // the old version stops: the handed session's sockets stay open
            assertEquals(1, handed.size());
            assertEquals(4, ports.open.size(), "its four sockets stay with the keeper");
            send(a, rtp(2), s.caller().port()); // while no relay runs: waits in the socket

            try (MediaRelay next = new MediaRelay(settings, ports, timedOut::add)) {
                assertEquals(1, next.takeOver(handed));
                DatagramPacket late = receive(b);
                assertNotNull(late, "the packet sent while no relay ran reaches the callee");
                assertEquals(2, late.getData()[3], "the same packet");
                assertEquals(s.callee().port(), late.getPort(), "from the same port as before the swap");
                send(b, rtp(3), s.callee().port());
                DatagramPacket back = receive(a);
                assertNotNull(back, "and back to the caller, latched where it sent from");
                assertEquals(s.caller().port(), back.getPort());
                MediaRelay.Session taken = next.get("call-h");
                assertEquals(2, taken.caller().received().packets(), "the counters go on from the handed ones");
                assertEquals(2, taken.caller().stats().packets(), "one stream measured across the swap: the CDR's MOS is the whole call's");
                assertEquals(0, taken.caller().stats().lost());
                assertEquals(s.caller().port(), taken.caller().port());
                assertEquals(next.settings().capacity() - 1, next.freePairs() / 2, "its two port pairs are not free in the next relay");
                next.release("call-h");
                assertEquals(0, ports.open.size(), "released for good: every socket closed");
            }
            assertEquals(List.of(), timedOut);
        }
    }

    /** Two sockets on ports p and p + 1, as a phone's RTP and RTCP. */
    static DatagramSocket[] pair() throws Exception {
        for (int i = 0; i < 50; i++) {
            DatagramSocket rtp = new DatagramSocket(0, LO);
            try {
                return new DatagramSocket[] { rtp, new DatagramSocket(rtp.getLocalPort() + 1, LO) };
            } catch (java.net.BindException e) {
                rtp.close();
            }
        }
        throw new AssertionError("no two adjacent free ports");
    }

    @Test
    void rtcpGoesToTheNextPortBesideRtp() throws Exception {
        DatagramSocket[] b = pair();
        try (MediaRelay r = relay(60_000, new CopyOnWriteArrayList<>()); DatagramSocket a = new DatagramSocket(0, LO)) {
            MediaRelay.Session s = r.open("call-rtcp");
            s.caller().remote(new InetSocketAddress(LO, a.getLocalPort()));
            s.callee().remote(new InetSocketAddress(LO, b[0].getLocalPort()));
            send(a, "rtcp-report".getBytes(StandardCharsets.US_ASCII), s.caller().port() + 1);
            DatagramPacket p = receive(b[1]);
            assertNotNull(p, "the caller's RTCP reached the callee's RTCP port");
            assertEquals(s.callee().port() + 1, p.getPort(), "from the callee leg's RTCP port");
            assertEquals(0, s.caller().received().packets(), "RTCP is not counted as RTP");
        } finally {
            b[0].close();
            b[1].close();
        }
    }

    @Test
    void aPhoneBehindNatIsLatchedFromItsSignallingSourceAndAStrangerLosesTheLatchToIt() throws Exception {
        List<String> timedOut = new CopyOnWriteArrayList<>();
        try (MediaRelay r = relay(60_000, timedOut); DatagramSocket a = new DatagramSocket(0, LO);
                DatagramSocket natted = new DatagramSocket(0, LO); DatagramSocket stranger = new DatagramSocket(new InetSocketAddress("127.0.0.77", 0))) {
            MediaRelay.Session s = r.open("call-2");
            s.caller().remote(new InetSocketAddress(LO, a.getLocalPort()));
            s.caller().signalling(LO);
            s.callee().remote(new InetSocketAddress("10.9.9.9", 4000)); // its private address: unreachable
            s.callee().signalling(LO); // its REGISTER came from the NAT's public address (here loopback)
            send(stranger, rtp(9), s.callee().port()); // first: it latches, as a phone sending from another address would
            assertEquals(9, receive(a).getData()[3]);
            send(natted, rtp(1), s.callee().port()); // from the phone's signalling source: it takes the latch over
            assertEquals(1, receive(a).getData()[3]);
            assertEquals(new InetSocketAddress(LO, natted.getLocalPort()), s.callee().latched());
            send(a, rtp(5), s.caller().port());
            DatagramPacket atNat = receive(natted);
            assertNotNull(atNat, "the caller's audio goes to where the NAT'd phone really is, not to its SDP address");
            send(stranger, rtp(10), s.callee().port());
            send(natted, rtp(2), s.callee().port());
            assertEquals(2, receive(a).getData()[3], "after latching, packets from anywhere else are dropped");
            assertEquals(1, s.callee().received().dropped());
        }
    }

    @Test
    void afterANewSdpThePhoneAtItsExactAddressTakesTheLatchFromAnotherPortOfTheSameHost() throws Exception {
        List<String> timedOut = new CopyOnWriteArrayList<>();
        try (MediaRelay r = relay(60_000, timedOut); DatagramSocket a = new DatagramSocket(0, LO); DatagramSocket leaving = new DatagramSocket(0, LO);
                DatagramSocket third = new DatagramSocket(0, LO)) {
            MediaRelay.Session s = r.open("call-t");
            s.caller().remote(new InetSocketAddress(LO, a.getLocalPort()));
            s.callee().remote(new InetSocketAddress(LO, leaving.getLocalPort()));
            send(leaving, rtp(1), s.callee().port());
            assertEquals(1, receive(a).getData()[3]);
            s.callee().remote(new InetSocketAddress(LO, third.getLocalPort())); // a transfer: the third phone, on the same host
            send(leaving, rtp(2), s.callee().port()); // the phone that left sends one more: same host, so it latches
            assertEquals(2, receive(a).getData()[3]);
            send(third, rtp(3), s.callee().port()); // the phone the SDP names, at its very port, takes the latch over
            assertEquals(3, receive(a).getData()[3], "the third phone is heard");
            assertEquals(new InetSocketAddress(LO, third.getLocalPort()), s.callee().latched());
            send(leaving, rtp(4), s.callee().port());
            send(third, rtp(5), s.callee().port());
            assertEquals(5, receive(a).getData()[3], "the one that left is dropped from now on");
            assertEquals(1, s.callee().received().dropped());
        }
    }

    @Test
    void afterATransferThePhoneThatLeftCannotLatchBeforeTheNewOneFromAnUnexpectedSource() throws Exception {
        // as on a host with several addresses: each phone's SDP names its own address, the packets
        // leave from the host's first one, so neither phone is where it was expected
        List<String> timedOut = new CopyOnWriteArrayList<>();
        try (MediaRelay r = relay(60_000, timedOut); DatagramSocket a = new DatagramSocket(0, LO);
                DatagramSocket leaving = new DatagramSocket(new InetSocketAddress("127.0.0.2", 0));
                DatagramSocket third = new DatagramSocket(new InetSocketAddress("127.0.0.2", 0))) {
            MediaRelay.Session s = r.open("call-u");
            s.caller().remote(new InetSocketAddress(LO, a.getLocalPort()));
            s.callee().remote(new InetSocketAddress("127.0.0.3", leaving.getLocalPort()));
            s.callee().signalling(InetAddress.getByName("127.0.0.3"));
            send(leaving, rtp(1), s.callee().port());
            assertEquals(1, receive(a).getData()[3]);
            s.callee().remote(new InetSocketAddress("127.0.0.4", third.getLocalPort())); // the transfer target answered
            send(leaving, rtp(2), s.callee().port()); // a trailing packet of the phone that left: dropped, no latch
            send(third, rtp(3), s.callee().port());
            assertEquals(3, receive(a).getData()[3], "the third phone latches and is heard, not the one that left");
            assertEquals(new InetSocketAddress("127.0.0.2", third.getLocalPort()), s.callee().latched());
            send(leaving, rtp(4), s.callee().port());
            send(third, rtp(5), s.callee().port());
            assertEquals(5, receive(a).getData()[3]);
            assertEquals(2, s.callee().received().dropped());
        }
    }

    @Test
    void aPhoneThatChangedItsSdpButSendsFromWhereItDidLatchesAgainAfterASecond() throws Exception {
        List<String> timedOut = new CopyOnWriteArrayList<>();
        try (MediaRelay r = relay(60_000, timedOut); DatagramSocket a = new DatagramSocket(0, LO);
                DatagramSocket phone = new DatagramSocket(new InetSocketAddress("127.0.0.2", 0))) {
            MediaRelay.Session s = r.open("call-v");
            s.caller().remote(new InetSocketAddress(LO, a.getLocalPort()));
            s.callee().remote(new InetSocketAddress("127.0.0.3", 4000));
            send(phone, rtp(1), s.callee().port());
            assertEquals(1, receive(a).getData()[3]);
            s.callee().remote(new InetSocketAddress("127.0.0.3", 4002)); // a re-INVITE with a new port; its packets come as before
            for (int i = 0; i < MediaRelay.LEFT_PATIENCE; i++) {
                send(phone, rtp(10), s.callee().port());
            }
            send(phone, rtp(11), s.callee().port());
            DatagramPacket heard = receive(a);
            assertNotNull(heard, "after about a second with nobody else sending, it is the same phone: latched again");
            assertEquals(11, heard.getData()[3]);
            assertEquals(MediaRelay.LEFT_PATIENCE, s.callee().received().dropped());
        }
    }

    @Test
    void anAnsweredCallWithoutPacketsTimesOutAndEveryPortGoesBack() throws Exception {
        List<String> timedOut = new CopyOnWriteArrayList<>();
        try (MediaRelay r = relay(1000, timedOut)) {
            int pairs = r.freePairs();
            assertEquals(10, r.settings().capacity(), "40 ports: 10 calls");
            for (int i = 0; i < 10; i++) {
                assertNotNull(r.open("c" + i));
            }
            assertNull(r.open("c10"), "bounded: the range is used up");
            for (int i = 1; i < 10; i++) {
                r.release("c" + i);
            }
            r.get("c0").answered();
            long deadline = System.currentTimeMillis() + 10_000;
            while (timedOut.isEmpty() && System.currentTimeMillis() < deadline) {
                Thread.sleep(50);
            }
            assertEquals(List.of("c0"), timedOut, "no packet for the timeout after the answer: the call is ended");
            while ((r.size() > 0 || r.freePairs() < pairs) && System.currentTimeMillis() < deadline) {
                Thread.sleep(20); // the relay thread removes the session, then closes its sockets, then gives its ports back
            }
            assertEquals(0, r.size());
            assertEquals(pairs, r.freePairs(), "no port leaked");
            for (int i = 0; i < 300; i++) {
                assertNotNull(r.open("again" + i), "ports come back: open " + i);
                r.release("again" + i);
            }
            assertEquals(pairs, r.freePairs());
        }
    }

    /** An RTP packet of PCMU (payload type 0), 20 ms each: sequence and timestamp as a phone sends them. */
    static byte[] pcmu(int seq) {
        byte[] b = rtp(seq);
        long ts = seq * 160L;
        b[4] = (byte) (ts >> 24);
        b[5] = (byte) (ts >> 16);
        b[6] = (byte) (ts >> 8);
        b[7] = (byte) ts;
        b[8] = 0x12; // SSRC 0x12345678
        b[9] = 0x34;
        b[10] = 0x56;
        b[11] = 0x78;
        return b;
    }

    @Test
    void eachDirectionIsScoredWithTheSharedEModel() throws Exception {
        try (MediaRelay r = relay(60_000, new CopyOnWriteArrayList<>()); DatagramSocket a = new DatagramSocket(0, LO);
                DatagramSocket b = new DatagramSocket(0, LO)) {
            MediaAnchor anchor = new MediaAnchor(r, "127.0.0.1", MediaAnchor.Policy.ALWAYS);
            MediaRelay.Session s = r.open("scored");
            s.caller().remote(new InetSocketAddress(LO, a.getLocalPort()));
            s.callee().remote(new InetSocketAddress(LO, b.getLocalPort()));
            // 200 packets from the caller, seq 10, 30, ..., 190 lost on the way: 5 % loss, each loss alone
            int sent = 0;
            for (int seq = 0; seq < 200; seq++) {
                if (seq % 20 != 10) {
                    send(a, pcmu(seq), s.caller().port());
                    sent++;
                }
            }
            b.setSoTimeout(2000);
            for (int i = 0; i < sent; i++) {
                assertNotNull(receive(b), "packet " + i + " of " + sent + " relayed");
            }
            MediaAnchor.Quality q = anchor.quality("scored");
            assertEquals(5.0, q.lossCaller(), 1e-9, "RFC 3550: 10 of 200 expected");
            // the BESIP E-model by hand (as bundles/monitoring/src/test/resources/emodel/emodel_reference.py states it):
            // BurstR = 1 / (p + q), p = 10/189, q = 1 -> 0.94975; Ie-eff = 95 * 5 / (5 / BurstR + 25.1) = 15.6432 (G.711 with PLC);
            // Id(20 ms) = 0.534; R = 93.3552 - 0.534 - 15.6432 = 77.178; MOS = 3.9130
            assertEquals(3.9130, q.mosCaller(), 0.0005);
            assertNull(q.mosCallee(), "nothing came from the callee: no score");
        }
    }

    // ---- the proxy points the call's SDP at the relay ----

    static SipMessage parse(byte[] b) {
        try {
            return SipParser.parse(b, 0, b.length);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** A proxy with bob registered at 127.0.0.3:5080, anyone allowed to call him, the relay's policy nat-only; what it sends goes to {@code sent}. */
    static Proxy proxyToBob(MediaRelay r, List<SipMessage> sent) {
        LocationService location = new LocationService();
        location.put(new Binding("bob", "sip:bob@127.0.0.3:5080", System.currentTimeMillis() + 60_000, "c1", 1, "phone", "127.0.0.3:5080"),
                System.currentTimeMillis());
        Proxy proxy = new Proxy(location, Set.of("alice", "bob")::contains, "127.0.0.1", 5060, (d, to) -> sent.add(parse(d)));
        proxy.policy(new Proxy.Policy(Map.of(), Map.of(), Map.of(), true));
        proxy.media(new MediaAnchor(r, "127.0.0.1", MediaAnchor.Policy.NAT_ONLY));
        return proxy;
    }

    @Test
    void aCallThroughTheProxyIsRelayedWhenTheCallerIsBehindNat() throws Exception {
        List<String> timedOut = new CopyOnWriteArrayList<>();
        try (MediaRelay r = relay(60_000, timedOut); DatagramSocket alice = new DatagramSocket(0, LO); DatagramSocket bob = new DatagramSocket(0, LO)) {
            List<SipMessage> sent = new CopyOnWriteArrayList<>();
            Proxy proxy = proxyToBob(r, sent);
            String sdp = "v=0\r\no=a 1 1 IN IP4 192.168.1.20\r\ns=-\r\nc=IN IP4 192.168.1.20\r\nt=0 0\r\nm=audio 7078 RTP/AVP 0\r\n";
            String invite = "INVITE sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.168.1.20:5070;branch=z9hG4bKm1;rport\r\n"
                    + "Max-Forwards: 70\r\nFrom: <sip:alice@box>;tag=a1\r\nTo: <sip:bob@box>\r\nCall-ID: relayed-1\r\nCSeq: 1 INVITE\r\n"
                    + "Contact: <sip:alice@192.168.1.20:5070>\r\nContent-Type: application/sdp\r\nContent-Length: " + sdp.length() + "\r\n\r\n" + sdp;
            byte[] in = invite.getBytes(StandardCharsets.UTF_8);
            InetSocketAddress aliceSignalling = new InetSocketAddress(LO, 5070); // the NAT's public side: not her SDP address
            assertEquals(100, proxy.request(parse(in), aliceSignalling, System.currentTimeMillis()).status());
            SipMessage out = sent.stream().filter(m -> "INVITE".equals(m.method())).findFirst().orElseThrow();
            InetSocketAddress toBoxForBob = SdpRewriter.audio(out.body());
            assertEquals(LO, toBoxForBob.getAddress(), "bob is told to send to the box");
            MediaRelay.Session s = r.get("relayed-1");
            assertEquals(s.callee().port(), toBoxForBob.getPort());

            String answer = "v=0\r\no=b 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio " + bob.getLocalPort()
                    + " RTP/AVP 0\r\n";
            SipMessage ok = out.answer(200, "OK", "b1").withBody(answer.getBytes(StandardCharsets.UTF_8));
            ok.headers().add(new SipMessage.Header("Content-Type", "application/sdp"));
            proxy.response(parse(ok.toBytes()));
            SipMessage up = sent.stream().filter(m -> !m.isRequest() && m.status() == 200).findFirst().orElseThrow();
            assertEquals(new InetSocketAddress(LO, s.caller().port()), SdpRewriter.audio(up.body()), "alice is told to send to the box");
            assertTrue(new String(up.body(), StandardCharsets.UTF_8).indexOf(String.valueOf(bob.getLocalPort())) < 0, "bob's port never reaches alice");

            // alice's audio comes from her NAT's public address, not 192.168.1.20: latched from her signalling source
            send(alice, rtp(3), s.caller().port());
            assertNotNull(receive(bob), "alice's audio reached bob through the relay");
            send(bob, rtp(4), s.callee().port());
            DatagramPacket back = receive(alice);
            assertNotNull(back, "bob's audio reached alice where she really is");
            assertEquals(s.caller().port(), back.getPort());
        }
    }

    @Test
    void aLateOfferIsRelayedFromItsTwoHundredAndTheAnswerInTheAck() throws Exception {
        try (MediaRelay r = relay(60_000, new CopyOnWriteArrayList<>()); DatagramSocket alice = new DatagramSocket(0, LO);
                DatagramSocket bob = new DatagramSocket(0, LO)) {
            List<SipMessage> sent = new CopyOnWriteArrayList<>();
            Proxy proxy = proxyToBob(r, sent);
            // alice is behind a NAT (her Contact is private) and sends no SDP in her INVITE
            String invite = "INVITE sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.168.1.20:5070;branch=z9hG4bKl1;rport\r\n"
                    + "Max-Forwards: 70\r\nFrom: <sip:alice@box>;tag=a1\r\nTo: <sip:bob@box>\r\nCall-ID: late-1\r\nCSeq: 1 INVITE\r\n"
                    + "Contact: <sip:alice@192.168.1.20:5070>\r\nContent-Length: 0\r\n\r\n";
            InetSocketAddress aliceSignalling = new InetSocketAddress(LO, 5070);
            proxy.request(parse(invite.getBytes(StandardCharsets.UTF_8)), aliceSignalling, System.currentTimeMillis());
            SipMessage out = sent.stream().filter(m -> "INVITE".equals(m.method())).findFirst().orElseThrow();
            assertNull(r.get("late-1"), "no session before the offer");

            String offer = "v=0\r\no=b 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio " + bob.getLocalPort()
                    + " RTP/AVP 0\r\n";
            SipMessage ok = out.answer(200, "OK", "b1").withBody(offer.getBytes(StandardCharsets.UTF_8));
            ok.headers().add(new SipMessage.Header("Record-Route", out.first("Record-Route")));
            ok.headers().add(new SipMessage.Header("Contact", "<sip:bob@127.0.0.3:5080>"));
            proxy.response(parse(ok.toBytes()));
            MediaRelay.Session s = r.get("late-1");
            assertNotNull(s, "the 200's offer opened the session");
            SipMessage up = sent.stream().filter(m -> !m.isRequest() && m.status() == 200).findFirst().orElseThrow();
            assertEquals(new InetSocketAddress(LO, s.caller().port()), SdpRewriter.audio(up.body()), "alice gets the offer pointed at her leg");

            String answer = "v=0\r\no=a 1 1 IN IP4 192.168.1.20\r\ns=-\r\nc=IN IP4 192.168.1.20\r\nt=0 0\r\nm=audio 7078 RTP/AVP 0\r\n";
            String ack = "ACK sip:bob@127.0.0.3:5080 SIP/2.0\r\nVia: SIP/2.0/UDP 192.168.1.20:5070;branch=z9hG4bKl2;rport\r\n"
                    + "Route: " + out.first("Record-Route") + "\r\nMax-Forwards: 70\r\nFrom: <sip:alice@box>;tag=a1\r\n"
                    + "To: <sip:bob@box>;tag=b1\r\nCall-ID: late-1\r\nCSeq: 1 ACK\r\nContent-Type: application/sdp\r\nContent-Length: "
                    + answer.length() + "\r\n\r\n" + answer;
            proxy.request(parse(ack.getBytes(StandardCharsets.UTF_8)), aliceSignalling, System.currentTimeMillis());
            SipMessage fwdAck = sent.stream().filter(m -> "ACK".equals(m.method())).findFirst().orElseThrow();
            assertEquals(new InetSocketAddress(LO, s.callee().port()), SdpRewriter.audio(fwdAck.body()), "bob gets the answer pointed at his leg");

            send(alice, rtp(7), s.caller().port());
            assertNotNull(receive(bob), "alice's audio reached bob");
            send(bob, rtp(8), s.callee().port());
            assertNotNull(receive(alice), "bob's audio reached alice where she really is");
        }
    }

    @Test
    void aHeldPhoneHearsTheMusicInItsLawInsteadOfTheOtherSideUntilItIsResumed() throws Exception {
        List<String> timedOut = new CopyOnWriteArrayList<>();
        try (MediaRelay r = relay(60_000, timedOut); DatagramSocket a = new DatagramSocket(0, LO); DatagramSocket b = new DatagramSocket(0, LO)) {
            MediaRelay.Session s = r.open("call-moh");
            s.caller().remote(new InetSocketAddress(LO, a.getLocalPort()));
            s.callee().remote(new InetSocketAddress(LO, b.getLocalPort()));
            r.play(s.callee(), 8); // the caller holds: the callee, on PCMA, hears music
            byte[] music = G711.fromUlaw(MusicOnHold.shipped(), 8);
            int lastSeq = -1;
            for (int i = 0; i < 25; i++) { // half a second of music: 25 frames of 20 ms
                DatagramPacket p = receive(b);
                assertNotNull(p, "music frame " + i);
                byte[] d = java.util.Arrays.copyOf(p.getData(), p.getLength());
                assertEquals(12 + 160, d.length, "an RTP header and 20 ms of G.711");
                assertEquals(8, d[1] & 0x7F, "payload type 8, the callee's law");
                assertEquals(i == 0, (d[1] & 0x80) != 0, "the marker on the first frame only");
                int seq = ((d[2] & 0xFF) << 8) | (d[3] & 0xFF);
                if (lastSeq >= 0) {
                    assertEquals((lastSeq + 1) & 0xFFFF, seq);
                }
                lastSeq = seq;
                assertArrayEquals(java.util.Arrays.copyOfRange(music, i * 160, i * 160 + 160), java.util.Arrays.copyOfRange(d, 12, d.length),
                        "frame " + i + " of the music, in order");
                assertEquals(s.callee().port(), p.getPort(), "from the callee's leg");
            }
            send(a, rtp(77), s.caller().port()); // the holding caller's own audio does not reach the held callee
            for (int i = 0; i < 10; i++) {
                DatagramPacket p = receive(b);
                assertNotNull(p);
                assertTrue(p.getLength() != 172 || (p.getData()[1] & 0x7F) == 8, "only music while held");
            }
            r.stopPlaying(s.callee());
            // drain what was in flight, then the caller's packets go through again
            long deadline = System.currentTimeMillis() + 5000;
            boolean through = false;
            int seq = 100;
            while (!through && System.currentTimeMillis() < deadline) {
                send(a, rtp(seq++), s.caller().port());
                DatagramPacket p = receive(b);
                through = p != null && p.getLength() == 172 && (p.getData()[1] & 0x7F) == 0;
            }
            assertTrue(through, "resumed: the caller is heard again");
            assertTrue(!r.playing(s.callee()));
        }
    }

    static byte[] rtp(int seq, long ts, int ssrc) {
        byte[] b = rtp(seq);
        for (int i = 0; i < 4; i++) {
            b[4 + i] = (byte) (ts >> (24 - 8 * i));
            b[8 + i] = (byte) (ssrc >> (24 - 8 * i));
        }
        return b;
    }

    static long u32(byte[] d, int at) {
        return ((d[at] & 0xFFL) << 24) | ((d[at + 1] & 0xFFL) << 16) | ((d[at + 2] & 0xFFL) << 8) | (d[at + 3] & 0xFFL);
    }

    @Test
    void aPhoneGetsOneStreamAcrossTheMusicAndAnotherSenderItsSsrcSequenceAndTimestampsGoOn() throws Exception {
        try (MediaRelay r = relay(60_000, new CopyOnWriteArrayList<>()); DatagramSocket a = new DatagramSocket(0, LO);
                DatagramSocket b = new DatagramSocket(0, LO); DatagramSocket c = new DatagramSocket(0, LO)) {
            MediaRelay.Session s = r.open("call-ssrc");
            s.caller().remote(new InetSocketAddress(LO, a.getLocalPort()));
            s.callee().remote(new InetSocketAddress(LO, b.getLocalPort()));
            send(a, rtp(1000, 50_000, 0x11111111), s.caller().port());
            byte[] first = java.util.Arrays.copyOf(receive(b).getData(), 172);
            assertEquals(0x11111111L, u32(first, 8), "the first stream goes through as it is");
            assertEquals(50_000L, u32(first, 4));
            r.play(s.callee(), 0);
            byte[] music = null;
            for (int i = 0; i < 5; i++) {
                DatagramPacket p = receive(b);
                music = java.util.Arrays.copyOf(p.getData(), p.getLength());
            }
            assertEquals(0x11111111L, u32(music, 8), "the music continues the phone's stream: the same SSRC");
            int musicSeq = ((music[2] & 0xFF) << 8) | (music[3] & 0xFF);
            long musicTs = u32(music, 4);
            assertTrue(musicSeq > 1000 && musicSeq < 1100 && musicTs > 50_000, "after the last packet: seq " + musicSeq + ", ts " + musicTs);
            r.stopPlaying(s.callee());
            // another phone (a transfer) sends now, from a stream of its own: seq 7, ts 1000, another SSRC
            s.caller().remote(new InetSocketAddress(LO, c.getLocalPort()));
            long deadline = System.currentTimeMillis() + 5000;
            byte[] got = null;
            int seq = 7;
            while (got == null && System.currentTimeMillis() < deadline) {
                send(c, rtp(seq, 1000 + 160L * (seq - 7), 0x22222222), s.caller().port());
                seq++;
                DatagramPacket p = receive(b);
                if (p != null && p.getLength() == 172 && (p.getData()[1] & 0x7F) == 0 && p.getData()[12] == 0) {
                    byte[] d = java.util.Arrays.copyOf(p.getData(), 172);
                    if (u32(d, 4) != u32(music, 4) && (((d[2] & 0xFF) << 8) | (d[3] & 0xFF)) > musicSeq) {
                        got = d;
                    }
                }
            }
            assertNotNull(got, "the new sender is heard");
            assertEquals(0x11111111L, u32(got, 8), "still the phone's one stream");
            assertTrue(u32(got, 4) > musicTs, "its timestamps go on after the music's: " + u32(got, 4) + " > " + musicTs);
        }
    }

    @Test
    void aRecordedUsersCallIsRelayedWithoutANatAndRecordedBothWays(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        try (MediaRelay r = relay(60_000, new CopyOnWriteArrayList<>()); DatagramSocket alice = new DatagramSocket(0, LO);
                DatagramSocket bob = new DatagramSocket(0, LO);
                Recordings recordings = new Recordings(dir, Recordings.Retention.DEFAULT, (id, name, secs) -> { })) {
            List<SipMessage> sent = new CopyOnWriteArrayList<>();
            Proxy proxy = proxyToBob(r, sent);
            proxy.policy(new Proxy.Policy(Map.of(), Map.of(), Map.of(), true).recording(Set.of("bob"), Set.of()));
            MediaAnchor anchor = new MediaAnchor(r, "127.0.0.1", MediaAnchor.Policy.NAT_ONLY);
            anchor.recordings(recordings);
            proxy.media(anchor);
            String sdp = "v=0\r\no=a 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio " + alice.getLocalPort()
                    + " RTP/AVP 0\r\n";
            String invite = "INVITE sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKr1;rport\r\n"
                    + "Max-Forwards: 70\r\nFrom: <sip:alice@box>;tag=a1\r\nTo: <sip:bob@box>\r\nCall-ID: recorded-1\r\nCSeq: 1 INVITE\r\n"
                    + "Contact: <sip:alice@127.0.0.1:5070>\r\nContent-Type: application/sdp\r\nContent-Length: " + sdp.length() + "\r\n\r\n" + sdp;
            proxy.request(parse(invite.getBytes(StandardCharsets.UTF_8)), new InetSocketAddress(LO, 5070), System.currentTimeMillis());
            MediaRelay.Session s = r.get("recorded-1");
            assertNotNull(s, "no NAT, but bob's calls are recorded: the relay carries it");
            assertNotNull(anchor.recording("recorded-1"));
            assertTrue(Recordings.NAME.matcher(anchor.recording("recorded-1")).matches());
            s.callee().remote(new InetSocketAddress(LO, bob.getLocalPort()));
            for (int i = 0; i < 10; i++) {
                send(alice, pcmu(i), s.caller().port());
                assertNotNull(receive(bob));
                send(bob, pcmu(100 + i), s.callee().port());
                assertNotNull(receive(alice));
            }
            String name = anchor.recording("recorded-1");
            anchor.end("recorded-1");
            recordings.drain();
            byte[] wav = java.nio.file.Files.readAllBytes(dir.resolve(name));
            // the two sides spoke at once (ten packets each, sent back to back): mixed over the same 200 ms
            assertEquals(44 + 2 * 160 * 10, wav.length, "ten packets' worth of audio, both sides mixed into it");
            assertEquals("RIFF", new String(wav, 0, 4, StandardCharsets.US_ASCII));

            sent.clear(); // a call alice makes to nobody recorded, without a NAT: not relayed
            proxy.request(parse(invite.replace("recorded-1", "plain-1").replace("z9hG4bKr1", "z9hG4bKr2")
                    .replace("To: <sip:bob@box>", "To: <sip:bob@box>").getBytes(StandardCharsets.UTF_8)), new InetSocketAddress(LO, 5070),
                    System.currentTimeMillis());
            proxy.policy(new Proxy.Policy(Map.of(), Map.of(), Map.of(), true));
            proxy.request(parse(invite.replace("recorded-1", "plain-2").replace("z9hG4bKr1", "z9hG4bKr3").getBytes(StandardCharsets.UTF_8)),
                    new InetSocketAddress(LO, 5070), System.currentTimeMillis());
            assertNull(r.get("plain-2"), "nobody recorded, no NAT: the relay stays out of it");
        }
    }
}
