package org.besip.monitoring.internal.pcap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.util.HexFormat;

import org.junit.jupiter.api.Test;

/** Frames written out byte by byte (headers from the RFCs and tcpdump.org's link-type pages). */
class FrameDecoderTest {

    static final HexFormat HEX = HexFormat.of();
    /** 12 bytes of RTP and 4 of payload. */
    static final String PAYLOAD = "80001234" + "00000001" + "cafebabe" + "d5d5d5d5";
    /** UDP 4000 -> 5000, length 8 + 16 = 24, checksum 0. */
    static final String UDP = "0fa0" + "1388" + "0018" + "0000" + PAYLOAD;
    /** IPv4 10.0.0.1 -> 10.0.0.2, total 20 + 24 = 44, DF, UDP. */
    static final String IPV4 = "4500002c" + "00014000" + "40110000" + "0a000001" + "0a000002" + UDP;
    /** IPv6 2001:db8::1 -> 2001:db8::2, a hop-by-hop header (8 bytes) then UDP; payload length 32. */
    static final String IPV6 = "60000000" + "0020" + "00" + "40" + "20010db8000000000000000000000001"
            + "20010db8000000000000000000000002" + "11000000" + "00000000" + UDP;
    static final String MACS = "0200000000020200" + "00000001";

    static byte[] bytes(String... hex) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String h : hex) {
            out.writeBytes(HEX.parseHex(h));
        }
        return out.toByteArray();
    }

    static void assertV4(FrameDecoder d, byte[] f, int payloadOff) {
        assertEquals("10.0.0.1", d.srcIp());
        assertEquals("10.0.0.2", d.dstIp());
        assertEquals(4000, d.srcPort());
        assertEquals(5000, d.dstPort());
        assertEquals(payloadOff, d.payloadOff());
        assertEquals(16, d.payloadLen());
        assertEquals((byte) 0xca, f[d.payloadOff() + 8]);
    }

    @Test
    void ethernetWithAndWithoutVlanTagsAndPadding() {
        FrameDecoder d = new FrameDecoder();
        byte[] f = bytes(MACS, "0800", IPV4, "00000000000000000000"); // padded, as short frames are
        assertTrue(d.decode(FrameDecoder.ETHERNET, f, 0, f.length));
        assertV4(d, f, 14 + 20 + 8);
        f = bytes(MACS, "88a8", "0064", "8100", "00c8", "0800", IPV4);
        assertTrue(d.decode(FrameDecoder.ETHERNET, f, 0, f.length));
        assertV4(d, f, 22 + 20 + 8);
        f = bytes(MACS, "0806", "0001080006040001"); // ARP
        assertFalse(d.decode(FrameDecoder.ETHERNET, f, 0, f.length));
    }

    @Test
    void linuxCookedV1AndV2RawAndLoopback() {
        FrameDecoder d = new FrameDecoder();
        byte[] f = bytes("0000" + "0304" + "0006" + "020000000001" + "0000" + "0800", IPV4);
        assertTrue(d.decode(FrameDecoder.LINUX_SLL, f, 0, f.length));
        assertV4(d, f, 16 + 28);
        f = bytes("0800" + "0000" + "00000001" + "0304" + "00" + "06" + "020000000001" + "0000", IPV4);
        assertTrue(d.decode(FrameDecoder.LINUX_SLL2, f, 0, f.length));
        assertV4(d, f, 20 + 28);
        f = bytes(IPV4);
        assertTrue(d.decode(FrameDecoder.RAW, f, 0, f.length));
        assertV4(d, f, 28);
        f = bytes("02000000", IPV4); // AF_INET in a little-endian host's order
        assertTrue(d.decode(FrameDecoder.NULL, f, 0, f.length));
        assertV4(d, f, 32);
        f = bytes("00000002", IPV4);
        assertTrue(d.decode(FrameDecoder.LOOP, f, 0, f.length));
        assertV4(d, f, 32);
        assertFalse(FrameDecoder.supported(105)); // 802.11
    }

    @Test
    void ipv6WithAnExtensionHeader() {
        FrameDecoder d = new FrameDecoder();
        byte[] f = bytes(MACS, "86dd", IPV6);
        assertTrue(d.decode(FrameDecoder.ETHERNET, f, 0, f.length));
        assertEquals("2001:db8:0:0:0:0:0:1", d.srcIp());
        assertEquals("2001:db8:0:0:0:0:0:2", d.dstIp());
        assertEquals(4000, d.srcPort());
        assertEquals(14 + 40 + 8 + 8, d.payloadOff());
        assertEquals(16, d.payloadLen());
    }

    @Test
    void fragmentsTcpAndCutFramesAreNotDatagrams() {
        FrameDecoder d = new FrameDecoder();
        byte[] moreFragments = bytes("4500002c" + "00012000" + "40110000" + "0a000001" + "0a000002" + UDP);
        assertFalse(d.decode(FrameDecoder.RAW, moreFragments, 0, moreFragments.length));
        byte[] later = bytes("4500002c" + "00010010" + "40110000" + "0a000001" + "0a000002" + UDP);
        assertFalse(d.decode(FrameDecoder.RAW, later, 0, later.length));
        byte[] tcp = bytes("4500002c" + "00014000" + "40060000" + "0a000001" + "0a000002" + UDP);
        assertFalse(d.decode(FrameDecoder.RAW, tcp, 0, tcp.length));
        byte[] whole = bytes(MACS, "0800", IPV4);
        for (int cut = 0; cut < 14 + 28; cut++) {
            assertFalse(d.decode(FrameDecoder.ETHERNET, whole, 0, cut), "cut at " + cut);
        }
        // a snapshot that kept 4 of the 16 payload bytes: the datagram, with what was captured
        assertTrue(d.decode(FrameDecoder.ETHERNET, whole, 0, 14 + 28 + 4));
        assertEquals(4, d.payloadLen());
    }
}
