package org.besip.pbx.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.besip.pbx.internal.auth.DigestAuthenticator;
import org.besip.pbx.internal.proxy.Proxy;
import org.besip.pbx.internal.registrar.Binding;
import org.besip.pbx.internal.registrar.LocationService;
import org.besip.pbx.internal.registrar.Registrar;
import org.besip.pbx.internal.sip.SipMessage;
import org.besip.pbx.internal.sip.SipParser;
import org.junit.jupiter.api.Test;

/** What the box answers before routing: the URI scheme (416) and extensions it is asked to support (420). */
class SipServerTest {

    static final InetSocketAddress PHONE = new InetSocketAddress("127.0.0.2", 5070);
    final List<byte[]> forwarded = new ArrayList<>();
    final SipServer server;

    SipServerTest() {
        LocationService location = new LocationService();
        long now = System.currentTimeMillis();
        location.put(new Binding("bob", "sip:bob@127.0.0.3:5080", now + 60_000, "c1", 1, "phone", "127.0.0.3:5080"), now);
        Registrar registrar = new Registrar(new DigestAuthenticator("besip", 300_000), Map.<String, DigestAuthenticator.Secret>of()::get,
                location, "besip");
        Proxy proxy = new Proxy(location, Set.of("bob")::contains, "127.0.0.1", 5060, (data, to) -> forwarded.add(data));
        proxy.policy(new Proxy.Policy(Map.of(), Map.of(), Map.of(), true)); // what the box answers itself, not who may call
        server = new SipServer(registrar, (s, w) -> { }, proxy);
    }

    SipMessage send(String method, String uri, String extra) {
        String text = method + " " + uri + " SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.2:5070;branch=z9hG4bK" + method + uri.length()
                + "\r\nMax-Forwards: 70\r\nFrom: <sip:alice@box>;tag=1\r\nTo: <sip:bob@box>\r\nCall-ID: c-" + method + uri.length()
                + "\r\nCSeq: 1 " + method + "\r\n" + extra + "Content-Length: 0\r\n\r\n";
        byte[] b = server.handle(text.getBytes(StandardCharsets.UTF_8), text.length(), PHONE);
        if (b == null) {
            return null;
        }
        try {
            return SipParser.parse(b, 0, b.length);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aUriSchemeTheBoxCannotRouteIs416() {
        assertEquals(416, send("INVITE", "tel:+420123456", "").status());
        assertEquals(416, send("MESSAGE", "mailto:bob@example.com", "").status());
        assertNull(send("ACK", "tel:+420123456", ""), "an ACK is never answered");
        assertEquals(List.of(), forwarded);
    }

    @Test
    void anExtensionTheProxyMustSupportIs420WithUnsupported() {
        SipMessage r = send("INVITE", "sip:bob@127.0.0.1", "Proxy-Require: foo, bar\r\n");
        assertEquals(420, r.status());
        assertEquals(List.of("foo", "bar"), r.all("Unsupported"));
        assertEquals(List.of(), forwarded);
        assertEquals(420, send("REGISTER", "sip:127.0.0.1", "Require: gruu\r\n").status(), "the box is the registrar: Require is for it");
        assertEquals(420, send("OPTIONS", "sip:127.0.0.1", "Require: 100rel\r\n").status());
        assertEquals(100, send("INVITE", "sip:bob@127.0.0.1", "Require: 100rel\r\n").status(),
                "Require is for the callee: the proxy passes it on (RFC 3261 §16.6)");
        assertEquals(1, forwarded.size());
    }

    @Test
    void presenceAndMessagesAreRoutedToUsersAnd405OnlyWhenTheBoxIsTheTarget() {
        for (String method : List.of("SUBSCRIBE", "NOTIFY", "PUBLISH", "MESSAGE")) {
            int before = forwarded.size();
            SipMessage r = send(method, "sip:bob@127.0.0.1", method.equals("SUBSCRIBE") ? "Event: dialog\r\n" : "");
            assertNull(r, method + " is relayed statefully, answered by bob's phone: " + (r == null ? "" : r.status()));
            assertEquals(before + 1, forwarded.size(), method + " reached bob's phone");
            assertTrue(new String(forwarded.get(before), StandardCharsets.UTF_8).startsWith(method + " sip:bob@127.0.0.3:5080 "));
        }
        SipMessage toBox = send("SUBSCRIBE", "sip:127.0.0.1", "Event: presence\r\n");
        assertEquals(405, toBox.status(), "the box is no presence server");
        assertEquals(List.of("OPTIONS", "REGISTER"), toBox.all("Allow"));
        assertEquals(405, send("PUBLISH", "sip:127.0.0.1", "").status());
        assertTrue(send("OPTIONS", "sip:127.0.0.1", "").all("Allow").containsAll(List.of("PRACK", "SUBSCRIBE", "NOTIFY", "PUBLISH")));
    }
}
