package org.besip.pbx.internal.sip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

class SipParserTest {

    static SipMessage parse(String s) throws SipParseException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return SipParser.parse(b, 0, b.length);
    }

    static final String REGISTER = "REGISTER sip:127.0.0.1 SIP/2.0\r\n"
            + "Via: SIP/2.0/UDP 127.0.0.2:5061;branch=z9hG4bK-1;rport\r\n"
            + "Max-Forwards: 70\r\n"
            + "From: <sip:alice@127.0.0.1>;tag=a1\r\n"
            + "To: <sip:alice@127.0.0.1>\r\n"
            + "Call-ID: reg-1@127.0.0.2\r\n"
            + "CSeq: 1 REGISTER\r\n"
            + "Contact: <sip:alice@127.0.0.2:5061>;expires=3600\r\n"
            + "Content-Length: 0\r\n\r\n";

    @Test
    void aRegisterIsReadWithItsHeadersInOrder() throws Exception {
        SipMessage m = parse(REGISTER);
        assertTrue(m.isRequest());
        assertEquals("REGISTER", m.method());
        assertEquals("sip:127.0.0.1", m.uri());
        assertEquals("reg-1@127.0.0.2", m.first("call-id"), "header names are case-insensitive");
        assertEquals("1 REGISTER", m.first("CSeq"));
        assertEquals(0, m.body().length);
    }

    @Test
    void compactFormsFoldingAndCommaListsAreUnderstood() throws Exception {
        SipMessage m = parse("OPTIONS sip:127.0.0.1 SIP/2.0\r\n"
                + "v: SIP/2.0/UDP 127.0.0.2;branch=z9hG4bK-a, SIP/2.0/UDP 127.0.0.3;branch=z9hG4bK-b\r\n"
                + "i: opt-1\r\n"
                + "f: <sip:bob@example.com>;tag=x\r\n"
                + "t: <sip:127.0.0.1>\r\n"
                + "CSeq: 7\r\n   OPTIONS\r\n"
                + "m: \"Smith, Bob\" <sip:bob@127.0.0.2>, <sip:bob@127.0.0.3>\r\n"
                + "l: 0\r\n\r\n");
        assertEquals(List.of("SIP/2.0/UDP 127.0.0.2;branch=z9hG4bK-a", "SIP/2.0/UDP 127.0.0.3;branch=z9hG4bK-b"), m.all("Via"));
        assertEquals("opt-1", m.first("Call-ID"));
        assertEquals("7 OPTIONS", m.first("CSeq"), "a folded line is one value");
        assertEquals(List.of("\"Smith, Bob\" <sip:bob@127.0.0.2>", "<sip:bob@127.0.0.3>"), m.all("Contact"),
                "a comma inside quotes does not split");
    }

    @Test
    void authorizationIsNotSplitOnItsCommas() throws Exception {
        SipMessage m = parse(REGISTER.replace("Content-Length: 0", "Authorization: Digest username=\"alice\", realm=\"besip\", "
                + "nonce=\"abc\", uri=\"sip:127.0.0.1\", response=\"0123\"\r\nContent-Length: 0"));
        assertEquals(1, m.all("Authorization").size());
    }

    @Test
    void theBodyIsSizedByContentLength() throws Exception {
        String sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.2\r\n";
        SipMessage m = parse("INVITE sip:bob@127.0.0.1 SIP/2.0\r\nCall-ID: c\r\nContent-Type: application/sdp\r\n"
                + "Content-Length: " + sdp.length() + "\r\n\r\n" + sdp + "trailing garbage");
        assertArrayEquals(sdp.getBytes(StandardCharsets.UTF_8), m.body());
    }

    @Test
    void responsesAndRoundTrips() throws Exception {
        SipMessage req = parse(REGISTER);
        SipMessage resp = req.answer(401, "Unauthorized", "srv1");
        SipMessage back = SipParser.parse(resp.toBytes(), 0, resp.toBytes().length);
        assertEquals(401, back.status());
        assertEquals("Unauthorized", back.reason());
        assertEquals("<sip:alice@127.0.0.1>;tag=srv1", back.first("To"));
        assertEquals(req.first("Via"), back.first("Via"));
        assertEquals("0", back.first("Content-Length"));
    }

    @Test
    void whatIsNotSipIsRefusedWithAReasonNeverAnException() {
        for (String bad : new String[] { "", "hello\r\n\r\n", "REGISTER sip:x SIP/3.0\r\n\r\n", "REGISTER sip:x SIP/2.0\r\nVia x\r\n\r\n",
                "REGISTER sip:x SIP/2.0\r\nCall-ID: a\r\n", "REGISTER sip:x SIP/2.0\r\nContent-Length: 99\r\n\r\nshort",
                "REGISTER sip:x SIP/2.0\r\nContent-Length: -1\r\n\r\n", "SIP/2.0 99 Too Small\r\n\r\n",
                "REGISTER sip:x SIP/2.0\r\nBad Name: x\r\n\r\n" }) {
            assertThrows(SipParseException.class, () -> parse(bad), bad);
        }
        StringBuilder many = new StringBuilder("OPTIONS sip:x SIP/2.0\r\n");
        for (int i = 0; i < 300; i++) {
            many.append("X-H: ").append(i).append("\r\n");
        }
        assertThrows(SipParseException.class, () -> parse(many + "\r\n"));
    }

    @Test
    void methodsAreCaseSensitive() throws Exception {
        assertEquals("register", parse(REGISTER.replaceFirst("REGISTER", "register")).method());
    }
}
