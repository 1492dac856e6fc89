package org.besip.pbx.internal.call;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.besip.core.api.event.Topics;
import org.besip.pbx.internal.sip.SipMessage;
import org.besip.pbx.internal.sip.SipParseException;
import org.besip.pbx.internal.sip.SipParser;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteDataSource;

class CallTrackerTest {

    record Published(String topic, Map<String, Object> props) {
    }

    static final InetSocketAddress ALICE = new InetSocketAddress("127.0.0.2", 5070);
    static final String OFFER = "v=0\r\no=a 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\n"
            + "m=audio 4000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n";
    static final String ANSWER = "v=0\r\no=b 1 1 IN IP4 127.0.0.3\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n"
            + "m=audio 5000 RTP/AVP 8\r\nc=IN IP4 127.0.0.3\r\na=rtpmap:8 PCMA/8000\r\nm=video 5002 RTP/AVP 96\r\nc=IN IP4 127.0.0.9\r\n";

    @TempDir
    Path dir;
    SQLiteDataSource ds;
    CdrStore cdrs;
    final List<Published> events = new ArrayList<>();
    CallTracker calls;

    @BeforeEach
    void setUp() throws Exception {
        ds = new SQLiteDataSource();
        ds.setUrl("jdbc:sqlite:" + dir.resolve("pbx.db"));
        cdrs = new CdrStore(ds);
        calls = new CallTracker(cdrs, (topic, props) -> events.add(new Published(topic, props)));
    }

    static SipMessage msg(String startLine, String callId, String to, String cseq, String body) {
        String text = startLine + "\r\nVia: SIP/2.0/UDP 127.0.0.2:5070;branch=z9hG4bK1\r\nFrom: <sip:alice@box>;tag=a1\r\nTo: " + to
                + "\r\nCall-ID: " + callId + "\r\nCSeq: " + cseq + "\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        try {
            return SipParser.parse(b, 0, b.length);
        } catch (SipParseException e) {
            throw new AssertionError(e);
        }
    }

    String csv() throws Exception {
        cdrs.close(); // flushes the writer
        StringWriter w = new StringWriter();
        new CdrStore(ds).csv(0, Long.MAX_VALUE, w);
        return w.toString();
    }

    @Test
    void anAnsweredCallHasItsMediaInTheEventsAndOneCdrWithDurationAndHangupSide() throws Exception {
        calls.forwarded(msg("INVITE sip:bob@box SIP/2.0", "c1", "<sip:bob@box>", "1 INVITE", OFFER), null, null, ALICE, 1_000);
        calls.forwarded(msg("INVITE sip:bob@box SIP/2.0", "c1", "<sip:bob@box>", "1 INVITE", OFFER), null, null, ALICE, 1_100); // retransmission
        calls.responded(msg("SIP/2.0 180 Ringing", "c1", "<sip:bob@box>;tag=b1", "1 INVITE", ""), 2_000);
        calls.responded(msg("SIP/2.0 200 OK", "c1", "<sip:bob@box>;tag=b1", "1 INVITE", ANSWER), 3_000);
        assertEquals(1, calls.active());
        calls.forwarded(bye("c1", "b1"), null, null, new InetSocketAddress("127.0.0.3", 5080), 63_500);

        assertEquals(List.of(Topics.CALL_STARTED, Topics.CALL_ANSWERED, Topics.CALL_ENDED), events.stream().map(Published::topic).toList());
        Map<String, Object> answered = events.get(1).props();
        assertEquals("c1", answered.get(Topics.PROP_CALL_ID));
        assertEquals("127.0.0.2:4000", answered.get(Topics.PROP_MEDIA_CALLER));
        assertEquals("127.0.0.3:5000", answered.get(Topics.PROP_MEDIA_CALLEE), "media-level c= wins over the session's");
        assertArrayEquals(new String[] { "0 PCMU/8000", "101 telephone-event/8000", "8 PCMA/8000" },
                (String[]) answered.get(Topics.PROP_PAYLOADS));
        assertNull(events.get(0).props().get(Topics.PROP_MEDIA_CALLEE));
        assertEquals("answered", events.get(2).props().get("disposition"));
        assertEquals(0, calls.active());

        String csv = csv();
        assertEquals("call_id,from_uri,to_uri,source,start_ms,answer_ms,end_ms,duration_s,disposition,hangup,trunk,cost,recording,mos_caller,mos_callee,"
                + "loss_caller,loss_callee,jitter_caller,jitter_callee\r\n"
                + "c1,sip:alice@box,sip:bob@box,127.0.0.2:5070,1000,3000,63500,60,answered,callee,,,,,,,,,\r\n", csv, "a call not relayed: no MOS");
    }

    /** A BYE from the callee: its From carries the callee's tag. */
    static SipMessage bye(String callId, String fromTag) {
        String text = "BYE sip:alice@127.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.3:5080;branch=z9hG4bK9\r\nFrom: <sip:bob@box>;tag="
                + fromTag + "\r\nTo: <sip:alice@box>;tag=a1\r\nCall-ID: " + callId + "\r\nCSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n";
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        try {
            return SipParser.parse(b, 0, b.length);
        } catch (SipParseException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void failedAndRefusedAttemptsAreCdrsToo() throws Exception {
        calls.forwarded(msg("INVITE sip:bob@box SIP/2.0", "c2", "<sip:bob@box>", "1 INVITE", OFFER), null, null, ALICE, 1_000);
        calls.responded(msg("SIP/2.0 486 Busy Here", "c2", "<sip:bob@box>;tag=b1", "1 INVITE", ""), 2_000);
        calls.refused(msg("INVITE sip:nobody@box SIP/2.0", "c3", "<sip:nobody@box>", "1 INVITE", OFFER), 404, ALICE, 3_000);
        calls.refused(msg("OPTIONS sip:nobody@box SIP/2.0", "c4", "<sip:nobody@box>", "1 OPTIONS", ""), 404, ALICE, 3_000);
        calls.refused(msg("INVITE sip:9123@box SIP/2.0", "c9", "<sip:9123@box>", "1 INVITE", OFFER), 407, ALICE, 3_000);
        String csv = csv();
        assertTrue(csv.contains("c2,sip:alice@box,sip:bob@box,127.0.0.2:5070,1000,,2000,0,busy,callee,,,,,,,,,\r\n"), csv);
        assertTrue(csv.contains("c3,sip:alice@box,sip:nobody@box,127.0.0.2:5070,3000,,3000,0,not-found,box,,,,,,,,,\r\n"), csv);
        assertEquals(3, csv.split("\r\n").length, "header and two calls; an OPTIONS is no call, a challenge no end");
    }

    @Test
    void callsHandedToTheNextVersionEndThereWithTheirDurationWhileTheOthersAreInterrupted() throws Exception {
        calls.forwarded(msg("INVITE sip:bob@box SIP/2.0", "h1", "<sip:bob@box>", "1 INVITE", OFFER), "provider", null, ALICE, 1_000);
        calls.responded(msg("SIP/2.0 200 OK", "h1", "<sip:bob@box>;tag=b1", "1 INVITE", ANSWER), 3_000);
        calls.forwarded(msg("INVITE sip:carol@box SIP/2.0", "h2", "<sip:carol@box>", "1 INVITE", OFFER), null, null, ALICE, 4_000); // ringing
        List<CallTracker.Snapshot> handed = calls.handOver();
        assertEquals(List.of("h1", "h2"), handed.stream().map(CallTracker.Snapshot::callId).toList());
        assertEquals(0, calls.active());
        calls.close(); // the old version stops: nothing of what it handed over is closed
        cdrs.close();

        CdrStore before = new CdrStore(ds); // a CDR a crash before left open
        before.started(crashed());
        before.close();
        cdrs = new CdrStore(ds); // the next version: the crash's CDR is interrupted, the handed ones are not
        assertEquals(1, cdrs.closeInterrupted(5_000, java.util.Set.of("h1", "h2")));
        calls = new CallTracker(cdrs, (topic, props) -> events.add(new Published(topic, props)));
        calls.takeOver(handed);
        assertEquals(2, calls.active());
        calls.responded(msg("SIP/2.0 200 OK", "h2", "<sip:carol@box>;tag=c1", "1 INVITE", ANSWER), 6_000); // the late answer
        calls.forwarded(bye("h1", "b1"), null, null, new InetSocketAddress("127.0.0.3", 5080), 63_000);
        calls.forwarded(msg("BYE sip:carol@box SIP/2.0", "h2", "<sip:carol@box>;tag=c1", "2 BYE", ""), null, null, ALICE, 16_000);
        String csv = csv();
        assertTrue(csv.contains("h1,sip:alice@box,sip:bob@box,127.0.0.2:5070,1000,3000,63000,60,answered,callee,provider,"), csv);
        assertTrue(csv.contains("h2,sip:alice@box,sip:carol@box,127.0.0.2:5070,4000,6000,16000,10,answered,caller,,"), csv);
        assertTrue(csv.contains("crashed,sip:x@box,sip:y@box,,0,,5000,0,interrupted,"), csv);
    }

    /** A CDR row a crash left open. */
    private static CallTracker.Call crashed() {
        return new CallTracker.Call("crashed", "sip:x@box", "sip:y@box", null, null, 0);
    }

    @Test
    void callsInProgressAtStopAreInterruptedAndSoAreThoseOfACrashAtTheNextStart() throws Exception {
        calls.forwarded(msg("INVITE sip:bob@box SIP/2.0", "c5", "<sip:bob@box>", "1 INVITE", OFFER), null, null, ALICE, 1_000);
        calls.close();
        calls = new CallTracker(cdrs, (t, p) -> { });
        calls.forwarded(msg("INVITE sip:bob@box SIP/2.0", "c6", "<sip:bob@box>", "1 INVITE", OFFER), null, null, ALICE, 2_000);
        cdrs.close(); // the box dies: c6 was never closed
        CdrStore next = new CdrStore(ds);
        assertEquals(1, next.closeInterrupted(9_000));
        StringWriter w = new StringWriter();
        next.csv(0, Long.MAX_VALUE, w);
        assertTrue(w.toString().contains("c5,") && w.toString().contains(",interrupted,box,,"), w.toString());
        assertTrue(w.toString().contains("c6,sip:alice@box,sip:bob@box,127.0.0.2:5070,2000,,9000,0,interrupted,,,"), w.toString());
    }

    @Test
    void aBoxSharingTheCdrTableClosesOnlyItsOwnUnfinishedCallsAtItsStart() throws Exception {
        CdrStore a = new CdrStore(ds, org.besip.core.api.storage.Dialect.SQLITE, "box-a");
        CdrStore b = new CdrStore(ds, org.besip.core.api.storage.Dialect.SQLITE, "box-b");
        CallTracker atA = new CallTracker(a, (t, p) -> { });
        CallTracker atB = new CallTracker(b, (t, p) -> { });
        atA.forwarded(msg("INVITE sip:bob@box SIP/2.0", "on-a", "<sip:bob@box>", "1 INVITE", OFFER), null, null, ALICE, 1_000);
        atB.forwarded(msg("INVITE sip:bob@box SIP/2.0", "on-b", "<sip:bob@box>", "1 INVITE", OFFER), null, null, ALICE, 1_000);
        a.close();
        b.close();
        CdrStore restartedB = new CdrStore(ds, org.besip.core.api.storage.Dialect.SQLITE, "box-b");
        assertEquals(1, restartedB.closeInterrupted(9_000), "box B restarting closes its own call, not A's, which goes on");
        StringWriter w = new StringWriter();
        restartedB.csv(0, Long.MAX_VALUE, w);
        assertTrue(w.toString().contains("on-b,sip:alice@box,sip:bob@box,127.0.0.2:5070,1000,,9000,0,interrupted"), w.toString());
        assertTrue(w.toString().contains("on-a,sip:alice@box,sip:bob@box,127.0.0.2:5070,1000,,,,"), w.toString());
    }

    @Test
    void aCallThatNeverGetsAFinalAnswerTimesOut() throws Exception {
        calls.forwarded(msg("INVITE sip:bob@box SIP/2.0", "c7", "<sip:bob@box>", "1 INVITE", OFFER), null, null, ALICE, 100_000);
        calls.forwarded(msg("INVITE sip:carol@box SIP/2.0", "c8", "<sip:carol@box>", "1 INVITE", ""), null, null, ALICE,
                100_000 + CallTracker.RING_TIMEOUT_MS + 20_000);
        assertEquals(1, calls.active(), "c7 swept");
        assertTrue(csv().contains("c7,sip:alice@box,sip:bob@box,127.0.0.2:5070,100000,,"));
    }

    @Test
    void spreadsheetFormulasInCdrFieldsAreDefused() throws Exception {
        calls.refused(msg("INVITE sip:x@box SIP/2.0", "=HYPERLINK(\"http://evil\")", "<sip:x@box>", "1 INVITE", ""), 404, ALICE, 1);
        assertTrue(csv().contains("\"'=HYPERLINK(\"\"http://evil\"\")\""), "quoted and prefixed");
    }

    @Test
    void sdpWithoutAudioOrWithGarbageIsNoMedia() {
        assertNull(Sdp.parse("v=0\r\nm=video 5000 RTP/AVP 96\r\nc=IN IP4 1.2.3.4\r\n".getBytes(StandardCharsets.UTF_8)));
        assertNull(Sdp.parse("m=audio many RTP/AVP 0\r\nc=IN IP4 1.2.3.4\r\n".getBytes(StandardCharsets.UTF_8)));
        assertNull(Sdp.parse(new byte[0]));
        assertEquals(new Sdp("1.2.3.4:4000", List.of(), 0, false), Sdp.parse("c=IN IP4 1.2.3.4\nm=audio 4000 RTP/AVP 0\n".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aCallThatFailedOverNamesTheTrunkItWentOutThroughInTheEnd() throws Exception {
        SipMessage invite = msg("INVITE sip:9123@box SIP/2.0", "c7", "<sip:9123@box>", "1 INVITE", OFFER);
        calls.forwarded(invite, "provider", null, ALICE, 1_000);
        calls.rerouted(invite, "other");
        calls.responded(msg("SIP/2.0 200 OK", "c7", "<sip:9123@box>;tag=o1", "1 INVITE", ANSWER), 2_000);
        calls.forwarded(bye("c7", "o1"), null, null, new InetSocketAddress("127.0.0.8", 5060), 4_000);
        String csv = csv();
        assertTrue(csv.contains(",answered,callee,other,"), "the fallback trunk, not the first: " + csv);
    }

    @Test
    void aRelayedCallsEventsNameTheRelaysEndpoints() throws Exception {
        calls.relayed(id -> id.equals("c8") ? new String[] { "10.0.0.1:30000", "10.0.0.1:30002" } : null);
        calls.forwarded(msg("INVITE sip:bob@box SIP/2.0", "c8", "<sip:bob@box>", "1 INVITE", OFFER), null, null, ALICE, 1_000);
        assertArrayEquals(new String[] { "10.0.0.1:30000", "10.0.0.1:30002" }, (String[]) events.get(0).props().get(Topics.PROP_MEDIA_RELAY),
                "the monitoring module finds the call's streams by the relay's ports");
        calls.forwarded(msg("INVITE sip:bob@box SIP/2.0", "c9", "<sip:bob@box>", "1 INVITE", OFFER), null, null, ALICE, 1_000);
        assertNull(events.get(1).props().get(Topics.PROP_MEDIA_RELAY), "a call not relayed has none");
        csv(); // the CDR writer is done before the test's folder goes
    }
}
