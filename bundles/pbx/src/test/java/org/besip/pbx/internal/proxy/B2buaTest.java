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

import org.besip.pbx.internal.auth.DigestAuthenticator;
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
            public void forwarded(SipMessage req, String trunk, org.besip.pbx.internal.call.Prepaid.Decision price, InetSocketAddress source,
                    long now) {
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
        proxy = new Proxy(location, Set.of("alice", "bob", "carol")::contains, "127.0.0.1", 5060,
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
        assertTrue(b.all("Allow").contains("REFER"), "the box carries out transfers, and says so: " + b.all("Allow"));
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
    void anAnsweredCallHandedToTheNextVersionGoesOnWithItsDialogsCSeqAndTimers() {
        b2bua.settings(new B2bua.Settings(1800, 3_600_000));
        SipMessage b = call("INVITE, ACK, BYE, UPDATE");
        String aTo = lastAnswerTo();
        proxy.request(parse(invite("").replace("CSeq: 7 INVITE", "CSeq: 7 INVITE").replace("Call-ID: call-a@10.0.0.9", "Call-ID: ringing@10.0.0.9")
                .replace("tag=a1", "tag=a2")), ALICE, 0); // a second call, still ringing at the swap
        List<B2bua.DialogState> left = b2bua.handOver();
        assertEquals(1, left.size(), "the answered call goes; the ringing one's transactions are this version's");
        assertEquals("call-a@10.0.0.9", left.get(0).key());

        // the next version: a new proxy (new transaction table, same clock) and B2BUA
        List<String> ended2 = new ArrayList<>();
        Proxy next = new Proxy(location, Set.of("alice", "bob", "carol")::contains, "127.0.0.1", 5060,
                (data, to) -> sent.add(new ProxyTest.Sent(ProxyTest.parse(data), to)), ProxyTest.answersTo(new ArrayList<>()), clock);
        next.policy(new Proxy.Policy(Map.of(), Map.of(), Map.of(), true));
        B2bua taker = new B2bua(new B2bua.Settings(1800, 3_600_000));
        taker.onEnded((id, why) -> ended2.add(id + " " + why));
        assertEquals(1, taker.takeOver(left));
        assertEquals(1, b2bua.size(), "the old version let go of the answered call (the ringing one is still its own)");
        sent.clear();
        next.b2bua(taker);
        assertEquals(1, taker.size());
        assertEquals(b.first("Call-ID"), taker.calleeCallId("call-a@10.0.0.9"));

        // alice's re-INVITE reaches bob on his dialog with the leg's next CSeq
        assertEquals(100, next.request(parse("INVITE sip:b2b@127.0.0.1:5060 SIP/2.0\nVia: SIP/2.0/UDP 10.0.0.9:5070;branch=z9hG4bKre2;rport\n"
                + "Max-Forwards: 70\nFrom: \"Alice\" <sip:alice@box>;tag=a1\nTo: " + aTo + "\nCall-ID: call-a@10.0.0.9\n"
                + "CSeq: 8 INVITE\nContact: <sip:alice@10.0.0.9:5070>\nContent-Length: 0\n\n"), ALICE, 0).status());
        SipMessage re = last("INVITE");
        assertEquals(b.first("Call-ID"), re.first("Call-ID"));
        assertEquals("2 INVITE", re.first("CSeq"));
        assertEquals("b1", SipMessage.tag(re.first("To")));
        assertEquals("sip:bob@192.168.1.3:5080", re.uri());

        // half a session interval after the takeover: the next version refreshes
        next.response(answer(re, 200, "OK", null, "Contact", "<sip:bob@192.168.1.3:5080>"));
        clock.advance(900_000);
        SipMessage update = last("UPDATE");
        assertEquals(b.first("Call-ID"), update.first("Call-ID"));
        assertEquals("3 UPDATE", update.first("CSeq"));
        next.response(answer(update, 200, "OK", null));
        SipMessage refresh = last("INVITE");
        next.response(answer(refresh, 200, "OK", null, "Contact", "<sip:alice@10.0.0.9:5070>"));

        // bob hangs up: alice gets the BYE on her dialog, the call is over on the next version
        next.request(parse("BYE sip:b2b@127.0.0.1:5060 SIP/2.0\nVia: SIP/2.0/UDP 192.168.1.3:5080;branch=z9hG4bKbye2\n"
                + "Max-Forwards: 70\nFrom: <sip:bob@box>;tag=b1\nTo: " + re.first("From") + "\nCall-ID: " + b.first("Call-ID") + "\n"
                + "CSeq: 20 BYE\nContent-Length: 0\n\n"), BOB, 0);
        SipMessage bye = last("BYE");
        assertEquals("call-a@10.0.0.9", bye.first("Call-ID"));
        assertEquals(aTo, bye.first("From"));
        assertEquals("3 BYE", bye.first("CSeq"), "after the box's own refresh re-INVITE (2) on alice's leg");
        next.response(bye.answer(200, "OK", null));
        assertEquals(0, taker.size());
        assertEquals(List.of(), ended2, "bob's BYE ended it, not the box");
    }

    @Test
    void theLimitOfACallTakenOverCountsFromItsAnswerNotFromTheSwap() {
        b2bua.settings(new B2bua.Settings(1800, 3_600_000));
        call("INVITE, ACK, BYE");
        List<B2bua.DialogState> left = b2bua.handOver();
        long limitAt = left.get(0).limitAtMs();
        long now = System.currentTimeMillis();
        assertTrue(limitAt > now + 3_590_000 && limitAt <= now + 3_600_000, "an hour from the answer: " + (limitAt - now));
        B2bua.DialogState shorter = new B2bua.DialogState(left.get(0).key(), left.get(0).callerTag(), left.get(0).startMs(), left.get(0).callee(),
                false, false, false, false, now + 30_000, left.get(0).names(), left.get(0).a(), left.get(0).b()); // answered 59.5 min ago
        B2bua taker = new B2bua(new B2bua.Settings(1800, 3_600_000));
        List<String> ended2 = new ArrayList<>();
        taker.onEnded((id, why) -> ended2.add(id + " " + why));
        taker.takeOver(List.of(shorter));
        Proxy next = new Proxy(location, Set.of("alice", "bob")::contains, "127.0.0.1", 5060,
                (data, to) -> sent.add(new ProxyTest.Sent(ProxyTest.parse(data), to)), ProxyTest.answersTo(new ArrayList<>()), clock);
        next.b2bua(taker);
        clock.advance(31_000);
        assertEquals(List.of("call-a@10.0.0.9 maximum call duration"), ended2);
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

    static final InetSocketAddress CAROL = new InetSocketAddress("127.0.0.5", 5080);

    void bindCarol() {
        location.put(new Binding("carol", "sip:carol@192.168.1.5:5080", System.currentTimeMillis() + 60_000, "cc", 1, "phone3",
                "127.0.0.5:5080"), System.currentTimeMillis());
    }

    /** An in-dialog request from bob on the box's dialog with him ({@code b}: the box's INVITE to bob). */
    static String fromBob(SipMessage b, String method, int cseq, String extra) {
        return method + " sip:b2b@127.0.0.1:5060 SIP/2.0\nVia: SIP/2.0/UDP 192.168.1.3:5080;branch=z9hG4bK" + method + cseq + "\n"
                + "Max-Forwards: 70\nFrom: <sip:bob@box>;tag=b1\nTo: " + b.first("From") + "\nCall-ID: " + b.first("Call-ID") + "\n"
                + "CSeq: " + cseq + " " + method + "\nContact: <sip:bob@192.168.1.3:5080>\n" + extra + "Content-Length: 0\n\n";
    }

    List<SipMessage> sentTo(InetSocketAddress to, String method) {
        return sent.stream().filter(x -> x.to().equals(to) && method.equals(x.message().method())).map(ProxyTest.Sent::message).toList();
    }

    @Test
    void aBlindTransferByReferCallsTheTargetAndItTakesTheTransferorsPlace() {
        bindCarol();
        SipMessage b = call("INVITE, ACK, BYE");
        SipMessage r = proxy.request(parse(fromBob(b, "REFER", 21, "Refer-To: <sip:carol@127.0.0.1>\n")), BOB, 0);
        assertEquals(202, r.status());
        SipMessage trying = sentTo(BOB, "NOTIFY").get(0);
        assertEquals("refer", trying.first("Event"));
        assertEquals("message/sipfrag;version=2.0", trying.first("Content-Type"));
        assertEquals("SIP/2.0 100 Trying\r\n", new String(trying.body(), StandardCharsets.US_ASCII));
        assertTrue(trying.first("Subscription-State").startsWith("active"));
        assertEquals(b.first("Call-ID"), trying.first("Call-ID"), "on bob's dialog");
        proxy.response(trying.answer(200, "OK", null));

        SipMessage toCarol = sentTo(CAROL, "INVITE").get(0);
        assertEquals("sip:carol@192.168.1.5:5080", toCarol.uri());
        assertTrue(toCarol.first("From").startsWith("\"Alice\" <sip:alice@127.0.0.1>;tag="), "carol sees alice calling: " + toCarol.first("From"));
        assertTrue(List.of("call-a@10.0.0.9", b.first("Call-ID")).stream().noneMatch(id -> id.equals(toCarol.first("Call-ID"))),
                "a dialog of its own");
        assertEquals(SDP.replace("\n", "\r\n"), new String(toCarol.body(), StandardCharsets.UTF_8), "alice's offer, as bob had it");
        int before = sent.size();
        proxy.response(answer(toCarol, 200, "OK", "c1", "Contact", "<sip:carol@192.168.1.5:5080>", "Content-Type", "application/sdp")
                .withBody(BOB_SDP.replace("bob", "carol").getBytes(StandardCharsets.US_ASCII)));
        List<ProxyTest.Sent> after = sent.subList(before, sent.size());
        assertTrue(after.stream().anyMatch(x -> x.to().equals(CAROL) && "ACK".equals(x.message().method())), "carol's 200 is ACKed");
        SipMessage done = sentTo(BOB, "NOTIFY").get(1);
        assertEquals("SIP/2.0 200 OK\r\n", new String(done.body(), StandardCharsets.US_ASCII));
        assertTrue(done.first("Subscription-State").startsWith("terminated"));
        assertEquals(1, sentTo(BOB, "BYE").size(), "the transferor's leg ends");
        assertTrue(sentTo(ALICE, "INVITE").stream().noneMatch(m -> m.first("CSeq").endsWith("INVITE") && !m.first("CSeq").startsWith("1 ")),
                "alice hears carol through the same relay ports: no re-INVITE to her");

        // carol hangs up: alice gets the BYE on her own dialog
        proxy.request(parse("BYE sip:b2b@127.0.0.1:5060 SIP/2.0\nVia: SIP/2.0/UDP 192.168.1.5:5080;branch=z9hG4bKcbye\n"
                + "Max-Forwards: 70\nFrom: <sip:carol@box>;tag=c1\nTo: " + toCarol.first("From") + "\nCall-ID: " + toCarol.first("Call-ID")
                + "\nCSeq: 5 BYE\nContent-Length: 0\n\n"), CAROL, 0);
        SipMessage bye = sentTo(ALICE, "BYE").get(0);
        assertEquals("call-a@10.0.0.9", bye.first("Call-ID"));
        assertTrue(observedRequests.stream().anyMatch(m -> "BYE".equals(m.method()) && "call-a@10.0.0.9".equals(m.first("Call-ID"))),
                "the call's CDR ends with carol's BYE");
    }

    @Test
    void aTransferThatFailsIsToldToTheTransferorAndTheCallGoesOn() {
        bindCarol();
        SipMessage b = call("INVITE, ACK, BYE");
        assertEquals(202, proxy.request(parse(fromBob(b, "REFER", 21, "Refer-To: <sip:carol@127.0.0.1>\n")), BOB, 0).status());
        SipMessage toCarol = sentTo(CAROL, "INVITE").get(0);
        proxy.response(answer(toCarol, 486, "Busy Here", "c1"));
        SipMessage last = sentTo(BOB, "NOTIFY").get(sentTo(BOB, "NOTIFY").size() - 1);
        assertEquals("SIP/2.0 486 Busy Here\r\n", new String(last.body(), StandardCharsets.US_ASCII));
        assertEquals(List.of(), sentTo(BOB, "BYE"), "bob stays in the call");
        assertEquals(403, proxy.request(parse(fromBob(b, "REFER", 22, "Refer-To: <sip:0049301234@127.0.0.1>\n")), BOB, 0).status(),
                "no transfer out through a trunk: nobody authenticated that call");
        assertEquals(400, proxy.request(parse(fromBob(b, "REFER", 23, "")), BOB, 0).status());
        proxy.request(parse(fromBob(b, "BYE", 24, "")), BOB, 0);
        assertEquals("call-a@10.0.0.9", sentTo(ALICE, "BYE").get(0).first("Call-ID"), "bob's BYE still ends alice's call");
    }

    @Test
    void anAttendedTransferJoinsTheTwoOtherSidesAndEndsTheTransferorsCalls() {
        bindCarol();
        SipMessage b = call("INVITE, ACK, BYE"); // call 1: alice - bob
        // call 2: bob calls carol
        String bobInvite = "INVITE sip:carol@127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP 192.168.1.3:5080;branch=z9hG4bKc2;rport\n"
                + "Max-Forwards: 70\nFrom: <sip:bob@box>;tag=bob2\nTo: <sip:carol@box>\nCall-ID: call-2@bob\nCSeq: 1 INVITE\n"
                + "Contact: <sip:bob@192.168.1.3:5080>\nContent-Type: application/sdp\nContent-Length: " + BOB_SDP.length() + "\n\n" + BOB_SDP;
        proxy.request(parse(bobInvite), BOB, 0);
        SipMessage c = sentTo(CAROL, "INVITE").get(0);
        proxy.response(answer(c, 200, "OK", "c1", "Contact", "<sip:carol@192.168.1.5:5080>"));
        SipMessage okToBob = sent.stream().map(ProxyTest.Sent::message).filter(m -> !m.isRequest() && "call-2@bob".equals(m.first("Call-ID")))
                .reduce((x, y) -> y).orElseThrow();
        String boxTagToBob = SipMessage.tag(okToBob.first("To"));
        proxy.request(parse("ACK sip:b2b@127.0.0.1:5060 SIP/2.0\nVia: SIP/2.0/UDP 192.168.1.3:5080;branch=z9hG4bKc2a\nMax-Forwards: 70\n"
                + "From: <sip:bob@box>;tag=bob2\nTo: " + okToBob.first("To") + "\nCall-ID: call-2@bob\nCSeq: 1 ACK\nContent-Length: 0\n\n"), BOB, 0);
        assertEquals(2, b2bua.size());

        String replaces = java.net.URLEncoder.encode("call-2@bob;to-tag=" + boxTagToBob + ";from-tag=bob2", StandardCharsets.UTF_8);
        assertEquals(481, proxy.request(parse(fromBob(b, "REFER", 21, "Refer-To: <sip:carol@127.0.0.1?Replaces="
                + replaces.replace("bob2", "guess") + ">\n")), BOB, 0).status(), "a Replaces with the wrong tags names no call");
        assertEquals(202, proxy.request(parse(fromBob(b, "REFER", 22, "Refer-To: <sip:carol@127.0.0.1?Replaces=" + replaces + ">\n")), BOB, 0)
                .status());
        SipMessage reinvite = sentTo(CAROL, "INVITE").get(1);
        assertEquals(c.first("Call-ID"), reinvite.first("Call-ID"), "carol is re-INVITEd on her own dialog");
        assertEquals("2 INVITE", reinvite.first("CSeq"));
        assertEquals(SDP.replace("\n", "\r\n"), new String(reinvite.body(), StandardCharsets.UTF_8), "pointed at call 1's relay (alice's side)");
        assertEquals(List.of("call-2@bob transferred"), ended, "call 2's CDR is written");
        proxy.response(answer(reinvite, 200, "OK", null, "Contact", "<sip:carol@192.168.1.5:5080>"));
        assertTrue(sentTo(CAROL, "ACK").stream().anyMatch(m -> m.first("CSeq").equals("2 ACK")));
        List<SipMessage> byes = sentTo(BOB, "BYE");
        assertEquals(Set.of(b.first("Call-ID"), "call-2@bob"), Set.of(byes.get(0).first("Call-ID"), byes.get(1).first("Call-ID")),
                "both of bob's legs end");
        assertEquals(1, b2bua.size(), "one call left: alice - carol");
        // carol hangs up: alice gets it
        proxy.request(parse("BYE sip:b2b@127.0.0.1:5060 SIP/2.0\nVia: SIP/2.0/UDP 192.168.1.5:5080;branch=z9hG4bKcb\nMax-Forwards: 70\n"
                + "From: <sip:carol@box>;tag=c1\nTo: " + c.first("From") + "\nCall-ID: " + c.first("Call-ID") + "\nCSeq: 9 BYE\n"
                + "Content-Length: 0\n\n"), CAROL, 0);
        assertEquals("call-a@10.0.0.9", sentTo(ALICE, "BYE").get(0).first("Call-ID"));
    }

    @Test
    void aUserDialingThePickupCodeAnswersARingingCallInsteadOfTheCallee() {
        DigestAuthenticator digest = new DigestAuthenticator("besip", 300_000, List.of("MD5"));
        proxy.outbound(new Proxy.Outbound(DialPlan.EMPTY, digest, Map.of("carol", new DigestAuthenticator.Secret("pw", Map.of()))::get,
                (src, why) -> { }));
        proxy.request(parse(invite("")), ALICE, 0);
        SipMessage b = last("INVITE");
        proxy.response(answer(b, 180, "Ringing", "b1", "Contact", "<sip:bob@192.168.1.3:5080>"));
        String nonce = digest.nonce(System.currentTimeMillis());
        String resp = digest.response("MD5", new DigestAuthenticator.Secret("pw", Map.of()), "carol", "INVITE", "sip:*8@127.0.0.1", nonce,
                "auth", "00000001", "c");
        String pick = "INVITE sip:*8@127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP 192.168.1.5:5080;branch=z9hG4bKpick;rport\nMax-Forwards: 70\n"
                + "From: <sip:carol@box>;tag=p1\nTo: <sip:*8@box>\nCall-ID: pick@carol\nCSeq: 2 INVITE\nContact: <sip:carol@192.168.1.5:5080>\n"
                + "Proxy-Authorization: Digest username=\"carol\", realm=\"besip\", nonce=\"" + nonce + "\", uri=\"sip:*8@127.0.0.1\", response=\""
                + resp + "\", algorithm=MD5, qop=auth, nc=00000001, cnonce=\"c\"\n"
                + "Content-Type: application/sdp\nContent-Length: " + BOB_SDP.length() + "\n\n" + BOB_SDP.replace("bob", "carol");
        SipMessage ok = proxy.request(parse(pick), CAROL, System.currentTimeMillis());
        assertEquals(200, ok.status(), "carol's phone is answered: she has the call");
        assertEquals(SDP.replace("\n", "\r\n"), new String(ok.body(), StandardCharsets.UTF_8), "alice's offer, as bob had it");
        ProxyTest.Sent toAlice = sent.stream().filter(x -> x.to().equals(ALICE) && !x.message().isRequest() && x.message().status() == 200)
                .findFirst().orElseThrow(() -> new AssertionError("alice is answered"));
        assertEquals("call-a@10.0.0.9", toAlice.message().first("Call-ID"));
        assertTrue(new String(toAlice.message().body(), StandardCharsets.US_ASCII).contains("o=carol"), "with carol's SDP");
        assertEquals(1, sentTo(BOB, "CANCEL").size(), "bob's phone stops ringing");
        assertEquals(200, observedAnswers.get(observedAnswers.size() - 1).status(), "the call tracker sees the call answered");
        // bob's 200 crossed the CANCEL: ACKed and ended by the box, never sent to alice
        long oks = sent.stream().filter(x -> x.to().equals(ALICE) && !x.message().isRequest() && x.message().status() == 200).count();
        proxy.response(answer(b, 200, "OK", "b1", "Contact", "<sip:bob@192.168.1.3:5080>"));
        assertEquals(oks, sent.stream().filter(x -> x.to().equals(ALICE) && !x.message().isRequest() && x.message().status() == 200).count());
        assertEquals(1, sentTo(BOB, "BYE").size());
        // carol hangs up: alice gets the BYE
        proxy.request(parse("BYE sip:b2b@127.0.0.1:5060 SIP/2.0\nVia: SIP/2.0/UDP 192.168.1.5:5080;branch=z9hG4bKpb\nMax-Forwards: 70\n"
                + "From: <sip:carol@box>;tag=p1\nTo: " + ok.first("To") + "\nCall-ID: pick@carol\nCSeq: 3 BYE\nContent-Length: 0\n\n"), CAROL, 0);
        assertEquals("call-a@10.0.0.9", sentTo(ALICE, "BYE").get(0).first("Call-ID"));

        assertEquals(404, proxy.request(parse(pick.replace("pick@carol", "pick2@carol").replace("z9hG4bKpick", "z9hG4bKpick2")
                .replace("nc=00000001", "nc=00000002").replace(resp, digest.response("MD5", new DigestAuthenticator.Secret("pw", Map.of()),
                        "carol", "INVITE", "sip:*8@127.0.0.1", nonce, "auth", "00000002", "c"))), CAROL, System.currentTimeMillis()).status(),
                "nothing rings any more");
    }

    String reinviteFromAlice(String aTo, int cseq, String sdp) {
        return "INVITE sip:b2b@127.0.0.1:5060 SIP/2.0\nVia: SIP/2.0/UDP 10.0.0.9:5070;branch=z9hG4bKre" + cseq + ";rport\n"
                + "Max-Forwards: 70\nFrom: \"Alice\" <sip:alice@box>;tag=a1\nTo: " + aTo + "\nCall-ID: call-a@10.0.0.9\n"
                + "CSeq: " + cseq + " INVITE\nContact: <sip:alice@10.0.0.9:5070>\nContent-Type: application/sdp\nContent-Length: "
                + sdp.replace("\n", "\r\n").length() + "\n\n" + sdp;
    }

    @Test
    void whileTheCallerHoldsTheCalleeHearsTheRelaysMusicUntilResumed() throws Exception {
        int base = 24000 + (int) (ProcessHandle.current().pid() % 200) * 20;
        try (org.besip.pbx.internal.media.MediaRelay relay = new org.besip.pbx.internal.media.MediaRelay(
                new org.besip.pbx.internal.media.MediaRelay.Settings(java.net.InetAddress.getLoopbackAddress(), base, base + 19, 60_000),
                id -> { })) {
            proxy.media(new org.besip.pbx.internal.media.MediaAnchor(relay, "127.0.0.1", org.besip.pbx.internal.media.MediaAnchor.Policy.ALWAYS));
            call("INVITE, ACK, BYE");
            String aTo = lastAnswerTo();
            org.besip.pbx.internal.media.MediaRelay.Session session = relay.get("call-a@10.0.0.9");
            assertNotNull(session, "a B2BUA call is relayed");
            String hold = SDP.replace("m=audio 4000 RTP/AVP 0\n", "m=audio 4000 RTP/AVP 0\na=sendonly\n");
            proxy.request(parse(reinviteFromAlice(aTo, 8, hold)), ALICE, 0);
            assertTrue(relay.playing(session.callee()), "alice holds: bob hears music");
            assertFalse(relay.playing(session.caller()));
            assertTrue(new String(last("INVITE").body(), StandardCharsets.UTF_8).contains("a=sendonly"), "bob is told he is held");
            proxy.response(answer(last("INVITE"), 200, "OK", null, "Contact", "<sip:bob@192.168.1.3:5080>"));
            proxy.request(parse(reinviteFromAlice(aTo, 9, SDP)), ALICE, 0);
            assertFalse(relay.playing(session.callee()), "alice resumes: bob hears her again");
        }
    }

    @Test
    void aCallTheBoxEndsItselfGetsAByeOnEachLegOnItsOwnDialog() {
        SipMessage b = call("INVITE, ACK, BYE");
        // what the call tracker does when the credit runs out or the relay carries nothing: the proxy's hangup
        proxy.hangup("call-a@10.0.0.9", "\"Alice\" <sip:alice@box>;tag=a1", "<sip:alice@10.0.0.9:5070>", ALICE, "<sip:bob@box>;tag=x",
                "<sip:bob@192.168.1.3:5080>");
        SipMessage toAlice = sentTo(ALICE, "BYE").get(0);
        SipMessage toBob = sentTo(BOB, "BYE").get(0);
        assertEquals("call-a@10.0.0.9", toAlice.first("Call-ID"));
        assertEquals(b.first("Call-ID"), toBob.first("Call-ID"), "bob's BYE on the box's dialog with him, not on alice's Call-ID");
        assertEquals("b1", SipMessage.tag(toBob.first("To")));
        assertTrue(toBob.first("Reason").contains("credit exhausted"), toBob.first("Reason"));
        assertEquals(0, b2bua.size());
    }
}
