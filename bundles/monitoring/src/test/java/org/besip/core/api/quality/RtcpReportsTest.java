package org.besip.core.api.quality;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.ByteBuffer;
import java.util.Map;

import org.junit.jupiter.api.Test;

class RtcpReportsTest {

    /** An RTCP RR (PT 201) from {@code reporter} with one report block about {@code about}. */
    static byte[] receiverReport(long reporter, long about, long lsr, long dlsr) {
        ByteBuffer b = ByteBuffer.allocate(32);
        b.put((byte) 0x81).put((byte) 201).putShort((short) 7).putInt((int) reporter);
        b.putInt((int) about).putInt(0).putInt(1000).putInt(0).putInt((int) lsr).putInt((int) dlsr);
        return b.array();
    }

    @Test
    void aReceiverReportGivesTheRoundTripAndHalfOfItIsTheDelay() {
        RtpAnalyzer a = new RtpAnalyzer(Map.of());
        double t0 = 1_795_700_000.25;
        for (int i = 0; i < 3; i++) {
            byte[] rtp = RtpStreamTest.rtp(8, i, i * 160L, 0xABCD);
            a.datagram("127.0.0.2", 4000, "127.0.0.1", 5000, rtp, 0, rtp.length, t0 + i * 0.02);
        }
        long lsr = RtcpReports.ntpMiddle32(t0);
        // the receiver held the SR for 0.5 s; the RR arrives 0.58 s after the SR left: RTT 80 ms
        byte[] rr = receiverReport(0x9999, 0xABCD, lsr, 32768);
        a.datagram("127.0.0.1", 5001, "127.0.0.2", 4001, rr, 0, rr.length, t0 + 0.58);
        StreamKey key = new StreamKey(0xABCD, "127.0.0.2", 4000, "127.0.0.1", 5000);
        assertEquals(40.0, a.oneWayDelayMs(key), 0.05);
        assertEquals(1, a.all().size(), "RTCP is not taken for an RTP stream");
    }

    @Test
    void reportsWithoutALastSenderReportAndBrokenPacketsGiveNothing() {
        RtpAnalyzer a = new RtpAnalyzer(Map.of());
        byte[] none = receiverReport(1, 0xABCD, 0, 0);
        a.datagram("127.0.0.1", 5001, "127.0.0.2", 4001, none, 0, none.length, 10);
        byte[] cut = java.util.Arrays.copyOf(receiverReport(1, 0xABCD, 5, 5), 20);
        a.datagram("127.0.0.1", 5001, "127.0.0.2", 4001, cut, 0, cut.length, 10);
        assertNull(a.oneWayDelayMs(new StreamKey(0xABCD, "127.0.0.2", 4000, "127.0.0.1", 5000)));
    }
}
