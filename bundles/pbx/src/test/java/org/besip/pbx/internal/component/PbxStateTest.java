package org.besip.pbx.internal.component;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.besip.pbx.internal.call.CallTracker;
import org.besip.pbx.internal.call.Prepaid;
import org.besip.pbx.internal.media.MediaRelay;
import org.besip.pbx.internal.proxy.B2bua;
import org.besip.pbx.internal.proxy.PendingInvite;
import org.besip.pbx.internal.proxy.TrunkRegistration;
import org.junit.jupiter.api.Test;

class PbxStateTest {

    static PbxState sample() {
        byte[] dialog = new byte[32];
        byte[] nonce = new byte[32];
        Arrays.fill(dialog, (byte) 1);
        Arrays.fill(nonce, (byte) 2);
        CallTracker.Snapshot ringing = new CallTracker.Snapshot("c1@h", "sip:alice@box", "sip:bob@box", "127.0.0.2:5070", "a1", 1000, null, 0,
                "<sip:alice@box>;tag=a1", "<sip:alice@127.0.0.2:5070>", "127.0.0.2:5070", null, null, null, 0, "127.0.0.2:4000", null,
                List.of("0 PCMU/8000"));
        CallTracker.Snapshot paid = new CallTracker.Snapshot("c2@h", "sip:carol@box", "sip:0049301234@box", "[::1]:5070", "c", 2000, "provider",
                3000, "<sip:carol@box>;tag=c", null, "[::1]:5070", "<sip:0049301234@box>;tag=p", "<sip:p@10.0.0.1>",
                new Prepaid.Decision(0, null, "carol", 0.6, 60_000), 63_000, null, "10.0.0.1:7000", List.of());
        org.besip.core.api.quality.RtpStream stream = new org.besip.core.api.quality.RtpStream(
                new org.besip.core.api.quality.StreamKey(0xabcdef01L, "127.0.0.2", 4000, "127.0.0.1", 30000), Map.of());
        for (int i = 0; i < 10; i++) {
            byte[] p = new byte[172];
            p[0] = (byte) 0x80;
            p[3] = (byte) (i == 5 ? 6 : i); // one packet twice, one missing
            p[7] = (byte) (160 * i);
            p[6] = (byte) ((160 * i) >> 8);
            stream.add(org.besip.core.api.quality.RtpPacket.parse(p, 0, p.length), 1.0 + i * 0.02);
        }
        MediaRelay.LegState a = new MediaRelay.LegState(new InetSocketAddress("127.0.0.2", 4000), new InetSocketAddress("127.0.0.2", 4000),
                null, true, false, InetAddress.getLoopbackAddress(), 350, 60200, 1, List.of(stream));
        MediaRelay.LegState b = new MediaRelay.LegState(new InetSocketAddress("::1", 7000), null, null, false, false, null, 0, 0, 0);
        return new PbxState(dialog, nonce, Map.of("n1", 3L), List.of(ringing, paid), List.of(new Prepaid.Hold("c2@h", "carol", 0.6)),
                List.of(new PbxState.Relayed(new MediaRelay.SessionState("c1@h", 30000, 30002, true, 1500, "recordings/x.wav", a, b), "a1")),
                List.of(new TrunkRegistration.Held(new TrunkRegistration.Account("provider", new InetSocketAddress("192.0.2.1", 5060), "acct",
                        null, "sip.example", 600), "abc@besip", 7, 1_800_000, 1_700_000)),
                List.of(new B2bua.DialogState("c1@h", "a1", 1000, "bob", false, true, true, false, 14_401_000, List.of("c1@h", "0f@b2b"),
                        new B2bua.LegState("c1@h", "<sip:bob@box>;tag=b0", "<sip:alice@box>;tag=a1", "b0", "a1", "sip:alice@127.0.0.2:5070",
                                List.of(), new InetSocketAddress("127.0.0.2", 5070), false, 1, 3, 0, true, "v=0 a".getBytes(), "SIP/2.0 200".getBytes(),
                                null),
                        new B2bua.LegState("0f@b2b", "<sip:alice@box>;tag=0e", "<sip:bob@box>;tag=bb", "0e", "bb", "sip:bob@[::1]:5080",
                                List.of("<sip:p1;lr>", "<sip:p2;lr>"), new InetSocketAddress("::1", 5080), true, 4, -1, 2, false,
                                "v=0 b".getBytes(), null, "ACK".getBytes()))),
                List.of(new PendingInvite("z9hG4bKa|10.0.0.9:5070|c1@h|7|INVITE", "INVITE sip:bob@x SIP/2.0".getBytes(),
                        "INVITE sip:bob@box SIP/2.0".getBytes(), new InetSocketAddress("127.0.0.2", 5070), false, "SIP/2.0 180".getBytes(), 180,
                        List.of(new PendingInvite.Branch("z9hG4bKbx0|INVITE", "INVITE sip:bob@x SIP/2.0".getBytes(),
                                new InetSocketAddress("::1", 5080), true, 180, false)))));
    }

    @Test
    void whatIsEncodedIsDecodedField_byField() throws IOException {
        PbxState s = sample();
        PbxState back = PbxState.decode(s.encode());
        assertArrayEquals(s.dialogKey(), back.dialogKey());
        assertArrayEquals(s.nonceKey(), back.nonceKey());
        assertEquals(s.nonceCounts(), back.nonceCounts());
        assertEquals(s.calls(), back.calls(), "records: every field compared");
        assertEquals(s.holds(), back.holds());
        assertEquals(withoutStreams(s.relay()), withoutStreams(back.relay()), "addresses, ports, counters of both legs");
        MediaRelay.LegState leg = back.relay().get(0).session().caller();
        assertEquals(1, leg.streams().size());
        assertEquals(s.relay().get(0).session().caller().streams().get(0).stats(), leg.streams().get(0).stats(),
                "the caller's stream's statistics: its sequence, loss, duplicates and jitter state");
        assertEquals(10, leg.streams().get(0).stats().packets());
        assertEquals(1, leg.streams().get(0).stats().duplicates());
        assertEquals(List.of(), back.relay().get(0).session().callee().streams());
        assertEquals(s.trunks(), back.trunks(), "the registration in force, without its password");
        assertEquals(1, back.dialogs().size());
        B2bua.DialogState d = s.dialogs().get(0);
        B2bua.DialogState e = back.dialogs().get(0);
        assertEquals(List.of(d.key(), d.callerTag(), d.startMs(), d.callee(), d.callerHolds(), d.calleeHolds(), d.timerAsked(), d.timerSupported(),
                d.limitAtMs(), d.names()), List.of(e.key(), e.callerTag(), e.startMs(), e.callee(), e.callerHolds(), e.calleeHolds(), e.timerAsked(),
                        e.timerSupported(), e.limitAtMs(), e.names()));
        for (int i = 0; i < 2; i++) {
            B2bua.LegState x = i == 0 ? d.a() : d.b();
            B2bua.LegState y = i == 0 ? e.a() : e.b();
            assertEquals(List.of(x.callId(), x.local(), x.remote(), x.localTag(), x.remoteTag(), x.target(), x.route(), x.next(), x.stream(),
                    x.cseq(), x.remoteCseq(), x.inviteCseq(), x.allowsUpdate()), List.of(y.callId(), y.local(), y.remote(), y.localTag(),
                            y.remoteTag(), y.target(), y.route(), y.next(), y.stream(), y.cseq(), y.remoteCseq(), y.inviteCseq(), y.allowsUpdate()));
            assertArrayEquals(x.sdp(), y.sdp());
            assertArrayEquals(x.answer(), y.answer());
            assertArrayEquals(x.ack(), y.ack());
        }
        PendingInvite p = s.invites().get(0);
        PendingInvite q = back.invites().get(0);
        assertEquals(List.of(p.key(), p.upstream(), p.reliable(), p.lastStatus()), List.of(q.key(), q.upstream(), q.reliable(), q.lastStatus()));
        assertArrayEquals(p.request(), q.request());
        assertArrayEquals(p.first(), q.first());
        assertArrayEquals(p.last(), q.last());
        PendingInvite.Branch pb = p.branches().get(0);
        PendingInvite.Branch qb = q.branches().get(0);
        assertEquals(List.of(pb.key(), pb.next(), pb.reliable(), pb.status(), pb.cancelPending()),
                List.of(qb.key(), qb.next(), qb.reliable(), qb.status(), qb.cancelPending()));
        assertArrayEquals(pb.request(), qb.request());
        assertEquals("c1@h", Handing.callIdOf(q), "the handed INVITE's call, from its transaction key");
    }

    /** The sessions with their legs' streams left out (an RtpStream is compared by its statistics). */
    static List<PbxState.Relayed> withoutStreams(List<PbxState.Relayed> relay) {
        return relay.stream().map(r -> {
            MediaRelay.SessionState x = r.session();
            return new PbxState.Relayed(new MediaRelay.SessionState(x.id(), x.callerPort(), x.calleePort(), x.answered(), x.openedMs(),
                    x.recording(), bare(x.caller()), bare(x.callee())), r.callerTag());
        }).toList();
    }

    static MediaRelay.LegState bare(MediaRelay.LegState l) {
        return new MediaRelay.LegState(l.sdpRtp(), l.latchedRtp(), l.latchedRtcp(), l.expectedRtp(), l.expectedRtcp(), l.signalling(),
                l.packets(), l.bytes(), l.dropped());
    }

    @Test
    void theFormatOfTheVersionBeforeIsReadWithoutB2buaDialogs() throws IOException {
        PbxState s = sample();
        // without relay sessions, B2BUA dialogs and INVITEs, format 1 is format 2 without its last two counts
        PbxState none = new PbxState(s.dialogKey(), s.nonceKey(), s.nonceCounts(), s.calls(), s.holds(), List.of(), s.trunks(), List.of());
        byte[] v2 = none.encode();
        byte[] v1 = Arrays.copyOf(v2, v2.length - 8); // format 1 ends where format 2's b2bua and invites counts begin
        PbxState back = PbxState.decode(1, v1);
        assertEquals(s.calls(), back.calls());
        assertEquals(s.trunks(), back.trunks());
        assertTrue(back.dialogs().isEmpty());
        assertThrows(IOException.class, () -> PbxState.decode(2, v1), "format 2 needs its b2bua section");
        assertThrows(IOException.class, () -> PbxState.decode(3, v2), "a format from a later version");
    }

    @Test
    void truncatedOrPaddedBytesAreRefused() {
        byte[] good = sample().encode();
        assertThrows(IOException.class, () -> PbxState.decode(Arrays.copyOf(good, good.length - 3)));
        assertThrows(IOException.class, () -> PbxState.decode(Arrays.copyOf(good, good.length + 1)));
        assertThrows(IOException.class, () -> PbxState.decode(new byte[10]));
        byte[] hostile = Arrays.copyOf(good, good.length);
        hostile[64] = (byte) 0x7f; // the nonce count's first byte: two billion entries
        assertThrows(IOException.class, () -> PbxState.decode(hostile));
    }
}
