package org.besip.monitoring.internal.pcap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import org.besip.core.api.quality.RtpAnalyzer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PcapFileTest {

    static final Path PCAPS = Path.of(System.getProperty("besip.shared.pcaps", "src/test/resources/pcap"));

    @TempDir
    Path tmp;

    @Test
    void aFileThatIsNotACaptureIsAClearError() throws Exception {
        Path junk = tmp.resolve("junk.pcap");
        Files.writeString(junk, "this is not a capture");
        var e = assertThrows(PcapException.class, () -> PcapFile.read(junk, new RtpAnalyzer(Map.of())));
        assertTrue(e.getMessage().contains("not a pcap or pcapng capture"), e.getMessage());
        e = assertThrows(PcapException.class, () -> PcapFile.read(tmp.resolve("missing.pcap"), new RtpAnalyzer(Map.of())));
        assertTrue(e.getMessage().contains("cannot read"), e.getMessage());
    }

    @Test
    void aTruncatedCaptureGivesWhatItHeldAndSaysWhereItStopped() throws Exception {
        byte[] whole = Files.readAllBytes(PCAPS.resolve("sipp_g711a.pcap"));
        Path cut = tmp.resolve("cut.pcap");
        Files.write(cut, Arrays.copyOf(whole, whole.length / 2 + 7));
        RtpAnalyzer a = new RtpAnalyzer(Map.of());
        PcapFile.Result r = PcapFile.read(cut, a);
        assertNotNull(r.truncated(), "the cut is reported");
        assertEquals(1, a.all().size());
        assertTrue(a.all().get(0).packets() > 100 && a.all().get(0).packets() < 236, "the packets before the cut");
    }

    /** RTP seq {@code seq} (ssrc 0xcafebabe, PCMU) in UDP 4000 -> 5000 in IPv4 10.0.0.1 -> 10.0.0.2, as a raw-IP frame. */
    static String rawFrame(int seq) {
        return FrameDecoderTest.IPV4.replace("80001234", String.format("8000%04x", seq));
    }

    @Test
    void aBigEndianMicrosecondPcapOfRawIp() throws Exception {
        String frame0 = rawFrame(1);
        String frame1 = rawFrame(2);
        String len = String.format("%08x", frame0.length() / 2);
        byte[] file = FrameDecoderTest.bytes("a1b2c3d4" + "00020004" + "00000000" + "00000000" + "0000ffff" + "00000065",
                "5f5e1000" + "000186a0" + len + len, frame0, // 1600000000.1 s
                "5f5e1000" + "0001d4c0" + len + len, frame1); // 1600000000.12 s
        Path f = tmp.resolve("be.pcap");
        Files.write(f, file);
        RtpAnalyzer a = new RtpAnalyzer(Map.of());
        PcapFile.Result r = PcapFile.read(f, a);
        assertEquals(null, r.truncated());
        assertEquals(2, r.packets());
        assertEquals(1_600_000_000.1, r.start(), 1e-6);
        var s = a.all().get(0);
        assertEquals("10.0.0.1:4000", s.key().src());
        assertEquals(0xcafebabeL, s.key().ssrc());
        assertEquals(2, s.packets());
        assertEquals(20.0, s.maxDeltaMs(), 1e-3);
    }

    /** A little-endian pcapng block of {@code type} around {@code body} (hex, a multiple of 4 bytes). */
    static String block(int type, String body) {
        int total = 12 + body.length() / 2;
        return le(type) + le(total) + body + le(total);
    }

    static String le(int v) {
        return String.format("%02x%02x%02x%02x", v & 0xFF, (v >>> 8) & 0xFF, (v >>> 16) & 0xFF, (v >>> 24) & 0xFF);
    }

    static String epb(int iface, long ts, String frame) {
        int n = frame.length() / 2;
        String pad = "00".repeat((4 - n % 4) % 4);
        return block(6, le(iface) + le((int) (ts >>> 32)) + le((int) ts) + le(n) + le(n) + frame + pad);
    }

    @Test
    void aPcapngWithNanosecondStampsAnOffsetAndLinuxCookedFrames() throws Exception {
        String shb = block(0x0A0D0D0A, "4d3c2b1a" + "0100" + "0000" + "ffffffffffffffff");
        // link type 113, snaplen 65535; if_tsresol 9 (10^-9 s), if_tsoffset 1600000000 s, end of options
        String idb = block(1, "7100" + "0000" + le(65535) + "0900" + "0100" + "09000000" + "0e00" + "0800"
                + "00" + "10" + "5e" + "5f" + "00000000" + "0000" + "0000");
        String sll = "0000" + "0304" + "0006" + "020000000001" + "0000" + "0800";
        String stats = block(5, le(0) + le(0) + le(0) + "0000" + "0000"); // interface statistics: skipped
        byte[] file = FrameDecoderTest.bytes(shb, idb, epb(0, 250_000_000L, sll + rawFrame(7)), stats,
                epb(0, 270_000_000L, sll + rawFrame(8)), epb(0, 290_000_000L, sll + rawFrame(9)));
        Path f = tmp.resolve("ns.pcapng");
        Files.write(f, file);
        RtpAnalyzer a = new RtpAnalyzer(Map.of());
        PcapFile.Result r = PcapFile.read(f, a);
        assertEquals(null, r.truncated());
        assertEquals(3, r.packets());
        assertEquals(1_600_000_000.25, r.start(), 1e-6);
        var s = a.all().get(0);
        assertEquals(3, s.packets());
        assertEquals(20.0, s.maxDeltaMs(), 1e-3);
        assertEquals(20.0, s.minDeltaMs(), 1e-3);

        // a packet naming an interface never described, and a block longer than the file
        Files.write(f, FrameDecoderTest.bytes(shb, idb, epb(0, 1, sll + rawFrame(1)), epb(3, 2, sll + rawFrame(2))));
        r = PcapFile.read(f, new RtpAnalyzer(Map.of()));
        assertEquals("stopped after packet 1: a packet names interface 3, which is not described", r.truncated());
        Files.write(f, FrameDecoderTest.bytes(shb, idb, le(6) + le(4000) + "00000000"));
        r = PcapFile.read(f, new RtpAnalyzer(Map.of()));
        assertEquals("stopped after packet 0: the last block is cut short", r.truncated());
        Files.write(f, FrameDecoderTest.bytes(shb, idb, le(6) + le(0x7ffffff0) + "00000000"));
        r = PcapFile.read(f, new RtpAnalyzer(Map.of()));
        assertEquals("stopped after packet 0: a block claims 2147483632 bytes", r.truncated());
    }
}
