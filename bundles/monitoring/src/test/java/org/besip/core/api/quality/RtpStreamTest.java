package org.besip.core.api.quality;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;

public class RtpStreamTest {

    static final StreamKey KEY = new StreamKey(0x1234, "127.0.0.2", 4000, "127.0.0.1", 5000);

    /** An RTP packet with 160 bytes of payload (tests of other packages too). */
    public static byte[] rtp(int pt, int seq, long ts, long ssrc) {
        byte[] b = new byte[12 + 160];
        b[0] = (byte) 0x80;
        b[1] = (byte) pt;
        b[2] = (byte) (seq >> 8);
        b[3] = (byte) seq;
        b[4] = (byte) (ts >> 24);
        b[5] = (byte) (ts >> 16);
        b[6] = (byte) (ts >> 8);
        b[7] = (byte) ts;
        b[8] = (byte) (ssrc >> 24);
        b[9] = (byte) (ssrc >> 16);
        b[10] = (byte) (ssrc >> 8);
        b[11] = (byte) ssrc;
        return b;
    }

    /** Feeds packets with sequence numbers {@code seqs}, 20 ms apart, perfectly paced. */
    static StreamStats feed(int... seqs) {
        RtpStream s = new RtpStream(KEY, Map.of());
        double t = 0;
        for (int seq : seqs) {
            byte[] b = rtp(8, seq & 0xFFFF, (long) (seq & 0xFFFF) * 160, 0x1234);
            s.add(RtpPacket.parse(b, 0, b.length), t);
            t += 0.020;
        }
        return s.stats();
    }

    @Test
    void sequenceNumbersWrapAt65536WithoutCountingLoss() {
        StreamStats s = feed(65533, 65534, 65535, 0, 1, 2);
        assertEquals(6, s.expected());
        assertEquals(0, s.lost());
        assertEquals(0.0, s.lossPercent());
    }

    @Test
    void aGapIsLossAndItsBurstinessIsMeasured() {
        // 100 packets, 10 lost in one burst: bursty (BurstR > 1)
        int[] seqs = new int[90];
        int n = 0;
        for (int i = 0; i < 100; i++) {
            if (i < 40 || i >= 50) {
                seqs[n++] = i;
            }
        }
        StreamStats burst = feed(seqs);
        assertEquals(100, burst.expected());
        assertEquals(10, burst.lost());
        assertEquals(10.0, burst.lossPercent(), 1e-9);
        assertTrue(burst.burstR() > 5, "one long burst: BurstR " + burst.burstR());
        // same loss spread evenly: random-like (BurstR about 1 or less)
        int[] spread = new int[90];
        n = 0;
        for (int i = 0; i < 100; i++) {
            if (i % 10 != 5) {
                spread[n++] = i;
            }
        }
        assertTrue(feed(spread).burstR() < 1.2, "isolated losses: BurstR " + feed(spread).burstR());
    }

    @Test
    void duplicatesAndReorderingAreCountedAndRfcAndTsharkLossDiffer() {
        StreamStats s = feed(1, 2, 3, 3, 5, 4, 6);
        assertEquals(1, s.duplicates());
        assertEquals(1, s.reordered());
        assertEquals(6, s.expected(), "RFC 3550: highest - base + 1");
        assertEquals(6 - 7, s.lost(), "duplicates count as received, so loss can be negative");
        StreamStats lateLast = feed(1, 2, 4, 5, 3);
        assertEquals(0, lateLast.lost());
        assertEquals(3 - 5, lateLast.lostTshark(), "tshark counts expected up to the last packet seen");
    }

    @Test
    void jitterOfAPerfectlyPacedStreamIsZeroAndGrowsWithVariation() {
        assertEquals(0.0, feed(1, 2, 3, 4, 5).jitterMs(), 1e-9);
        RtpStream s = new RtpStream(KEY, Map.of());
        double[] arrivals = { 0, 0.020, 0.045, 0.060, 0.080 };
        for (int i = 0; i < arrivals.length; i++) {
            byte[] b = rtp(8, i, i * 160L, 0x1234);
            s.add(RtpPacket.parse(b, 0, b.length), arrivals[i]);
        }
        // RFC 3550 A.8: J += (|D| - J) / 16; D in timestamp units at 8 kHz
        double j = 0;
        for (int i = 1; i < arrivals.length; i++) {
            double d = (arrivals[i] - arrivals[i - 1]) * 8000 - 160;
            j += (Math.abs(d) - j) / 16;
        }
        assertEquals(j / 8, s.stats().jitterMs(), 1e-9);
    }

    @Test
    void whatIsNotRtpIsNotParsed() {
        byte[] sip = "SIP/2.0 200 OK\r\nVia: x\r\n\r\n".getBytes();
        assertNull(RtpPacket.parse(sip, 0, sip.length), "version 1");
        assertNull(RtpPacket.parse(new byte[8], 0, 8), "shorter than a header");
        byte[] csrc = rtp(0, 1, 0, 1);
        csrc[0] = (byte) 0x8F; // 15 CSRCs: 72 bytes of header in a 20-byte datagram
        assertNull(RtpPacket.parse(csrc, 0, 20));
        byte[] ext = rtp(0, 1, 0, 1);
        ext[0] = (byte) 0x90;
        ext[14] = (byte) 0xFF;
        ext[15] = (byte) 0xFF; // an extension of 65535 words
        assertNull(RtpPacket.parse(ext, 0, ext.length));
        byte[] rtcp = rtp(0, 1, 0, 1);
        rtcp[1] = (byte) 200; // RTCP SR: PT 72 after the marker bit
        assertNull(RtpPacket.parse(rtcp, 0, rtcp.length));
        byte[] pad = rtp(0, 1, 0, 1);
        pad[0] = (byte) 0xA0;
        pad[pad.length - 1] = (byte) 250; // more padding than payload
        assertNull(RtpPacket.parse(pad, 0, pad.length));
    }

    @Test
    void strayUdpThatHappensToParseIsNotReportedAsAStream() {
        RtpAnalyzer a = new RtpAnalyzer(Map.of());
        byte[] one = rtp(0, 100, 0, 7);
        a.datagram("127.0.0.2", 53, "127.0.0.1", 53, one, 0, one.length, 0);
        byte[] far = rtp(0, 40000, 0, 7);
        a.datagram("127.0.0.2", 53, "127.0.0.1", 53, far, 0, far.length, 0.1);
        assertEquals(0, a.all().size(), "two packets 40000 sequence numbers apart are not a stream");
    }

    @Test
    void aStreamWrittenAndReadBackHalfWayEndsWithTheFiguresOfOneUnbrokenStream() throws Exception {
        // 100 packets, 10 lost in one burst (40..49), sequence wrapping at 65536, jittery arrivals
        RtpStream whole = new RtpStream(KEY, Map.of());
        RtpStream first = new RtpStream(KEY, Map.of());
        RtpStream second = null;
        double t = 0;
        for (int i = 0; i < 100; i++) {
            t += 0.020 + (i % 3 == 0 ? 0.004 : 0);
            if (i >= 40 && i < 50) {
                continue;
            }
            int seq = (65500 + i) & 0xFFFF;
            byte[] b = rtp(8, seq, 160L * i, 0x1234);
            RtpPacket p = RtpPacket.parse(b, 0, b.length);
            whole.add(p, t);
            if (i == 60) { // the module's next version takes the stream over here
                java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
                first.write(new java.io.DataOutputStream(bytes));
                second = RtpStream.read(new java.io.DataInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray())), Map.of());
            }
            (second == null ? first : second).add(p, t);
        }
        StreamStats a = whole.stats();
        StreamStats b = second.stats();
        assertEquals(90, b.packets());
        assertEquals(100, b.expected());
        assertEquals(10, b.lost());
        assertEquals(KEY, b.key());
        assertEquals(a, b, "the same figures, field by field, as the stream nobody handed over");
    }

    @Test
    void bytesThatAreNoStreamAreRefused() throws Exception {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        new RtpStream(KEY, Map.of()).write(new java.io.DataOutputStream(bytes));
        byte[] good = bytes.toByteArray();
        byte[] cut = java.util.Arrays.copyOf(good, good.length - 1);
        org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
                () -> RtpStream.read(new java.io.DataInputStream(new java.io.ByteArrayInputStream(cut)), Map.of()));
    }
}
