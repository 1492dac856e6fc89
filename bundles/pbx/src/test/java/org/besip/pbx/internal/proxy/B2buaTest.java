package org.besip.pbx.internal.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.besip.pbx.internal.registrar.Binding;
import org.besip.pbx.internal.registrar.LocationService;
import org.besip.pbx.internal.sip.SipMessage;
import org.besip.pbx.internal.sip.SipMessage.Header;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The box as a B2BUA, message by message, on the proxy's transaction layer with a hand-run clock:
 * what leaves on each leg is parsed as it went on the wire.
 */
class B2buaTest {

    static final InetSocketAddress ALICE = new InetSocketAddress("127.0.0.2", 5070);
    static final InetSocketAddress BOB = new InetSocketAddress("127.0.0.3", 5080);
    final List<ProxyTest.Sent> sent = new ArrayList<>();
    final LocationService location = new LocationService();
    final ProxyTest.ManualClock clock = new ProxyTest.ManualClock();
    final List<SipMessage> observedAnswers = new ArrayList<>();
    final List<SipMessage> observedRequests = new ArrayList<>();
    final List<String> ended = new ArrayList<>();
    B2bua b2bua;
    Proxy proxy;

    @BeforeEach
    void setUp() {
        Proxy.Observer seen = new Proxy.Observer() {
            @Override
            public void forwarded(SipMessage req, String trunk, InetSocketAddress source, long now) {
                observedRequests.add(req);
            }

            @Override
            public void refused(SipMessage req, int status, InetSocketAddress source, long now) {
            }

            @Override
            public void responded(SipMessage res, long now) {
                observedAnswers.add(res);
            }
        };
        proxy = new Proxy(location, Set.of("alice", "bob")::contains, "127.0.0.1", 5060,
                (data, to) -> sent.add(new ProxyTest.Sent(ProxyTest.parse(data), to)), seen, clock);
        proxy.policy(new Proxy.Policy(Map.of(), Map.of(), Map.of(), true));
        b2bua = new B2bua(new B2bua.Settings(1800, 0));
        b2bua.onEnded((id, why) -> ended.add(id + " " + why));
        proxy.b2bua(b2bua);
        bind("sip:bob@192.168.1.3:5080");
    }

    void bind(String contact) {
        location.put(new Binding("bob", contact, System.currentTimeMillis() + 60_000, "c" + contact.hashCode(), 1, "phone",
                BOB.getAddress().getHostAddress() + ":" + BOB.getPort()), System.currentTimeMillis());
    }

    static final String SDP = "v=0\no=alice 1 1 IN IP4 10.0.0.9\ns=-\nc=IN IP4 10.0.0.9\nt=0 0\nm=audio 4000 RTP/AVP 0\n";

    static final String BOB_SDP = "v=0\r\no=bob 2 2 IN IP4 192.168.1.3\r\ns=-\r\nc=IN IP4 192.168.1.3\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n";

    static String invite(String extra) {
        return "INVITE sip:bob@127.0.0.1 SIP/2.0\n"
                + "Via: SIP/2.0/UDP 10.0.0.9:5070;branch=z9hG4bKa1;rport\n"
                + "Via: SIP/2.0/UDP 10.0.0.8:5060;branch=z9hG4bKinner\n"
                + "Record-Route: <sip:10.0.0.8;lr>\n"
                + "Max-Forwards: 70\n"
                + "From: \"Alice\" <sip:alice@box>;tag=a1\n"
                + "To: <sip:bob@box>\n"
                + "Call-ID: call-a@10.0.0.9\n"
                + "CSeq: 7 INVITE\n"
                + "Contact: <sip:alice@10.0.0.9:5070>\n"
                + "User-Agent: AlicePhone 1.0\n"
                + extra
                + "Content-Type: application/sdp\n"
                + "Content-Length: " + SDP.replace("\n", "\r\n").length() + "\n\n" + SDP;
    }

    static SipMessage parse(String text) {
        return ProxyTest.parse(text);
    }

    SipMessage last(String method) {
        for (int i = sent.size() - 1; i >= 0; i--) {
            if (method.equals(sent.get(i).message().method())) {
                return sent.get(i).message();
            }
        }
        throw new AssertionError("no " + method + " sent: " + sent);
    }

    ProxyTest.Sent lastAnswer() {
        for (int i = sent.size() - 1; i >= 0; i--) {
            if (!sent.get(i).message().isRequest()) {
                return sent.get(i);
            }
        }
        throw new AssertionError("no answer sent");
    }

    /** The callee's answer to {@code req}, with its tag, Contact and more headers. */
    static SipMessage answer(SipMessage req, int status, String reason, String tag, String... headers) {
        SipMessage a = req.answer(status, reason, tag);
        for (int i = 0; i + 1 < headers.length; i += 2) {
            a.headers().add(new Header(headers[i], headers[i + 1]));
        }
        return a;
    }

    static String wire(SipMessage m) {
        return new String(m.toBytes(), StandardCharsets.UTF_8);
    }

    /** A call up: alice's INVITE, bob's 200 (its Contact, Allow), alice's ACK. Returns bob's INVITE. */
    SipMessage call(String bobAllow) {
        proxy.request(parse(invite("")), ALICE, 0);
        SipMessage b = last("INVITE");
        proxy.response(answer(b, 200, "OK", "b1", "Contact", "<sip:bob@192.168.1.3:5080>", "Allow", bobAllow, "Content-Type",
                "application/sdp").withBody(BOB_SDP.getBytes(StandardCharsets.US_ASCII)));
        SipMessage ok = lastAnswer().message();
        proxy.request(parse("ACK sip:b2b@127.0.0.1:5060 SIP/2.0\nVia: SIP/2.0/UDP 10.0.0.9:5070;branch=z9hG4bKack;rport\n"
                + "Max-Forwards: 70\nFrom: \"Alice\" <sip:alice@box>;tag=a1\nTo: " + ok.first("To") + "\nCall-ID: call-a@10.0.0.9\n"
                + "CSeq: 7 ACK\nContent-Length: 0\n\n"), ALICE, 0);
        return b;
    }

    @Test
    void theCalleeSeesTheBoxsOwnDialogAndNothingOfTheCallersTopology() {
        assertEquals(100, proxy.request(parse(invite("Session-Expires: 600\nSupported: timer, 100rel\n")), ALICE, 0).status());
        SipMessage b = last("INVITE");
        String w = wire(b);
        assertEquals("sip:bob@192.168.1.3:5080", b.uri());
        assertEquals(BOB, sent.get(0).to(), "sent where bob's REGISTER came from");
        assertEquals(1, b.all("Via").size(), "the box's Via alone: " + b.all("Via"));
        assertTrue(b.first("Via").startsWith("SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK"), b.first("Via"));
        assertNotEquals("call-a@10.0.0.9", b.first("Call-ID"));
        assertNull(b.first("Record-Route"));
        assertNull(b.first("Route"));
        assertEquals("<sip:b2b@127.0.0.1:5060>", b.first("Contact"));
        assertTrue(b.first("From").startsWith("\"Alice\" <sip:alice@127.0.0.1>;tag="), "the caller's user at the box: " + b.first("From"));
        assertNotEquals("a1", SipMessage.tag(b.first("From")));
        assertNull(SipMessage.tag(b.first("To")));
        assertEquals("1 INVITE", b.first("CSeq"), "the box's own CSeq numbering");
        assertEquals("1800;refresher=uac", b.first("Session-Expires"), "the box's session interval, the box refreshing");
        assertEquals("timer", b.first("Supported"), "100rel is not offered: the box does not do PRACK");
        assertEquals("69", b.first("Max-Forwards"));
        for (String leak : List.of("10.0.0.8", "call-a", "AlicePhone", "tag=a1", "z9hG4bKa1", "5070")) {
            assertFalse(w.contains(leak), "'" + leak + "' of the caller's side reached the callee:\n" + w);
        }
        assertEquals(SDP.replace("\n", "\r\n"), new String(b.body(), StandardCharsets.UTF_8), "no relay in this test: the SDP as it came");
        assertEquals(1, b2bua.size());
        assertEquals(b.first("Call-ID"), b2bua.calleeCallId("call-a@10.0.0.9"));
    }

    @Test
    void eachAnswerReachesTheCallerOnItsOwnDialogWithTheBoxsContact() {
        proxy.request(parse(invite("Supported: timer\n")), ALICE, 0);
        SipMessage b = last("INVITE");
        proxy.response(answer(b, 180, "Ringing", "b1", "Contact", "<sip:bob@192.168.1.3:5080>", "Record-Route",
                "<sip:192.168.1.1;lr>", "User-Agent", "BobPhone"));
        ProxyTest.Sent ringing = lastAnswer();
        assertEquals(ALICE, ringing.to());
        SipMessage r = ringing.message();
        assertEquals(180, r.status());
        assertEquals("call-a@10.0.0.9", r.first("Call-ID"));
        assertEquals("7 INVITE", r.first("CSeq"));
        assertEquals(2, r.all("Via").size(), "the caller's own Via path");
        assertTrue(r.first("Via").contains("received=127.0.0.2"), r.first("Via"));
        assertEquals("\"Alice\" <sip:alice@box>;tag=a1", r.first("From"));
        String aTag = SipMessage.tag(r.first("To"));
        assertNotNull(aTag);
        assertNotEquals("b1", aTag, "a tag of the box's");
        assertEquals("<sip:b2b@127.0.0.1:5060>", r.first("Contact"));
        String w = wire(r);
        for (String leak : List.of("192.168.1", "BobPhone", b.first("Call-ID"), "tag=b1")) {
            assertFalse(w.contains(leak), "'" + leak + "' of the callee's side reached the caller:\n" + w);
        }

        proxy.response(answer(b, 200, "OK", "b1", "Contact", "<sip:bob@192.168.1.3:5080>", "Record-Route", "<sip:192.168.1.1;lr>"));
        SipMessage ok = lastAnswer().message();
        assertEquals(200, ok.status());
        assertEquals(aTag, SipMessage.tag(ok.first("To")), "the same early dialog became the call");
        assertEquals("1800;refresher=uas", ok.first("Session-Expires"), "the caller supports timers: the box refreshes");
        assertEquals("timer", ok.first("Require"));
        assertEquals(List.of(180, 200), observedAnswers.stream().map(SipMessage::status).toList());
        assertTrue(observedAnswers.stream().allMatch(m -> m.first("Call-ID").equals("call-a@10.0.0.9")),
                "the call tracker follows the call on the caller's Call-ID");

        int before = sent.size();
        proxy.request(parse("ACK sip:b2b@127.0.0.1:5060 SIP/2.0\nVia: SIP/2.0/UDP 10.0.0.9:5070;branch=z9hG4bKack\n"
                + "Max-Forwards: 70\nFrom: \"Alice\" <sip:alice@box>;tag=a1\nTo: " + ok.first("To") + "\nCall-ID: call-a@10.0.0.9\n"
                + "CSeq: 7 ACK\nContent-Length: 0\n\n"), ALICE, 0);
        assertEquals(before + 1, sent.size());
        SipMessage ack = last("ACK");
        assertEquals("sip:bob@192.168.1.3:5080", ack.uri(), "to the callee's Contact");
        assertEquals(List.of("<sip:192.168.1.1;lr>"), ack.all("Route"), "along the callee's route set");
        assertEquals(b.first("Call-ID"), ack.first("Call-ID"));
        assertEquals("1 ACK", ack.first("CSeq"));
        assertEquals("b1", SipMessage.tag(ack.first("To")));
        assertEquals(SipMessage.tag(b.first("From")), SipMessage.tag(ack.first("From")));

        // bob retransmits its 200 (our ACK was lost): the ACK goes again
        before = sent.size();
        proxy.response(answer(b, 200, "OK", "b1", "Contact", "<sip:bob@192.168.1.3:5080>"));
        assertEquals(before + 1, sent.size());
        assertEquals("ACK", sent.get(sent.size() - 1).message().method());
    }

    @Test
    void aReInviteAndTheCalleesByeAreCarriedOntoTheOtherLegWithItsCSeq() {
        SipMessage b = call("INVITE, ACK, BYE, UPDATE");
        SipMessage ok = observedAnswers.get(observedAnswers.size() - 1);
        String aTo = lastAnswerTo();
        // alice holds: a re-INVITE with a=sendonly
        String hold = SDP.replace("m=audio 4000 RTP/AVP 0\n", "m=audio 4000 RTP/AVP 0\na=sendonly\n");
        assertEquals(100, proxy.request(parse("INVITE sip:b2b@127.0.0.1:5060 SIP/2.0\nVia: SIP/2.0/UDP 10.0.0.9:5070;branch=z9hG4bKre;rport\n"
                + "Max-Forwards: 70\nFrom: \"Alice\" <sip:alice@box>;tag=a1\nTo: " + aTo + "\nCall-ID: call-a@10.0.0.9\n"
                + "CSeq: 8 INVITE\nContact: <sip:alice@10.0.0.9:5070>\nContent-Type: application/sdp\nContent-Length: "
                + hold.replace("\n", "\r\n").length() + "\n\n" + hold), ALICE, 0).status());
        SipMessage re = last("INVITE");
        assertEquals("sip:bob@192.168.1.3:5080", re.uri());
        assertEquals(b.first("Call-ID"), re.first("Call-ID"));
        assertEquals("2 INVITE", re.first("CSeq"), "the callee's leg counts its own CSeq");
        assertEquals("b1", SipMessage.tag(re.first("To")));
        assertTrue(new String(re.body(), StandardCharsets.UTF_8).contains("a=sendonly"));
        assertEquals(1, re.all("Via").size());
        proxy.response(answer(re, 200, "OK", null, "Contact", "<sip:bob@192.168.1.3:5080>", "Content-Type", "application/sdp"));
        SipMessage reOk = lastAnswer().message();
        assertEquals("8 INVITE", reOk.first("CSeq"));
        assertEquals("call-a@10.0.0.9", reOk.first("Call-ID"));
        assertEquals(aTo, reOk.first("To"));

        // bob hangs up: a BYE on bob's dialog reaches alice on hers
        int before = sent.size();
        proxy.request(parse("BYE sip:b2b@127.0.0.1:5060 SIP/2.0\nVia: SIP/2.0/UDP 192.168.1.3:5080;branch=z9hG4bKbye\n"
                + "Max-Forwards: 70\nFrom: <sip:bob@box>;tag=b1\nTo: " + re.first("From") + "\nCall-ID: " + b.first("Call-ID") + "\n"
                + "CSeq: 20 BYE\nContent-Length: 0\n\n"), BOB, 0);
        assertEquals(before + 1, sent.size());
        ProxyTest.Sent bye = sent.get(sent.size() - 1);
        assertEquals(ALICE, bye.to(), "where alice signals from");
        SipMessage m = bye.message();
        assertEquals("BYE", m.method());
        assertEquals("sip:alice@10.0.0.9:5070", m.uri(), "to alice's Contact");
        assertEquals(List.of("<sip:10.0.0.8;lr>"), m.all("Route"), "along alice's route set");
        assertEquals("call-a@10.0.0.9", m.first("Call-ID"));
        assertEquals(aTo, m.first("From"), "the box speaks as the user alice called, with its tag");
        assertEquals("\"Alice\" <sip:alice@box>;tag=a1", m.first("To"));
        assertEquals("2 BYE", m.first("CSeq"), "the box's own numbering on alice's leg");
        assertTrue(observedRequests.stream().anyMatch(r -> r.method().equals("BYE") && r.first("Call-ID").equals("call-a@10.0.0.9")
                && "b1".equals(SipMessage.tag(r.first("From")))), "the tracker sees the callee's BYE on the caller's call");
        proxy.response(m.answer(200, "OK", null));
        SipMessage byeOk = lastAnswer().message();
        assertEquals(b.first("Call-ID"), byeOk.first("Call-ID"));
        assertEquals("20 BYE", byeOk.first("CSeq"));
        assertEquals(0, b2bua.size(), "the call is over");
        assertNotNull(ok);
    }

    String lastAnswerTo() {
        for (int i = sent.size() - 1; i >= 0; i--) {
            SipMessage m = sent.get(i).message();
            if (!m.isRequest() && m.status() == 200 && "call-a@10.0.0.9".equals(m.first("Call-ID"))) {
                return m.first("To");
            }
        }
        throw new AssertionError("no 200 to alice");
    }

    @Test
    void aCancelAndAFailureAreMappedAndTheCallGoes() {
        String inv = invite("");
        proxy.request(parse(inv), ALICE, 0);
        SipMessage b = last("INVITE");
        proxy.response(answer(b, 180, "Ringing", "b1", "Contact", "<sip:bob@192.168.1.3:5080>"));
        assertEquals(200, proxy.request(parse(ProxyTest.cancelOf(inv)), ALICE, 0).status());
        SipMessage cancel = last("CANCEL");
        assertEquals(b.first("Call-ID"), cancel.first("Call-ID"));
        assertEquals("1 CANCEL", cancel.first("CSeq"));
        assertEquals(b.first("Via"), cancel.first("Via"));
        proxy.response(cancel.answer(200, "OK", "b1"));
        proxy.response(answer(b, 487, "Request Terminated", "b1"));
        assertEquals("ACK", sent.get(sent.size() - 2).message().method(), "the 487 is ACKed on bob's leg");
        assertEquals(b.first("Call-ID"), sent.get(sent.size() - 2).message().first("Call-ID"));
        SipMessage t = lastAnswer().message();
        assertEquals(487, t.status());
        assertEquals("call-a@10.0.0.9", t.first("Call-ID"));
        assertEquals("7 INVITE", t.first("CSeq"));
        assertEquals(0, b2bua.size());

        proxy.request(parse(inv.replace("call-a", "call-b").replace("z9hG4bKa1", "z9hG4bKa2")), ALICE, 0);
        SipMessage b2 = last("INVITE");
        proxy.response(answer(b2, 486, "Busy Here", "b2", "Warning", "399 bob \"busy\"", "Server", "BobPhone"));
        SipMessage busy = lastAnswer().message();
        assertEquals(486, busy.status());
        assertEquals("call-b@10.0.0.9", busy.first("Call-ID"));
        assertEquals("399 bob \"busy\"", busy.first("Warning"));
        assertNull(busy.first("Server"));
        assertEquals(0, b2bua.size());
    }

    @Test
    void earlyMediaReachesTheCallerWithItsSdpAndTheBoxsContact() {
        proxy.request(parse(invite("")), ALICE, 0);
        SipMessage b = last("INVITE");
        String bobSdp = BOB_SDP;
        proxy.response(answer(b, 183, "Session Progress", "b1", "Contact", "<sip:bob@192.168.1.3:5080>", "Content-Type", "application/sdp")
                .withBody(bobSdp.getBytes(StandardCharsets.US_ASCII)));
        SipMessage early = lastAnswer().message();
        assertEquals(183, early.status());
        assertEquals("application/sdp", early.first("Content-Type"));
        assertEquals(bobSdp, new String(early.body(), StandardCharsets.US_ASCII), "no relay in this test: the SDP as it came");
        assertEquals("<sip:b2b@127.0.0.1:5060>", early.first("Contact"));
        assertNotNull(SipMessage.tag(early.first("To")));
    }

    @Test
    void aSecondForksAnswerIsAckedAndEndedByTheBoxAndNeverReachesTheCaller() {
        location.put(new Binding("bob", "sip:bob@192.168.1.4:5080", System.currentTimeMillis() + 60_000, "c2", 1, "phone2",
                "127.0.0.4:5080"), System.currentTimeMillis());
        proxy.request(parse(invite("")), ALICE, 0);
        List<SipMessage> forks = sent.stream().map(ProxyTest.Sent::message).filter(m -> "INVITE".equals(m.method())).toList();
        assertEquals(2, forks.size());
        assertEquals(forks.get(0).first("Call-ID"), forks.get(1).first("Call-ID"), "one dialog-forming request, forked");
        proxy.response(answer(forks.get(0), 200, "OK", "f1", "Contact", "<sip:bob@192.168.1.3:5080>"));
        long oks = sent.stream().filter(s -> !s.message().isRequest() && s.message().status() == 200).count();
        proxy.response(answer(forks.get(1), 200, "OK", "f2", "Contact", "<sip:bob@192.168.1.4:5080>"));
        assertEquals(oks, sent.stream().filter(s -> !s.message().isRequest() && s.message().status() == 200).count(),
                "the caller gets one 200");
        SipMessage bye = last("BYE");
        assertEquals("f2", SipMessage.tag(bye.first("To")));
        assertEquals("sip:bob@192.168.1.4:5080", bye.uri());
        assertTrue(sent.stream().anyMatch(s -> "ACK".equals(s.message().method()) && "f2".equals(SipMessage.tag(s.message().first("To")))));
    }

    @Test
    void aRequestWithTheWrongTagsNamesNoCall() {
        SipMessage b = call("INVITE, ACK, BYE");
        SipMessage r = proxy.request(parse("BYE sip:b2b@127.0.0.1:5060 SIP/2.0\nVia: SIP/2.0/UDP 6.6.6.6:5060;branch=z9hG4bKx\n"
                + "Max-Forwards: 70\nFrom: <sip:bob@box>;tag=guess\nTo: " + b.first("From") + "\nCall-ID: " + b.first("Call-ID") + "\n"
                + "CSeq: 20 BYE\nContent-Length: 0\n\n"), new InetSocketAddress("6.6.6.6", 5060), 0);
        assertEquals(481, r.status());
        assertEquals(1, b2bua.size());
    }

    @Test
    void aSideThatNoLongerAnswersItsSessionRefreshEndsTheCall() {
        SipMessage b = call("INVITE, ACK, BYE, UPDATE");
        int before = sent.size();
        clock.advance(900_000 - 1);
        assertEquals(before, sent.size(), "nothing before half the session interval");
        clock.advance(1);
        SipMessage update = last("UPDATE");
        assertEquals(b.first("Call-ID"), update.first("Call-ID"), "bob allows UPDATE: an UPDATE refreshes his leg");
        assertEquals("2 UPDATE", update.first("CSeq"));
        SipMessage reinvite = last("INVITE");
        assertEquals("call-a@10.0.0.9", reinvite.first("Call-ID"), "alice does not say she allows UPDATE: a re-INVITE");
        assertEquals("2 INVITE", reinvite.first("CSeq"));
        assertEquals("sip:alice@10.0.0.9:5070", reinvite.uri());
        assertEquals(BOB_SDP, new String(reinvite.body(), StandardCharsets.US_ASCII), "with the SDP alice got in the 200 (no relay here)");
        proxy.response(answer(reinvite, 200, "OK", null, "Contact", "<sip:alice@10.0.0.9:5070>"));
        SipMessage ack = last("ACK");
        assertEquals("2 ACK", ack.first("CSeq"), "the box ACKs its own re-INVITE");
        assertEquals("call-a@10.0.0.9", ack.first("Call-ID"));
        assertEquals(List.of(), ended);
        clock.advance(32_000); // bob never answers the UPDATE: Timer F
        assertEquals(List.of("call-a@10.0.0.9 session timer expired"), ended);
        SipMessage bye = sent.stream().map(ProxyTest.Sent::message).filter(m -> "BYE".equals(m.method()))
                .filter(m -> m.first("Call-ID").equals("call-a@10.0.0.9")).findFirst().orElseThrow(() -> new AssertionError("no BYE to alice"));
        assertTrue(bye.first("Reason").contains("session timer expired"), bye.first("Reason"));
        assertEquals(0, b2bua.size());
    }

    @Test
    void aCallLongerThanTheLimitIsEndedOnBothLegs() {
        b2bua.settings(new B2bua.Settings(1800, 60_000));
        SipMessage b = call("INVITE, ACK, BYE");
        clock.advance(60_000);
        List<SipMessage> byes = sent.stream().map(ProxyTest.Sent::message).filter(m -> "BYE".equals(m.method())).toList();
        assertEquals(Set.of("call-a@10.0.0.9", b.first("Call-ID")), Set.of(byes.get(0).first("Call-ID"), byes.get(1).first("Call-ID")));
        assertEquals(2, byes.size());
        assertEquals(List.of("call-a@10.0.0.9 maximum call duration"), ended);
    }
}
