package org.besip.pbx.internal.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

import org.besip.pbx.internal.SipServer;
import org.besip.pbx.internal.auth.DigestAuthenticator;
import org.besip.pbx.internal.registrar.Binding;
import org.besip.pbx.internal.registrar.LocationService;
import org.besip.pbx.internal.registrar.Registrar;
import org.besip.pbx.internal.transport.UdpTransport;
import org.junit.jupiter.api.Test;

/**
 * The box registers with a provider that challenges (here besip's own registrar plays the
 * provider, over real UDP sockets on loopback).
 */
class TrunkRegistrationTest {

    static int freePort() throws Exception {
        try (DatagramSocket s = new DatagramSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Runs the box with one trunk account against a provider; returns the box's status once settled. */
    TrunkRegistration.Status register(String password, LocationService providerBindings, int boxPort) throws Exception {
        int providerPort = freePort();
        Registrar provider = new Registrar(new DigestAuthenticator("provider.example", 300_000, List.of("SHA-256", "MD5")),
                Map.of("acct42", new DigestAuthenticator.Secret("right", Map.of()))::get, providerBindings, "prov");
        AtomicReference<UdpTransport> box = new AtomicReference<>();
        Proxy proxy = new Proxy(new LocationService(), Set.<String>of()::contains, "127.0.0.1", boxPort, (d, to) -> box.get().send(d, to));
        TrunkRegistration reg = new TrunkRegistration(List.of(new TrunkRegistration.Account("provider",
                new InetSocketAddress("127.0.0.1", providerPort), "acct42", password, "provider.example", 600)), "127.0.0.1", boxPort,
                (d, to) -> box.get().send(d, to));
        proxy.registrations(reg);
        try (UdpTransport p = new UdpTransport(new InetSocketAddress("127.0.0.1", providerPort), List::of,
                new SipServer(provider, (s, w) -> { })::handle);
                UdpTransport b = new UdpTransport(new InetSocketAddress("127.0.0.1", boxPort), List::of,
                        new SipServer(provider, (s, w) -> { }, proxy)::handle)) {
            box.set(b);
            long deadline = System.currentTimeMillis() + 10_000;
            while (System.currentTimeMillis() < deadline && reg.status().get(0).state().equals("registering")) {
                Thread.sleep(50);
            }
            return reg.status().get(0);
        } finally {
            reg.close();
        }
    }

    @Test
    void theBoxAnswersTheProvidersChallengeAndIsRegisteredForWhatItGranted() throws Exception {
        LocationService bindings = new LocationService();
        int boxPort = freePort();
        TrunkRegistration.Status s = register("right", bindings, boxPort);
        assertEquals("registered", s.state(), s.toString());
        assertEquals("for 600 s", s.detail());
        List<Binding> b = bindings.lookup("acct42", System.currentTimeMillis());
        assertEquals(1, b.size());
        assertEquals("sip:acct42@127.0.0.1:" + boxPort, b.get(0).contact());
        assertEquals("besip", b.get(0).userAgent());
    }

    @Test
    void aWrongPasswordIsOneAttemptThenFailedWithTheProvidersAnswer() throws Exception {
        LocationService bindings = new LocationService();
        TrunkRegistration.Status s = register("wrong", bindings, freePort());
        assertEquals("failed", s.state());
        assertTrue(s.detail().startsWith("401"), s.detail());
        assertEquals(0, bindings.size());
    }

    @Test
    void aProviderThatNeverAnswersIsRetransmittedToThenFailed() throws Exception {
        List<String> sent = new java.util.concurrent.CopyOnWriteArrayList<>();
        TrunkRegistration reg = new TrunkRegistration(List.of(new TrunkRegistration.Account("dead",
                new InetSocketAddress("127.0.0.1", 9), "acct", "pw", "nowhere", 600)), "127.0.0.1", 5060, (d, to) -> sent.add(to.toString()));
        try {
            long t0 = System.currentTimeMillis() + 3_600_000; // far ahead of the timer thread's own ticks
            for (int i = 0; i <= TrunkRegistration.RETRANSMITS + 1; i++) {
                reg.tick(t0 + i * 1000L);
            }
            assertEquals("failed", reg.status().get(0).state());
            assertTrue(reg.status().get(0).detail().startsWith("no answer"), reg.status().get(0).detail());
            assertTrue(sent.size() >= TrunkRegistration.RETRANSMITS + 1, sent.toString());
        } finally {
            reg.close();
        }
    }

    @Test
    void aRegistrationTakenOverFromThePreviousVersionRefreshesWhenDueWithTheSameCallId() throws Exception {
        TrunkRegistration.Account account = new TrunkRegistration.Account("provider", new InetSocketAddress("127.0.0.1", 5999), "acct42",
                "right", "provider.example", 600);
        long now = System.currentTimeMillis();
        List<String> sent = new java.util.concurrent.CopyOnWriteArrayList<>();
        TrunkRegistration.Held held = new TrunkRegistration.Held(new TrunkRegistration.Account("provider",
                new InetSocketAddress("127.0.0.1", 5999), "acct42", null, "provider.example", 600), "kept@besip", 7, now + 600_000,
                now + 480_000);
        TrunkRegistration reg = new TrunkRegistration(List.of(account), "127.0.0.1", 5998,
                (d, to) -> sent.add(new String(d, java.nio.charset.StandardCharsets.UTF_8)), List.of(held));
        try {
            reg.tick(now + 1000);
            assertEquals(List.of(), sent, "registered still: no REGISTER at start");
            assertEquals("registered", reg.status().get(0).state());
            assertEquals(now + 600_000, reg.status().get(0).expiresAtMs());
            reg.tick(now + 480_000);
            assertEquals(1, sent.size(), "the refresh, when it was due");
            assertTrue(sent.get(0).contains("Call-ID: kept@besip") && sent.get(0).contains("CSeq: 8 REGISTER"), sent.get(0));
        } finally {
            reg.close();
        }
        TrunkRegistration other = new TrunkRegistration(List.of(new TrunkRegistration.Account("provider", new InetSocketAddress("127.0.0.1",
                5999), "acct43", "right", "provider.example", 600)), "127.0.0.1", 5998, (d, to) -> sent.add("x"), List.of(held));
        try {
            assertEquals("registering", other.status().get(0).state(), "another account registers anew");
        } finally {
            other.close();
        }
    }
}
