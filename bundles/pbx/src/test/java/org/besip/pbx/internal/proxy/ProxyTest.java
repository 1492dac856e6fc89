package org.besip.pbx.internal.proxy;

import org.besip.pbx.internal.transport.Sender;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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
import org.besip.pbx.internal.sip.SipParseException;
import org.besip.pbx.internal.sip.SipParser;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ProxyTest {

    record Sent(SipMessage message, InetSocketAddress to) {
    }

    static final InetSocketAddress ALICE = new InetSocketAddress("127.0.0.2", 5070);
    final List<Sent> sent = new ArrayList<>();
    final LocationService location = new LocationService();
    final ManualClock clock = new ManualClock();
    final List<Integer> upstream = new ArrayList<>();
    final List<SipMessage> answers = new ArrayList<>();
    Proxy proxy;

    /** The transaction timers, run by hand: {@link #advance} runs what falls due, in order. */
    static final class ManualClock implements Transactions.Scheduler {
        record Task(long due, long seq, Runnable run) {
        }

        final java.util.PriorityQueue<Task> tasks = new java.util.PriorityQueue<>(
                java.util.Comparator.comparingLong(Task::due).thenComparingLong(Task::seq));
        long now;
        long seq;

        @Override
        public Runnable schedule(Runnable task, long delayMs) {
            Task t = new Task(now + delayMs, seq++, task);
            tasks.add(t);
            return () -> tasks.remove(t);
        }

        @Override
        public long now() {
            return now;
        }

        void advance(long ms) {
            long until = now + ms;
            while (!tasks.isEmpty() && tasks.peek().due() <= until) {
                Task t = tasks.poll();
                now = t.due();
                t.run().run();
            }
            now = until;
        }
    }

    @BeforeEach
    void setUp() {
        Proxy.Observer seen = answersTo(upstream, answers);
        proxy = new Proxy(location, Set.of("alice", "bob", "carol")::contains, "127.0.0.1", 5060,
                (data, to) -> sent.add(new Sent(parse(data), to)), seen, clock);
        // the transaction tests call local users without authenticating; the policy tests below set DENY
        proxy.policy(new Proxy.Policy(Map.of(), Map.of(), Map.of("101", "bob"), true));
        location.put(new Binding("bob", "sip:bob@127.0.0.3:5080;transport=udp", System.currentTimeMillis() + 60_000, "c1", 1, "phone",
                "127.0.0.3:5080"), System.currentTimeMillis());
    }

    static SipMessage parse(String text) {
        return parse(text.replace("\n", "\r\n").getBytes(StandardCharsets.UTF_8));
    }

    static SipMessage parse(byte[] b) {
        try {
            return SipParser.parse(b, 0, b.length);
        } catch (SipParseException e) {
            throw new AssertionError("the proxy sent something unparseable: " + e.getMessage(), e);
        }
    }

    static String invite(String uri, String extra) {
        return "INVITE " + uri + " SIP/2.0\n"
                + "Via: SIP/2.0/UDP 10.0.0.9:5070;branch=z9hG4bKa1;rport\n"
                + "Max-Forwards: 70\n"
                + "From: <sip:alice@box>;tag=1\n"
                + "To: <sip:bob@box>\n"
                + "Call-ID: call-1\n"
                + "CSeq: 1 INVITE\n"
                + extra
                + "Content-Type: application/sdp\n"
                + "Content-Length: 3\n\nv=0";
    }

    @Test
    void anInviteToARegisteredUserGoesToItsContactWithOurViaAndRecordRoute() {
        assertEquals(100, proxy.request(parse(invite("sip:bob@127.0.0.1", "")), ALICE, System.currentTimeMillis()).status(),
                "100 Trying at once");
        assertEquals(1, sent.size());
        Sent s = sent.get(0);
        assertEquals(new InetSocketAddress("127.0.0.3", 5080), s.to());
        assertEquals("sip:bob@127.0.0.3:5080;transport=udp", s.message().uri());
        List<String> via = s.message().all("Via");
        assertEquals(2, via.size());
        assertTrue(via.get(0).startsWith("SIP/2.0/UDP 127.0.0.1:5060;branch=" + Proxy.BRANCH_PREFIX), via.get(0));
        assertTrue(via.get(1).contains("received=127.0.0.2") && via.get(1).contains("rport=5070"), via.get(1));
        assertTrue(s.message().first("Record-Route").matches("<sip:127\\.0\\.0\\.1:5060;lr;bxd=[0-9a-f]{24}>"),
                "our Record-Route carries the dialog's token: " + s.message().first("Record-Route"));
        assertEquals("69", s.message().first("Max-Forwards"));
        assertEquals("v=0", new String(s.message().body(), StandardCharsets.UTF_8));
    }

    static String cancelOf(String invite) {
        return invite.replace("INVITE sip", "CANCEL sip").replace("1 INVITE", "1 CANCEL").replaceAll("(?s)Content-Type.*", "Content-Length: 0\n\n");
    }

    @Test
    void aCancelIsAnsweredByTheBoxAndGoesToTheBranchOnceItRangWithTheBranchOfItsInvite() {
        String invite = invite("sip:bob@127.0.0.1", "");
        proxy.request(parse(invite), ALICE, 0);
        assertEquals(200, proxy.request(parse(cancelOf(invite)), ALICE, 0).status(), "the box answers the CANCEL itself");
        assertEquals(1, sent.size(), "RFC 3261 §9.1: no CANCEL before the branch answered provisionally");
        SipMessage branch = sent.get(0).message();
        proxy.response(branch.answer(180, "Ringing", "b1"));
        SipMessage cancel = sent.stream().map(Sent::message).filter(m -> "CANCEL".equals(m.method())).findFirst().orElseThrow();
        assertEquals(branch.all("Via").get(0), cancel.all("Via").get(0), "the CANCEL takes the branch of its INVITE");
        assertEquals(1, cancel.all("Via").size());
        assertEquals(branch.uri(), cancel.uri());
        assertNull(cancel.first("Record-Route"), "Record-Route on INVITE only");
        proxy.response(cancel.answer(200, "OK", "b1"));
        int before = sent.size();
        proxy.response(branch.answer(487, "Request Terminated", "b1"));
        List<Sent> after = sent.subList(before, sent.size());
        assertEquals("ACK", after.get(0).message().method(), "the box ACKs the 487 hop by hop");
        assertEquals(branch.all("Via").get(0), after.get(0).message().first("Via"));
        assertEquals(487, after.get(1).message().status());
        assertEquals(ALICE, after.get(1).to());
        int n = sent.size();
        proxy.request(parse(invite.replace("INVITE sip", "ACK sip").replace("1 INVITE", "1 ACK")), ALICE, 0);
        assertEquals(n, sent.size(), "the caller's ACK of the 487 ends at the box");

        proxy.request(parse(invite.replace("z9hG4bKa1", "z9hG4bKa2").replace("call-1", "call-2")), ALICE, 0);
        assertNotEquals(branch.all("Via").get(0), sent.get(sent.size() - 1).message().all("Via").get(0), "a new transaction, a new branch");
    }

    /** The next version's proxy: the same box address and dialog key, its own (empty) transaction table, the same clock. */
    Proxy nextVersion(List<Integer> up) {
        Proxy next = new Proxy(location, Set.of("alice", "bob", "carol")::contains, "127.0.0.1", 5060,
                (data, to) -> sent.add(new Sent(parse(data), to)), answersTo(up), clock);
        next.policy(new Proxy.Policy(Map.of(), Map.of(), Map.of("101", "bob"), true));
        return next;
    }

    /** An observer that writes down the status of each answer the proxy sends upstream, and nothing else. */
    static Proxy.Observer answersTo(List<Integer> up) {
        return answersTo(up, new ArrayList<>());
    }

    /** The same, keeping each answer too. */
    static Proxy.Observer answersTo(List<Integer> up, List<SipMessage> answers) {
        return new Proxy.Observer() {
            @Override
            public void forwarded(SipMessage req, String trunk, org.besip.pbx.internal.call.Prepaid.Decision price, InetSocketAddress source,
                    long now) {
            }

            @Override
            public void refused(SipMessage req, int status, InetSocketAddress source, long now) {
            }

            @Override
            public void responded(SipMessage res, long now) {
                up.add(res.status());
                answers.add(res);
            }
        };
    }

    @Test
    void aRingingInviteHandedToTheNextVersionIsCancelledThereAndItsRetransmissionAnswered() {
        byte[] key = new byte[32];
        proxy.key(key);
        String invite = invite("sip:bob@127.0.0.1", "");
        proxy.request(parse(invite), ALICE, 0);
        SipMessage branch = sent.get(0).message();
        proxy.response(branch.answer(180, "Ringing", "b1"));
        List<PendingInvite> pending = proxy.pendingInvites();
        assertEquals(1, pending.size());

        List<Integer> up = new ArrayList<>();
        Proxy next = nextVersion(up);
        next.key(key);
        assertEquals(1, next.takeOver(pending));
        sent.clear();
        assertEquals(null, next.request(parse(invite), ALICE, 0), "the caller's retransmission is a retransmission to the next version too");
        assertEquals(List.of(180), sent.stream().map(x -> x.message().status()).toList(), "the last provisional answer again");
        sent.clear();
        assertEquals(200, next.request(parse(cancelOf(invite)), ALICE, 0).status(), "the CANCEL names an INVITE the next version knows");
        SipMessage cancel = sent.stream().map(Sent::message).filter(m -> "CANCEL".equals(m.method())).findFirst()
                .orElseThrow(() -> new AssertionError("no CANCEL to the branch: " + sent));
        assertEquals(branch.all("Via").get(0), cancel.first("Via"), "on the branch of the INVITE the previous version sent");
        next.response(cancel.answer(200, "OK", "b1"));
        sent.clear();
        next.response(branch.answer(487, "Request Terminated", "b1"));
        assertEquals("ACK", sent.get(0).message().method(), "the 487 is ACKed hop by hop");
        assertEquals(487, sent.get(1).message().status());
        assertEquals(ALICE, sent.get(1).to());
        assertEquals(List.of(487), up, "the call tracker of the next version sees the final answer");
    }

    @Test
    void aBranchThatNeverAnsweredIsRetransmittedByTheNextVersionAndTimesOut() {
        proxy.request(parse(invite("sip:bob@127.0.0.1", "")), ALICE, 0);
        List<PendingInvite> pending = proxy.pendingInvites();
        assertEquals(0, pending.get(0).branches().get(0).status());
        clock.tasks.clear(); // the old version is gone, and its timers with it (they share this test's clock)
        sent.clear();
        List<Integer> up = new ArrayList<>();
        Proxy next = nextVersion(up);
        assertEquals(1, next.takeOver(pending));
        clock.advance(500);
        assertEquals(1, sent.size(), "Timer A from the takeover");
        assertEquals("INVITE", sent.get(0).message().method());
        clock.advance(32_000);
        assertTrue(sent.stream().anyMatch(x -> x.message().status() == 408 && x.to().equals(ALICE)), "Timer B: 408 to the caller");
        assertEquals(List.of(408), up);
    }

    @Test
    void anInviteWhoseMessagesDoNotParseIsNotTakenOver() {
        PendingInvite p = new PendingInvite("k", "garbage".getBytes(StandardCharsets.US_ASCII), new byte[0], ALICE, false, null, 0, List.of());
        assertEquals(0, proxy.takeOver(List.of(p)));
    }

    @Test
    void overUdpAnInviteIsRetransmittedUntilItRingsAndAnAnswerThatNeverComesIs408() {
        proxy.request(parse(invite("sip:bob@127.0.0.1", "")), ALICE, 0);
        clock.advance(499);
        assertEquals(1, sent.size());
        clock.advance(1);
        assertEquals(2, sent.size(), "Timer A: T1");
        clock.advance(1000);
        assertEquals(3, sent.size(), "Timer A doubles");
        clock.advance(2000);
        assertEquals(4, sent.size());
        clock.advance(32_000 - 3500 - 1);
        assertEquals(List.of(), upstream);
        clock.advance(1);
        Sent timeout = sent.get(sent.size() - 1);
        assertEquals(408, timeout.message().status(), "Timer B: 64*T1 without an answer is 408");
        assertEquals(ALICE, timeout.to());
        assertEquals(1, timeout.message().all("Via").size(), "the caller's own Via only");
        clock.advance(500);
        assertEquals(408, sent.get(sent.size() - 1).message().status(), "Timer G: the 408 again until the caller ACKs");
        int n = sent.size();
        proxy.request(parse(invite("sip:bob@127.0.0.1", "").replace("INVITE sip", "ACK sip").replace("1 INVITE", "1 ACK")), ALICE, 0);
        clock.advance(10_000);
        assertEquals(n, sent.size(), "the ACK ends the retransmissions and goes nowhere");

        sent.clear();
        proxy.request(parse(invite("sip:bob@127.0.0.1", "").replace("z9hG4bKa1", "z9hG4bKb").replace("call-1", "call-b")), ALICE, 0);
        proxy.response(sent.get(0).message().answer(180, "Ringing", "b1"));
        clock.advance(10_000);
        assertEquals(2, sent.size(), "no retransmission once it rang (the 180 went up)");
    }

    @Test
    void aRetransmittedRequestIsAbsorbedAndTheLastAnswerSentAgain() {
        String invite = invite("sip:bob@127.0.0.1", "");
        proxy.request(parse(invite), ALICE, 0);
        assertNull(proxy.request(parse(invite), ALICE, 0));
        Sent again = sent.get(sent.size() - 1);
        assertEquals(100, again.message().status(), "the 100 Trying again, no second INVITE downstream");
        proxy.response(sent.get(0).message().answer(180, "Ringing", "b1"));
        proxy.request(parse(invite), ALICE, 0);
        assertEquals(180, sent.get(sent.size() - 1).message().status());
        assertEquals(1, sent.stream().filter(s -> "INVITE".equals(s.message().method())).count());

        sent.clear();
        String message = invite.replace("INVITE sip", "MESSAGE sip").replace("1 INVITE", "1 MESSAGE").replace("z9hG4bKa1", "z9hG4bKm")
                .replace("call-1", "call-m").replace("application/sdp", "text/plain");
        assertNull(proxy.request(parse(message), ALICE, 0), "no 100 for a non-INVITE");
        clock.advance(500 + 1000 + 2000 + 4000 + 4000);
        assertEquals(6, sent.size(), "Timer E: at 0.5, 1.5, 3.5, 7.5, 11.5 s (doubling up to T2)");
        proxy.response(sent.get(0).message().answer(200, "OK", "m1"));
        assertEquals(200, sent.get(6).message().status());
        proxy.request(parse(message), ALICE, 0);
        assertEquals(200, sent.get(7).message().status(), "a retransmitted MESSAGE gets the 200 again");
        clock.advance(60_000);
        assertEquals(8, sent.size(), "nothing more once answered");
    }

    @Test
    void aCallToAUserRingsEveryContactAndTheFirstAnswerWins() {
        location.put(new Binding("bob", "sip:bob@127.0.0.4:5090", System.currentTimeMillis() + 30_000, "c9", 1, "desk",
                "127.0.0.4:5090"), System.currentTimeMillis());
        proxy.request(parse(invite("sip:bob@127.0.0.1", "")), ALICE, System.currentTimeMillis());
        assertEquals(2, sent.size(), "one INVITE per contact");
        Sent phone = sent.stream().filter(s -> s.to().getPort() == 5080).findFirst().orElseThrow();
        Sent desk = sent.stream().filter(s -> s.to().getPort() == 5090).findFirst().orElseThrow();
        assertNotEquals(phone.message().first("Via"), desk.message().first("Via"), "a branch each");
        proxy.response(phone.message().answer(180, "Ringing", "p"));
        proxy.response(desk.message().answer(486, "Busy Here", "d"));
        assertEquals(List.of(180), upstream, "a failing branch waits for the others");
        proxy.response(phone.message().answer(200, "OK", "p"));
        assertEquals(List.of(180, 200), upstream, "the 486 never reaches the caller");
        assertTrue(sent.stream().anyMatch(s -> "ACK".equals(s.message().method()) && s.to().getPort() == 5090), "the 486 is ACKed");

        sent.clear();
        upstream.clear();
        proxy.request(parse(invite("sip:bob@127.0.0.1", "").replace("z9hG4bKa1", "z9hG4bKc").replace("call-1", "call-c")), ALICE,
                System.currentTimeMillis());
        phone = sent.get(0).to().getPort() == 5080 ? sent.get(0) : sent.get(1);
        desk = sent.get(0).to().getPort() == 5080 ? sent.get(1) : sent.get(0);
        proxy.response(phone.message().answer(180, "Ringing", "p"));
        proxy.response(desk.message().answer(200, "OK", "d"));
        assertTrue(sent.stream().anyMatch(s -> "CANCEL".equals(s.message().method()) && s.to().getPort() == 5080),
                "the answer on the desk cancels the ringing phone");
        proxy.response(phone.message().answer(487, "Request Terminated", "p"));
        assertEquals(List.of(180, 200), upstream, "the cancelled branch's 487 stays in the box");

        upstream.clear();
        proxy.request(parse(invite("sip:bob@127.0.0.1", "").replace("z9hG4bKa1", "z9hG4bKd").replace("call-1", "call-d")), ALICE,
                System.currentTimeMillis());
        List<Sent> branches = sent.subList(sent.size() - 2, sent.size()).stream().toList();
        proxy.response(branches.get(0).message().answer(486, "Busy Here", "x"));
        proxy.response(branches.get(1).message().answer(503, "Service Unavailable", "y"));
        assertEquals(List.of(486), upstream, "the lowest class wins");
        upstream.clear();
        proxy.request(parse(invite("sip:bob@127.0.0.1", "").replace("z9hG4bKa1", "z9hG4bKe").replace("call-1", "call-e")), ALICE,
                System.currentTimeMillis());
        branches = sent.subList(sent.size() - 2, sent.size()).stream().toList();
        proxy.response(branches.get(0).message().answer(603, "Decline", "x"));
        proxy.response(branches.get(1).message().answer(486, "Busy Here", "y"));
        assertEquals(List.of(603), upstream, "a 6xx wins over everything");
        assertTrue(proxy.transactions() > 0);
        clock.advance(60_000);
        assertEquals(0, proxy.transactions(), "finished transactions go once they stop lingering");
    }

    @Test
    void unknownUsersAre404AndUsersWithoutBindings480() {
        withDialPlan();
        assertEquals(407, proxy.request(parse(invite("sip:mallory@127.0.0.1", "")), ALICE, 0).status(),
                "no local user: only an authenticated user learns there is no such number");
        String uri = "sip:mallory@127.0.0.1";
        assertEquals(404, proxy.request(parse(invite(uri, proxyAuth("alice", "pw", "INVITE", uri)).replace("z9hG4bKa1", "z9hG4bKm")), ALICE,
                System.currentTimeMillis()).status());
        assertEquals(480, proxy.request(parse(invite("sip:carol@127.0.0.1", "")), ALICE, 0).status());
        assertNull(proxy.request(parse(invite("sip:carol@127.0.0.1", "").replace("INVITE sip", "ACK sip").replace("1 INVITE", "1 ACK")),
                ALICE, 0), "an ACK is never answered");
        assertEquals(List.of(), sent);
    }

    @Test
    void maxForwardsIsEnforced() {
        assertEquals(483, proxy.request(parse(invite("sip:bob@127.0.0.1", "").replace("Max-Forwards: 70", "Max-Forwards: 0")), ALICE, 0)
                .status());
        assertEquals(400, proxy.request(parse(invite("sip:bob@127.0.0.1", "").replace("Max-Forwards: 70", "Max-Forwards: many")), ALICE,
                0).status());
    }

    /** The Record-Route the box put on the INVITE it sent on: the route set of the dialog. */
    String recordRouteOfCall() {
        proxy.request(parse(invite("sip:bob@127.0.0.1", "")), ALICE, System.currentTimeMillis());
        String rr = sent.get(sent.size() - 1).message().first("Record-Route");
        sent.clear();
        return rr;
    }

    static String inDialog(String method, String uri, String route, String from, String to) {
        return invite(uri, route == null ? "" : "Route: " + route + "\n").replace("INVITE sip", method + " sip").replace("1 INVITE", "2 " + method)
                .replace("z9hG4bKa1", "z9hG4bK" + method).replace("From: <sip:alice@box>;tag=1", "From: " + from)
                .replace("To: <sip:bob@box>", "To: " + to);
    }

    @Test
    void ourRouteIsRemovedAndTheNextRouteFollowed() {
        String rr = recordRouteOfCall();
        String bye = inDialog("BYE", "sip:bob@127.0.0.3:5080", rr + ", <sip:127.0.0.4:5090;lr>", "<sip:alice@box>;tag=1",
                "<sip:bob@box>;tag=b1");
        proxy.request(parse(bye), ALICE, 0);
        Sent s = sent.get(0);
        assertEquals(new InetSocketAddress("127.0.0.4", 5090), s.to());
        assertEquals(List.of("<sip:127.0.0.4:5090;lr>"), s.message().all("Route"));
        assertEquals("sip:bob@127.0.0.3:5080", s.message().uri(), "loose routing keeps the Request-URI");
    }

    @Test
    void aRequestThatWouldComeBackToUsIsALoop() {
        String looped = invite("sip:bob@127.0.0.1", "Route: <sip:127.0.0.1:5060;lr>, <sip:127.0.0.1:5060;lr>\n");
        assertEquals(482, proxy.request(parse(looped), ALICE, 0).status());
    }

    @Test
    void aResponseGoesBackAlongTheViaPathAndOnlyWhenTheTopViaIsOurs() {
        proxy.request(parse(invite("sip:bob@127.0.0.1", "")), ALICE, 0);
        SipMessage forwarded = sent.get(0).message();
        SipMessage ringing = forwarded.answer(180, "Ringing", "b1");
        proxy.response(ringing);
        Sent back = sent.get(1);
        assertEquals(new InetSocketAddress("127.0.0.2", 5070), back.to(), "received and rport, not the Via's sent-by");
        assertEquals(1, back.message().all("Via").size());
        assertEquals(180, back.message().status());

        SipMessage stray = parse("SIP/2.0 200 OK\nVia: SIP/2.0/UDP 127.0.0.9:5060;branch=z9hG4bKx\nVia: SIP/2.0/UDP 127.0.0.2:5070;branch=z9hG4bKy\n"
                + "From: <sip:a@b>;tag=1\nTo: <sip:b@b>;tag=2\nCall-ID: x\nCSeq: 1 INVITE\nContent-Length: 0\n\n");
        proxy.response(stray);
        assertEquals(2, sent.size(), "a response whose top Via is not ours is dropped");
    }

    @Test
    void namesAreNeverResolvedOnTheSignallingPath() {
        location.put(new Binding("carol", "sip:carol@phone.example.com:5060", System.currentTimeMillis() + 60_000, "c2", 1, "phone", null),
                System.currentTimeMillis());
        assertEquals(480, proxy.request(parse(invite("sip:carol@127.0.0.1", "")), ALICE, System.currentTimeMillis()).status(),
                "a named contact without the flow it registered on is unreachable: no DNS on the transport thread");
        location.put(new Binding("carol", "sip:carol@phone.example.com:5060", System.currentTimeMillis() + 60_000, "c3", 1, "phone",
                "127.0.0.5:5060"), System.currentTimeMillis());
        assertEquals(100, proxy.request(parse(invite("sip:carol@127.0.0.1", "").replace("z9hG4bKa1", "z9hG4bKn")), ALICE,
                System.currentTimeMillis()).status());
        assertEquals(new InetSocketAddress("127.0.0.5", 5060), sent.get(0).to(), "with its flow it is reached there, still no lookup");
    }

    @Test
    void aPhoneBehindNatIsCalledWhereItsRegisterCameFromAndKeptAlive() {
        Binding natted = new Binding("carol", "sip:carol@192.168.1.20:5060", System.currentTimeMillis() + 60_000, "c4", 1, "phone",
                "198.51.100.7:40123");
        location.put(natted, System.currentTimeMillis());
        proxy.request(parse(invite("sip:carol@127.0.0.1", "")), ALICE, System.currentTimeMillis());
        assertEquals(new InetSocketAddress("198.51.100.7", 40123), sent.get(0).to(), "the NAT's mapping, not the private Contact");
        assertEquals("sip:carol@192.168.1.20:5060", sent.get(0).message().uri(), "the Request-URI is the phone's own Contact");
        String rr = sent.get(0).message().first("Record-Route");
        proxy.request(parse(inDialog("ACK", "sip:carol@192.168.1.20:5060", rr, "<sip:alice@box>;tag=1", "<sip:carol@box>;tag=c1")), ALICE,
                System.currentTimeMillis());
        assertEquals(new InetSocketAddress("198.51.100.7", 40123), sent.get(1).to(),
                "in the dialog too: the remote target is the phone's Contact, reached on its flow");
        assertTrue(Proxy.natted(natted));
        assertTrue(!Proxy.natted(location.lookup("bob", System.currentTimeMillis()).get(0)), "bob registered from his Contact");

        proxy.keepAlive(natted);
        Sent ping = sent.get(sent.size() - 1);
        assertEquals(new InetSocketAddress("198.51.100.7", 40123), ping.to());
        assertEquals("OPTIONS", ping.message().method());
        assertTrue(ping.message().first("Via").startsWith("SIP/2.0/UDP 127.0.0.1:5060;branch=" + Proxy.BRANCH_PREFIX));
        int before = sent.size();
        proxy.response(ping.message().answer(200, "OK", "p"));
        assertEquals(before, sent.size(), "the phone's answer to a keep-alive ends at the box");

        List<String> streamed = new ArrayList<>();
        Proxy overTcp = new Proxy(location, Set.of("dave")::contains, "127.0.0.1", 5060, new Sender() {
            @Override
            public void send(byte[] data, InetSocketAddress to) {
                streamed.add("udp " + to);
            }

            @Override
            public void sendBack(byte[] data, InetSocketAddress to, boolean stream) {
                streamed.add((stream ? "tcp " : "udp ") + to + " " + new String(data, StandardCharsets.US_ASCII).replace("\r\n", "CRLF"));
            }
        });
        overTcp.keepAlive(new Binding("dave", "sip:dave@10.0.0.5:5060;transport=tcp", System.currentTimeMillis() + 60_000, "c5", 1, "phone",
                "198.51.100.8:50000"));
        assertEquals(List.of("tcp /198.51.100.8:50000 CRLFCRLF"), streamed, "RFC 5626: a CRLF pair on the phone's connection");
    }

    // ---- calls out through a trunk ----

    final DigestAuthenticator digest = new DigestAuthenticator("besip", 300_000, List.of("MD5"));
    final List<String> failures = new ArrayList<>();
    int nc = 1;

    void withDialPlan() {
        DialPlan.Trunk provider = new DialPlan.Trunk("provider", new InetSocketAddress("127.0.0.7", 5099));
        DialPlan.Trunk other = new DialPlan.Trunk("other", new InetSocketAddress("127.0.0.8", 5060));
        proxy.outbound(new Proxy.Outbound(new DialPlan(List.of(new DialPlan.Route("9", provider, 1, "00420"),
                new DialPlan.Route("900", other, 0, null))), digest,
                Map.of("alice", new DigestAuthenticator.Secret("pw", Map.of()))::get, (src, why) -> failures.add(src + " " + why)));
    }

    String proxyAuth(String user, String password, String method, String uri) {
        String nonce = digest.nonce(System.currentTimeMillis());
        String count = String.format("%08x", nc++);
        String resp = digest.response("MD5", new DigestAuthenticator.Secret(password, Map.of()), user, method, uri, nonce, "auth", count, "c");
        return "Proxy-Authorization: Digest username=\"" + user + "\", realm=\"besip\", nonce=\"" + nonce + "\", uri=\"" + uri
                + "\", response=\"" + resp + "\", algorithm=MD5, qop=auth, nc=" + count + ", cnonce=\"c\"\n";
    }

    @Test
    void aCallToANumberIsChallengedAndNeverLeavesWithoutCredentials() {
        withDialPlan();
        SipMessage r = proxy.request(parse(invite("sip:9123456@127.0.0.1", "")), ALICE, System.currentTimeMillis());
        assertEquals(407, r.status());
        assertTrue(r.first("Proxy-Authenticate").startsWith("Digest realm=\"besip\""), r.first("Proxy-Authenticate"));
        assertEquals(List.of(), sent);
        assertEquals(List.of(), failures, "no credentials is no failure");

        r = proxy.request(parse(invite("sip:9123456@127.0.0.1", proxyAuth("alice", "guess", "INVITE", "sip:9123456@127.0.0.1"))), ALICE,
                System.currentTimeMillis());
        assertEquals(407, r.status());
        assertEquals(List.of("127.0.0.2 wrong credentials"), failures);
        assertEquals(List.of(), sent);
    }

    @Test
    void anAuthenticatedCallTakesTheLongestPrefixWithItsDigitManipulation() {
        withDialPlan();
        String uri = "sip:9123456@127.0.0.1";
        assertEquals(100, proxy.request(parse(invite(uri, proxyAuth("alice", "pw", "INVITE", uri))), ALICE, System.currentTimeMillis()).status());
        assertEquals(new InetSocketAddress("127.0.0.7", 5099), sent.get(0).to());
        assertEquals("sip:00420123456@127.0.0.7:5099", sent.get(0).message().uri());

        uri = "sip:9001@127.0.0.1";
        assertEquals(100, proxy.request(parse(invite(uri, proxyAuth("alice", "pw", "INVITE", uri)).replace("z9hG4bKa1", "z9hG4bKa9")), ALICE,
                System.currentTimeMillis()).status());
        assertEquals(new InetSocketAddress("127.0.0.8", 5060), sent.get(1).to());
        assertEquals("sip:9001@127.0.0.8:5060", sent.get(1).message().uri());

        uri = "sip:123@127.0.0.1";
        assertEquals(404, proxy.request(parse(invite(uri, proxyAuth("alice", "pw", "INVITE", uri)).replace("z9hG4bKa1", "z9hG4bKa8")), ALICE,
                System.currentTimeMillis()).status(), "no route for 1…");
    }

    @Test
    void credentialsOfOneUserCannotCallAsAnother() {
        withDialPlan();
        String uri = "sip:9123@127.0.0.1";
        String asBob = invite(uri, proxyAuth("alice", "pw", "INVITE", uri)).replace("From: <sip:alice@box>", "From: <sip:bob@box>");
        assertEquals(403, proxy.request(parse(asBob), ALICE, System.currentTimeMillis()).status());
        assertEquals(List.of(), sent);
    }

    @Test
    void aCancelForNoInviteOfTheBoxIsRefusedAndGoesNowhere() {
        withDialPlan();
        String cancel = invite("sip:9123@127.0.0.1", "").replace("INVITE sip", "CANCEL sip").replace("1 INVITE", "1 CANCEL");
        assertEquals(481, proxy.request(parse(cancel), ALICE, 0).status());
        assertEquals(List.of(), sent);
    }

    @Test
    void inADialogTheBoxRecordRoutedTheRequestUriIsTheTarget() {
        withDialPlan();
        String uri = "sip:9123@127.0.0.1";
        proxy.request(parse(invite(uri, proxyAuth("alice", "pw", "INVITE", uri))), ALICE, System.currentTimeMillis());
        String rr = sent.get(0).message().first("Record-Route");
        sent.clear();
        String bye = inDialog("BYE", "sip:00420123@127.0.0.7:5099", rr, "<sip:alice@box>;tag=1", "<sip:9123@box>;tag=t9");
        assertNull(proxy.request(parse(bye), ALICE, 0), "no challenge inside the dialog");
        assertEquals(new InetSocketAddress("127.0.0.7", 5099), sent.get(0).to());

        String byeFromTheFarEnd = inDialog("BYE", "sip:alice@127.0.0.2:5070", rr, "<sip:9123@box>;tag=t9", "<sip:alice@box>;tag=1")
                .replace("z9hG4bKBYE", "z9hG4bKfar");
        assertNull(proxy.request(parse(byeFromTheFarEnd), new InetSocketAddress("127.0.0.7", 5099), 0));
        assertEquals(new InetSocketAddress("127.0.0.2", 5070), sent.get(1).to(), "the dialog's token holds both ways");
        String prack = inDialog("PRACK", "sip:00420123@127.0.0.7:5099", rr, "<sip:alice@box>;tag=1", "<sip:9123@box>;tag=t9");
        assertNull(proxy.request(parse(prack), ALICE, 0));
        assertEquals(new InetSocketAddress("127.0.0.7", 5099), sent.get(2).to(), "a PRACK (RFC 3262) follows the early dialog");
    }

    // ---- the routing policy: default deny ----

    static final InetSocketAddress MALLORY = new InetSocketAddress("127.0.0.66", 5060);
    static final InetSocketAddress PROVIDER = new InetSocketAddress("127.0.0.7", 5099);

    void deny() {
        withDialPlan();
        proxy.policy(new Proxy.Policy(Map.of(PROVIDER, "provider"), Map.of(), Map.of("101", "bob"), false));
    }

    static String from(String invite, String user) {
        return invite.replace("From: <sip:alice@box>", "From: <sip:" + user + "@evil.example>");
    }

    @Test
    void aStrangerWithAPreloadedRouteToAForeignHostIsRefused403AndNothingLeaves() {
        deny();
        SipMessage r = proxy.request(parse(from(invite("sip:bob@127.0.0.1", "Route: <sip:127.0.0.9:5099;lr>\n"), "mallory")), MALLORY, 0);
        assertEquals(403, r.status());
        assertEquals(List.of(), sent, "the open relay is closed");
        assertEquals(List.of("127.0.0.66 refused: pre-loaded Route to 127.0.0.9:5099"), failures, "reported with the source");
        String ownRouteFirst = invite("sip:bob@127.0.0.1", "Route: <sip:127.0.0.1:5060;lr>, <sip:127.0.0.9:5099;lr>\n");
        assertEquals(403, proxy.request(parse(from(ownRouteFirst, "mallory").replace("z9hG4bKa1", "z9hG4bKr2")), MALLORY, 0).status(),
                "our own Route first changes nothing");
        assertEquals(List.of(), sent);
    }

    @Test
    void aStrangerCallingALocalUserOrAForeignUriIsChallengedAndNothingLeaves() {
        deny();
        assertEquals(407, proxy.request(parse(from(invite("sip:bob@127.0.0.1", ""), "mallory")), MALLORY, 0).status());
        assertEquals(407, proxy.request(parse(from(invite("sip:101@127.0.0.1", ""), "mallory").replace("z9hG4bKa1", "z9hG4bKe")), MALLORY, 0)
                .status(), "the extension too");
        assertEquals(407, proxy.request(parse(from(invite("sip:premium@127.0.0.9:5099", ""), "mallory").replace("z9hG4bKa1", "z9hG4bKf")),
                MALLORY, 0).status(), "a foreign Request-URI");
        for (String method : List.of("MESSAGE", "SUBSCRIBE", "REFER", "PUBLISH", "OPTIONS")) {
            String req = from(invite("sip:bob@127.0.0.1", ""), "mallory").replace("INVITE sip", method + " sip").replace("1 INVITE", "1 " + method)
                    .replace("z9hG4bKa1", "z9hG4bK" + method);
            assertEquals(407, proxy.request(parse(req), MALLORY, 0).status(), method);
        }
        assertEquals(List.of(), sent);
    }

    @Test
    void anAuthenticatedLocalUserCallsAnotherByNameOrExtension() {
        deny();
        String uri = "sip:101@127.0.0.1";
        assertEquals(100, proxy.request(parse(invite(uri, proxyAuth("alice", "pw", "INVITE", uri))), ALICE, System.currentTimeMillis()).status());
        assertEquals(new InetSocketAddress("127.0.0.3", 5080), sent.get(0).to(), "extension 101 is bob");
        assertNull(sent.get(0).message().first("Proxy-Authorization"), "the credentials were for the box");
    }

    @Test
    void aTrunkCallsLocalUsersWithoutAChallengeButIsNeverRoutedOut() {
        deny();
        assertEquals(100, proxy.request(parse(from(invite("sip:101@127.0.0.1", ""), "caller")), PROVIDER, 0).status());
        assertEquals(new InetSocketAddress("127.0.0.3", 5080), sent.get(0).to());
        assertEquals(404, proxy.request(parse(from(invite("sip:9123@127.0.0.1", ""), "caller").replace("z9hG4bKa1", "z9hG4bKt")
                .replace("To: <sip:bob@box>", "To: <sip:9123@box>")), PROVIDER, 0).status(), "trunk to trunk: no relay");
        assertEquals(403, proxy.request(parse(from(invite("sip:bob@127.0.0.1", "Route: <sip:127.0.0.8:5060;lr>\n"), "caller")
                .replace("z9hG4bKa1", "z9hG4bKu")), PROVIDER, 0).status(), "no pre-loaded Route from a trunk");
        assertEquals(407, proxy.request(parse(from(invite("sip:bob@127.0.0.1", ""), "caller").replace("z9hG4bKa1", "z9hG4bKv")),
                new InetSocketAddress("127.0.0.7", 5098), 0).status(), "the trunk's address, not its host on another port");
        assertEquals(1, sent.size());
    }

    @Test
    void aPreloadedRouteIsFollowedOnlyForAnAuthenticatedUserAndOnlyToATrunk() {
        deny();
        String uri = "sip:bob@127.0.0.1";
        String toTrunk = invite(uri, "Route: <sip:127.0.0.7:5099;lr>\n" + proxyAuth("alice", "pw", "INVITE", uri));
        assertEquals(100, proxy.request(parse(toTrunk), ALICE, System.currentTimeMillis()).status());
        assertEquals(PROVIDER, sent.get(0).to());
        String toStranger = invite(uri, "Route: <sip:127.0.0.9:5099;lr>\n" + proxyAuth("alice", "pw", "INVITE", uri)).replace("z9hG4bKa1", "z9hG4bKs");
        assertEquals(403, proxy.request(parse(toStranger), ALICE, System.currentTimeMillis()).status());
        assertEquals(1, sent.size());
    }

    @Test
    void inDialogRequestsForADialogTheBoxNeverRecordRoutedAre481() {
        deny();
        String noRoute = from(inDialog("BYE", "sip:premium@127.0.0.9:5099", null, "<sip:mallory@evil.example>;tag=m", "<sip:bob@box>;tag=b"),
                "mallory");
        assertEquals(481, proxy.request(parse(noRoute), MALLORY, 0).status());
        String forgedRoute = inDialog("INVITE", "sip:premium@127.0.0.9:5099", "<sip:127.0.0.1:5060;lr>", "<sip:mallory@evil.example>;tag=m",
                "<sip:bob@box>;tag=b");
        assertEquals(481, proxy.request(parse(forgedRoute), MALLORY, 0).status(), "our Route without the dialog's token");
        String wrongToken = inDialog("INFO", "sip:premium@127.0.0.9:5099", "<sip:127.0.0.1:5060;lr;bxd=000000000000000000000000>",
                "<sip:mallory@evil.example>;tag=m", "<sip:bob@box>;tag=b");
        assertEquals(481, proxy.request(parse(wrongToken), MALLORY, 0).status(), "a token of another dialog");
        assertNull(proxy.request(parse(inDialog("ACK", "sip:premium@127.0.0.9:5099", null, "<sip:m@e>;tag=m", "<sip:bob@box>;tag=b")),
                MALLORY, 0), "an ACK is dropped, never answered");
        assertEquals(List.of(), sent);
        assertEquals(4, failures.size(), "each refusal reported with its source: " + failures);
    }

    // ---- a real provider: its challenge on INVITE, its DIDs ----

    void provider(String defaultUser) {
        withDialPlan();
        proxy.policy(new Proxy.Policy(Map.of(PROVIDER, "provider"), Map.of(), Map.of("101", "bob"), false,
                Map.of("provider", new Proxy.Credentials("besiptrunk", "s3cretPW")), Map.of("15551230001", "bob"), defaultUser));
    }

    static SipMessage challenge(SipMessage forwarded, int status) {
        SipMessage c = forwarded.answer(status, status == 407 ? "Proxy Authentication Required" : "Unauthorized", "p1");
        c.headers().add(new SipMessage.Header(status == 407 ? "Proxy-Authenticate" : "WWW-Authenticate",
                "Digest realm=\"provider.test\", nonce=\"n0nce\", qop=\"auth\", algorithm=MD5"));
        return c;
    }

    @Test
    void aProvidersChallengeOnInviteIsAnsweredWithTheTrunksAccountOnceAndNeverReachesTheCaller() {
        provider(null);
        String uri = "sip:9123456@127.0.0.1";
        proxy.request(parse(invite(uri, proxyAuth("alice", "pw", "INVITE", uri))), ALICE, System.currentTimeMillis());
        SipMessage first = sent.get(0).message();
        proxy.response(challenge(first, 407));
        assertEquals("ACK", sent.get(1).message().method(), "the provider's 407 is ACKed hop by hop");
        SipMessage again = sent.get(2).message();
        assertEquals("INVITE", again.method());
        assertEquals(PROVIDER, sent.get(2).to());
        assertEquals(first.first("CSeq"), again.first("CSeq"), "the same CSeq: the caller's ACK and CANCEL still match");
        assertNotEquals(first.first("Via"), again.first("Via"), "a new branch");
        String creds = again.first("Proxy-Authorization");
        assertTrue(creds.startsWith("Digest username=\"besiptrunk\", realm=\"provider.test\", nonce=\"n0nce\", uri=\"sip:00420123456@127.0.0.7:5099\""),
                creds);
        String expected = DigestAuthenticator.answer("Digest realm=\"provider.test\", nonce=\"n0nce\", qop=\"auth\", algorithm=MD5",
                "besiptrunk", "s3cretPW", "INVITE", "sip:00420123456@127.0.0.7:5099", 1, creds.replaceAll(".*cnonce=\"([^\"]+)\".*", "$1"));
        assertEquals(expected, creds, "the digest of the trunk's account, nc 1");
        assertEquals(List.of(), upstream.stream().filter(st -> st == 407).toList(), "the caller never sees the provider's challenge");

        proxy.response(challenge(again, 407));
        assertEquals(List.of(403), upstream.stream().filter(st -> st >= 300).toList(), "a second challenge: the provider said no");
    }

    @Test
    void aTrunksCallIsRoutedByItsDidInTheRequestUriOrInTo() {
        provider(null);
        String viaContact = from(invite("sip:besiptrunk@127.0.0.1:5060", ""), "pstn").replace("To: <sip:bob@box>",
                "To: <sip:15551230001@provider.test>");
        assertEquals(100, proxy.request(parse(viaContact), PROVIDER, 0).status());
        assertEquals(new InetSocketAddress("127.0.0.3", 5080), sent.get(0).to(), "the DID in To rings bob");
        String unknown = from(invite("sip:15550000000@127.0.0.1", ""), "pstn").replace("z9hG4bKa1", "z9hG4bKd2").replace("To: <sip:bob@box>",
                "To: <sip:15550000000@provider.test>");
        assertEquals(404, proxy.request(parse(unknown), PROVIDER, 0).status(), "no DID, no default: 404");

        provider("bob");
        assertEquals(100, proxy.request(parse(unknown.replace("z9hG4bKd2", "z9hG4bKd3")), PROVIDER, 0).status(), "the default user");
        assertEquals(new InetSocketAddress("127.0.0.3", 5080), sent.get(1).to());
    }

    // ---- a route with fallback trunks ----

    static final InetSocketAddress OTHER = new InetSocketAddress("127.0.0.8", 5060);

    /** Numbers starting with 9 go out through provider, then through other when provider fails. */
    String callOutWithFallback() {
        DialPlan.Trunk provider = new DialPlan.Trunk("provider", PROVIDER);
        DialPlan.Trunk other = new DialPlan.Trunk("other", OTHER);
        proxy.outbound(new Proxy.Outbound(new DialPlan(List.of(new DialPlan.Route("9", provider, 1, "00420", List.of(other)))), digest,
                Map.of("alice", new DigestAuthenticator.Secret("pw", Map.of()))::get, (src, why) -> failures.add(src + " " + why)));
        String uri = "sip:9123456@127.0.0.1";
        assertEquals(100, proxy.request(parse(invite(uri, proxyAuth("alice", "pw", "INVITE", uri))), ALICE, clock.now()).status());
        assertEquals(PROVIDER, sent.get(0).to());
        return uri;
    }

    @Test
    void aCallOutFailsOverToTheNextTrunkOn5xxAndTheCallerSeesOnlyTheAnswer() {
        callOutWithFallback();
        SipMessage first = sent.get(0).message();
        proxy.response(first.answer(503, "Service Unavailable", "p"));
        assertEquals("ACK", sent.get(1).message().method(), "the provider's 503 ACKed hop by hop");
        Sent again = sent.get(2);
        assertEquals(OTHER, again.to(), "on to the fallback trunk");
        assertEquals("sip:00420123456@127.0.0.8:5060", again.message().uri());
        assertEquals(first.first("CSeq"), again.message().first("CSeq"));
        proxy.response(again.message().answer(200, "OK", "o"));
        assertEquals(List.of(200), upstream.stream().filter(st -> st >= 200).toList(), "the caller never saw the 503");
    }

    @Test
    void anUnreachableTrunkFailsOverAfterTimerBAndABusyCalleeDoesNot() {
        callOutWithFallback();
        clock.advance(32_000);
        Sent again = sent.stream().filter(x -> x.to().equals(OTHER)).findFirst().orElseThrow(() -> new AssertionError("no failover: " + sent));
        assertEquals("INVITE", again.message().method());
        assertEquals(List.of(), upstream.stream().filter(st -> st >= 200).toList(), "no 408 to the caller: the next trunk is tried");
        proxy.response(again.message().answer(486, "Busy Here", "o"));
        assertEquals(List.of(486), upstream.stream().filter(st -> st >= 200).toList(), "a 486 is the callee's answer: no further trunk");
    }

    @Test
    void aBusyAnswerFromTheFirstTrunkEndsTheCallWithoutTryingTheNext() {
        callOutWithFallback();
        proxy.response(sent.get(0).message().answer(486, "Busy Here", "p"));
        assertTrue(sent.stream().noneMatch(x -> x.to().equals(OTHER)), "no INVITE to the fallback: " + sent);
        assertEquals(List.of(486), upstream.stream().filter(st -> st >= 200).toList());
    }

    // ---- what calls present: caller-id per trunk, display names ----

    @Test
    void aCallOutPresentsTheTrunksCallerIdAndTheUsersDisplayNameAndTheCallerSeesItsOwnFrom() {
        List<String> failed = new ArrayList<>();
        proxy.outbound(new Proxy.Outbound(new DialPlan(List.of(new DialPlan.Route("9", new DialPlan.Trunk("provider", PROVIDER), 1, "00420"))),
                digest, Map.of("alice", new DigestAuthenticator.Secret("pw", Map.of()))::get, (src, why) -> failures.add(src + " " + why), null,
                failed::add));
        proxy.policy(new Proxy.Policy(Map.of(PROVIDER, "provider"), Map.of(), Map.of("101", "bob"), false)
                .presenting(Map.of("alice", "Alice \"Al\" Example"), Map.of("provider", new Proxy.Identity("15551230001", "provider.test"))));
        String uri = "sip:9123456@127.0.0.1";
        String invite = invite(uri, proxyAuth("alice", "pw", "INVITE", uri) + "P-Asserted-Identity: <sip:ceo@box>\n")
                .replace("From: <sip:alice@box>;tag=1", "From: \"The CEO\" <sip:alice@box>;tag=1");
        assertEquals(100, proxy.request(parse(invite), ALICE, clock.now()).status());
        SipMessage out = sent.get(0).message();
        assertEquals("\"Alice \\\"Al\\\" Example\" <sip:15551230001@provider.test>;tag=1", out.first("From"),
                "the trunk's caller-id, the configured display name (quoted), the caller's tag");
        assertEquals(List.of("\"Alice \\\"Al\\\" Example\" <sip:15551230001@provider.test>"), out.all("P-Asserted-Identity"),
                "the box asserts the identity to the provider; the phone's own assertion is gone");
        proxy.response(out.answer(180, "Ringing", "p"));
        proxy.response(out.answer(503, "Service Unavailable", "p"));
        assertEquals(List.of(180, 500), upstream, "a 503 goes upstream as 500 (RFC 3261 §16.7)");
        for (SipMessage a : answers) {
            assertEquals("\"The CEO\" <sip:alice@box>;tag=1", a.first("From"), "the caller's phone sees the From it sent");
        }
        assertEquals(List.of("provider"), failed, "a failed call out is reported for the trunk (its DNS name is asked again)");
    }

    @Test
    void aCallToAUserCarriesTheCallersConfiguredDisplayNameAndNoAssertedIdentity() {
        withDialPlan();
        proxy.policy(new Proxy.Policy(Map.of(), Map.of(), Map.of("101", "bob"), false).presenting(Map.of("alice", "Alice Example"), Map.of()));
        String uri = "sip:bob@127.0.0.1";
        String invite = invite(uri, proxyAuth("alice", "pw", "INVITE", uri) + "P-Preferred-Identity: <sip:ceo@box>\n")
                .replace("From: <sip:alice@box>;tag=1", "From: \"The CEO\" <sip:alice@box>;tag=1");
        assertEquals(100, proxy.request(parse(invite), ALICE, clock.now()).status());
        SipMessage out = sent.get(0).message();
        assertEquals("\"Alice Example\" <sip:alice@box>;tag=1", out.first("From"), "the name the operator gave, not the phone's");
        assertNull(out.first("P-Preferred-Identity"));
        assertNull(out.first("P-Asserted-Identity"));
    }

    @Test
    void aTrunkWhoseNameIsNotResolvedYetIsAnswered503WithRetryAfter() {
        proxy.outbound(new Proxy.Outbound(new DialPlan(List.of(new DialPlan.Route("9", new DialPlan.Trunk("provider", null), 1, "00420"))),
                digest, Map.of("alice", new DigestAuthenticator.Secret("pw", Map.of()))::get, (src, why) -> failures.add(src + " " + why)));
        proxy.policy(new Proxy.Policy(Map.of(), Map.of(), Map.of(), false));
        String uri = "sip:9123456@127.0.0.1";
        SipMessage answer = proxy.request(parse(invite(uri, proxyAuth("alice", "pw", "INVITE", uri))), ALICE, clock.now());
        assertEquals(503, answer.status());
        assertEquals("10", answer.first("Retry-After"));
        assertEquals(List.of(), sent);
    }

    @Test
    void theSrvTargetsOfATrunkAreTriedInOrderBeforeTheNextTrunk() {
        // the dial plan the component builds for a trunk whose name has two SRV targets, with a fallback trunk
        InetSocketAddress second = new InetSocketAddress("127.0.0.17", 5070);
        DialPlan plan = org.besip.pbx.internal.component.PlanAccess.plan("9", "provider", List.of("other"),
                Map.of("provider", List.of(PROVIDER, second), "other", List.of(OTHER)));
        proxy.outbound(new Proxy.Outbound(plan, digest, Map.of("alice", new DigestAuthenticator.Secret("pw", Map.of()))::get,
                (src, why) -> failures.add(src + " " + why)));
        proxy.policy(new Proxy.Policy(Map.of(PROVIDER, "provider", second, "provider", OTHER, "other"), Map.of(), Map.of(), false));
        String uri = "sip:9123456@127.0.0.1";
        assertEquals(100, proxy.request(parse(invite(uri, proxyAuth("alice", "pw", "INVITE", uri))), ALICE, clock.now()).status());
        assertEquals(PROVIDER, sent.get(0).to());
        proxy.response(sent.get(0).message().answer(503, "Service Unavailable", "p"));
        Sent next = sent.stream().filter(x -> x.message().method().equals("INVITE") && !x.to().equals(PROVIDER)).findFirst().orElseThrow();
        assertEquals(second, next.to(), "the trunk's second SRV target first");
        proxy.response(next.message().answer(500, "Server Internal Error", "q"));
        Sent last = sent.stream().filter(x -> x.message().method().equals("INVITE") && x.to().equals(OTHER)).findFirst().orElseThrow();
        assertEquals("sip:00420123456@127.0.0.8:5060", last.message().uri(), "then the fallback trunk");
    }
}
