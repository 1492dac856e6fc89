package org.besip.monitoring.internal.component;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;

import org.besip.core.api.quality.RtpAnalyzer;
import org.besip.core.api.quality.StreamStats;
import org.besip.monitoring.internal.calls.CallRegistry;
import org.junit.jupiter.api.Test;

/** The monitoring module's handover: the calls it knows and the streams in progress go on in the next version. */
class MonitoringStateTest {

    static void packet(RtpAnalyzer a, int i) {
        byte[] b = org.besip.core.api.quality.RtpStreamTest.rtp(96, 100 + i, 960L * i, 7);
        a.datagram("10.0.0.2", 4000, "10.0.0.1", 5000, b, 0, b.length, 1000 + i * 0.020 + (i % 4 == 0 ? 0.003 : 0));
    }

    @Test
    void theCallsAndAStreamHalfWayGoOnInTheNextVersionAsOneStream() throws IOException {
        CallRegistry calls = new CallRegistry();
        calls.started("call-1", "10.0.0.2:4000", "10.0.0.1:5000", new String[] { "96 opus/48000/2" });
        RtpAnalyzer before = new RtpAnalyzer(calls.dynamicTypes());
        RtpAnalyzer whole = new RtpAnalyzer(calls.dynamicTypes());
        for (int i = 0; i < 50; i++) {
            if (i != 20) { // one lost
                packet(before, i);
                packet(whole, i);
            }
        }
        byte[] state = MonitoringState.encode(calls, before);

        CallRegistry next = new CallRegistry();
        RtpAnalyzer after = MonitoringState.decode(state, next);
        assertEquals("call-1", next.callOf("10.0.0.1:5000"), "the stream's call is known to the next version");
        assertEquals(calls.bpf(), next.bpf(), "the capture filter carries on");
        assertEquals("OPUS", next.dynamicTypes().get(96).name());
        for (int i = 50; i < 100; i++) {
            packet(after, i);
            packet(whole, i);
        }
        List<StreamStats> done = after.expire(Double.MAX_VALUE, -1);
        assertEquals(1, done.size(), "one stream, not two halves");
        StreamStats s = done.get(0);
        assertEquals(99, s.packets());
        assertEquals(1, s.lost());
        assertEquals("OPUS", s.codec());
        assertEquals(whole.expire(Double.MAX_VALUE, -1).get(0), s, "the figures of the stream nobody handed over");
        assertEquals(99, after.rtpDatagrams(), "the datagram counters go on");
    }

    @Test
    void withoutACaptureOnlyTheCallsGo() throws IOException {
        CallRegistry calls = new CallRegistry();
        calls.started("call-2", "10.0.0.2:4000", null, null);
        CallRegistry next = new CallRegistry();
        assertNull(MonitoringState.decode(MonitoringState.encode(calls, null), next));
        assertEquals("call-2", next.callOf("10.0.0.2:4000"));
    }

    @Test
    void aCorruptStateAddsNothing() throws IOException {
        CallRegistry calls = new CallRegistry();
        calls.started("call-3", "10.0.0.2:4000", "10.0.0.1:5000", null);
        RtpAnalyzer a = new RtpAnalyzer(calls.dynamicTypes());
        packet(a, 0);
        byte[] good = MonitoringState.encode(calls, a);
        CallRegistry next = new CallRegistry();
        assertThrows(IOException.class, () -> MonitoringState.decode(Arrays.copyOf(good, good.length - 2), next));
        assertThrows(IOException.class, () -> MonitoringState.decode(Arrays.copyOf(good, good.length + 1), next));
        byte[] hostile = good.clone();
        hostile[0] = 0x7f; // two billion calls
        assertThrows(IOException.class, () -> MonitoringState.decode(hostile, next));
        assertEquals(0, next.size());
    }
}
