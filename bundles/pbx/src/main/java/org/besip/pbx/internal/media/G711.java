package org.besip.pbx.internal.media;

/**
 * G.711 (ITU-T G.711) µ-law and A-law to and from 16-bit linear PCM, by the segment tables of the
 * recommendation: what the relay needs to play music on hold in either law and to mix a recording.
 */
public final class G711 {

    private static final short[] ULAW = new short[256];
    private static final short[] ALAW = new short[256];

    static {
        for (int i = 0; i < 256; i++) {
            int u = ~i & 0xFF;
            int t = ((u & 0x0F) << 3) + 0x84;
            t <<= (u & 0x70) >> 4;
            ULAW[i] = (short) ((u & 0x80) != 0 ? 0x84 - t : t - 0x84);
            int a = i ^ 0x55;
            int m = (a & 0x0F) << 4;
            int seg = (a & 0x70) >> 4;
            m = seg == 0 ? m + 8 : ((m + 0x108) << (seg - 1));
            ALAW[i] = (short) ((a & 0x80) != 0 ? m : -m);
        }
    }

    private G711() {
    }

    public static short ulawToLinear(int u) {
        return ULAW[u & 0xFF];
    }

    public static short alawToLinear(int a) {
        return ALAW[a & 0xFF];
    }

    public static int linearToUlaw(int pcm) {
        int sign = pcm < 0 ? 0x80 : 0;
        int s = Math.min(Math.abs(pcm), 32635) + 0x84;
        int exp = 7;
        for (int mask = 0x4000; exp > 0 && (s & mask) == 0; mask >>= 1) {
            exp--;
        }
        int mant = (s >> (exp + 3)) & 0x0F;
        return ~(sign | (exp << 4) | mant) & 0xFF;
    }

    private static final int[] ALAW_SEGMENT_ENDS = { 0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF };

    public static int linearToAlaw(int pcm) {
        int v = pcm >> 3; // 13 bits
        int mask;
        if (v >= 0) {
            mask = 0xD5;
        } else {
            mask = 0x55;
            v = -v - 1;
        }
        int seg = 0;
        while (seg < 8 && v > ALAW_SEGMENT_ENDS[seg]) {
            seg++;
        }
        if (seg >= 8) {
            return 0x7F ^ mask;
        }
        int a = seg << 4;
        a |= seg < 2 ? (v >> 1) & 0x0F : (v >> seg) & 0x0F;
        return a ^ mask;
    }

    /** Linear PCM of one payload byte of RTP payload type {@code pt} (0 PCMU, 8 PCMA), or 0 for another type. */
    public static short decode(int pt, int b) {
        return pt == 0 ? ulawToLinear(b) : pt == 8 ? alawToLinear(b) : 0;
    }

    /** µ-law audio in payload type {@code pt}'s law (8: A-law; anything else stays µ-law). */
    public static byte[] fromUlaw(byte[] ulaw, int pt) {
        if (pt != 8) {
            return ulaw;
        }
        byte[] out = new byte[ulaw.length];
        for (int i = 0; i < ulaw.length; i++) {
            out[i] = (byte) linearToAlaw(ulawToLinear(ulaw[i]));
        }
        return out;
    }
}
