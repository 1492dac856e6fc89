package org.besip.pbx.internal.component;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.besip.pbx.internal.call.CallTracker;
import org.besip.pbx.internal.call.Prepaid;
import org.besip.pbx.internal.media.MediaRelay;
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
        MediaRelay.LegState a = new MediaRelay.LegState(new InetSocketAddress("127.0.0.2", 4000), new InetSocketAddress("127.0.0.2", 4000),
                null, true, false, InetAddress.getLoopbackAddress(), 350, 60200, 1);
        MediaRelay.LegState b = new MediaRelay.LegState(new InetSocketAddress("::1", 7000), null, null, false, false, null, 0, 0, 0);
        return new PbxState(dialog, nonce, Map.of("n1", 3L), List.of(ringing, paid), List.of(new Prepaid.Hold("c2@h", "carol", 0.6)),
                List.of(new PbxState.Relayed(new MediaRelay.SessionState("c1@h", 30000, 30002, true, 1500, "recordings/x.wav", a, b), "a1")),
                List.of(new TrunkRegistration.Held(new TrunkRegistration.Account("provider", new InetSocketAddress("192.0.2.1", 5060), "acct",
                        null, "sip.example", 600), "abc@besip", 7, 1_800_000, 1_700_000)));
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
        assertEquals(s.relay(), back.relay(), "addresses, ports, counters of both legs");
        assertEquals(s.trunks(), back.trunks(), "the registration in force, without its password");
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
