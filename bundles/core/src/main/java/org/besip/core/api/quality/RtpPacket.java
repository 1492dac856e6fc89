package org.besip.core.api.quality;

/**
 * The fixed RTP header (RFC 3550 §5.1) of one datagram, after the checks that tell RTP from
 * other UDP: version 2, a plausible payload type, CSRC list, extension and padding inside the
 * datagram. Anything else is not RTP and {@link #parse} says null, never throws.
 */
public record RtpPacket(int payloadType, boolean marker, int sequence, long timestamp, long ssrc, int payloadLength) {

    public static RtpPacket parse(byte[] b, int off, int len) {
        if (len < 12) {
            return null;
        }
        int v = (b[off] & 0xC0) >>> 6;
        if (v != 2) {
            return null;
        }
        boolean padding = (b[off] & 0x20) != 0;
        boolean extension = (b[off] & 0x10) != 0;
        int csrc = b[off] & 0x0F;
        int pt = b[off + 1] & 0x7F;
        if (!PayloadTypes.plausible(pt)) {
            return null;
        }
        int header = 12 + 4 * csrc;
        if (header > len) {
            return null;
        }
        if (extension) {
            if (header + 4 > len) {
                return null;
            }
            int words = ((b[off + header + 2] & 0xFF) << 8) | (b[off + header + 3] & 0xFF);
            header += 4 + 4 * words;
            if (header > len) {
                return null;
            }
        }
        int pad = 0;
        if (padding) {
            pad = b[off + len - 1] & 0xFF;
            if (pad == 0 || header + pad > len) {
                return null;
            }
        }
        int seq = ((b[off + 2] & 0xFF) << 8) | (b[off + 3] & 0xFF);
        long ts = ((long) (b[off + 4] & 0xFF) << 24) | ((b[off + 5] & 0xFF) << 16) | ((b[off + 6] & 0xFF) << 8)
                | (b[off + 7] & 0xFF);
        long ssrc = ((long) (b[off + 8] & 0xFF) << 24) | ((b[off + 9] & 0xFF) << 16) | ((b[off + 10] & 0xFF) << 8)
                | (b[off + 11] & 0xFF);
        return new RtpPacket(pt, (b[off + 1] & 0x80) != 0, seq, ts, ssrc, len - header - pad);
    }
}
