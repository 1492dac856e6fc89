package org.besip.pbx.internal.sip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SipUriTest {

    @Test
    void aUriAndANameAddrAroundIt() {
        assertEquals(new SipUri(false, "Bob", "10.0.0.5", 5070, ";transport=tcp"), SipUri.parse("sip:Bob@10.0.0.5:5070;transport=tcp"));
        assertEquals(new SipUri(false, "bob", "box", -1), SipUri.parse("\"Bob\" <sip:bob@box>;tag=1"));
        assertEquals(new SipUri(true, "+420123", "2001:db8::1", 5061), SipUri.parse(" <SIPS:+420123@[2001:db8::1]:5061> "));
        assertEquals(new SipUri(false, null, "127.0.0.1", 5080, ";lr"), SipUri.parse("sip:127.0.0.1:5080;lr"));
        assertEquals("bob", SipUri.parse("sip:BOB@box").userLowerCase());
        assertEquals(5060, SipUri.parse("sip:bob@box").portOr(5060));
        assertEquals("box", SipUri.parse("sip:bob@box?subject=x").host());
    }

    @Test
    void whatIsNotASipUri() {
        assertNull(SipUri.parse(null));
        assertNull(SipUri.parse("tel:+420123"));
        assertNull(SipUri.parse("<http://x>"));
        assertNull(SipUri.parse("sip:"));
        assertNull(SipUri.parse("sip:bob@"));
        assertNull(SipUri.parse("sip:[2001:db8::1"), "an IPv6 reference without its bracket");
        assertNull(SipUri.parse("sip:host;x=a@b").user(), "what looks like a user is the host's parameters");
        assertEquals("host", SipUri.parse("sip:host;x=a@b").host());
        assertEquals(-1, SipUri.parse("sip:host:123456").port(), "not a port");
    }

    @Test
    void aViaWithItsParameters() {
        Via v = Via.parse("SIP/2.0/UDP 10.0.0.5:5070;branch=z9hG4bK1;rport;received=1.2.3.4");
        assertEquals(new Via("UDP", "10.0.0.5", 5070, ";branch=z9hG4bK1;rport;received=1.2.3.4"), v);
        assertEquals("z9hG4bK1", v.param("branch"));
        assertEquals("", v.param("rport"), "a flag");
        assertNull(v.param("maddr"));
        assertFalse(v.stream());
        Via t = Via.parse("sip/2.0/tcp [2001:db8::1];branch=x");
        assertEquals("TCP", t.transport());
        assertEquals("2001:db8::1", t.host());
        assertEquals(5060, t.portOr5060());
        assertTrue(t.stream());
        assertNull(Via.parse("SIP/2.0/UDP"));
        assertNull(Via.parse("SIP/2.0 UDP host"));
        assertNull(Via.parse("SIP/2.0/UDP host:x"));
        assertNull(Via.parse(null));
    }

    @Test
    void uriParametersAreTheUrisNotTheHeadersAfterIt() {
        SipUri u = SipUri.parse("\"Bob\" <sip:bob@10.0.0.5:5070;Transport=TCP;lr?subject=x>;tag=1;transport=udp");
        assertEquals("TCP", u.param("transport"), "inside the brackets, before the headers part; names in any case");
        assertEquals("", u.param("lr"));
        assertEquals(null, u.param("tag"), "the tag is the header's");
        assertEquals(null, SipUri.parse("sip:[2001:db8::1]").param("transport"));
        assertEquals("tcp", SipUri.parse("sip:[2001:db8::1];transport=tcp").param("transport"));
    }
}
