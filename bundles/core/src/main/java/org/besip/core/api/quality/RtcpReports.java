package org.besip.core.api.quality;

/**
 * Round-trip times from RTCP receiver reports (RFC 3550 §6.4.1): for a report block about SSRC
 * X, RTT = A − LSR − DLSR, where A is when the report reached the sender of X (here: when it was
 * captured, so the estimate is best near that sender). Pure parsing of compound RTCP; anything
 * that is not well-formed RTCP is ignored.
 */
public final class RtcpReports {

    /** One RTT sample for the stream with {@code ssrc}. */
    public record RoundTrip(long ssrc, double rttMs) {
    }

    /** Seconds between the NTP epoch (1900) and the Unix epoch (1970). */
    static final long NTP_OFFSET = 2_208_988_800L;

    private RtcpReports() {
    }

    /** Whether the datagram starts like RTCP: version 2, packet type 200–204. */
    public static boolean isRtcp(byte[] b, int off, int len) {
        return len >= 8 && ((b[off] & 0xC0) >>> 6) == 2 && (b[off + 1] & 0xFF) >= 200 && (b[off + 1] & 0xFF) <= 204;
    }

    /**
     * Calls {@code sink} for every report block with a last-SR timestamp.
     *
     * @param arrival capture time in Unix seconds
     */
    public static void roundTrips(byte[] b, int off, int len, double arrival, java.util.function.Consumer<RoundTrip> sink) {
        long ntp = ntpMiddle32(arrival);
        int p = off;
        int end = off + len;
        while (p + 4 <= end) {
            int v = (b[p] & 0xC0) >>> 6;
            int count = b[p] & 0x1F;
            int pt = b[p + 1] & 0xFF;
            int words = ((b[p + 2] & 0xFF) << 8) | (b[p + 3] & 0xFF);
            int next = p + 4 + words * 4;
            if (v != 2 || next > end) {
                return;
            }
            int blocks = pt == 200 ? p + 28 : pt == 201 ? p + 8 : -1;
            for (int i = 0; blocks > 0 && i < count && blocks + (i + 1) * 24 <= next; i++) {
                int r = blocks + i * 24;
                long ssrc = u32(b, r);
                long lsr = u32(b, r + 16);
                long dlsr = u32(b, r + 20);
                if (lsr != 0) {
                    long rtt = (ntp - lsr - dlsr) & 0xFFFFFFFFL;
                    double ms = rtt * 1000.0 / 65536.0;
                    if (ms < 10_000) {
                        sink.accept(new RoundTrip(ssrc, ms));
                    }
                }
            }
            p = next;
        }
    }

    /** The middle 32 bits of the NTP timestamp of a Unix time (16.16 fixed point seconds). */
    static long ntpMiddle32(double unixSeconds) {
        double ntp = unixSeconds + NTP_OFFSET;
        long secs = (long) Math.floor(ntp);
        long frac = (long) ((ntp - secs) * 65536.0);
        return ((secs & 0xFFFF) << 16) | (frac & 0xFFFF);
    }

    private static long u32(byte[] b, int i) {
        return ((long) (b[i] & 0xFF) << 24) | ((b[i + 1] & 0xFF) << 16) | ((b[i + 2] & 0xFF) << 8) | (b[i + 3] & 0xFF);
    }
}
