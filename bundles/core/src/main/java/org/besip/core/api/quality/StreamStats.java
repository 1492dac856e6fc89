package org.besip.core.api.quality;

/**
 * What one stream measured. Two loss figures, because two definitions are in use:
 * {@code lost} is RFC 3550 A.3 (expected from the highest extended sequence number, minus
 * received, duplicates counted as received), {@code lostTshark} is tshark's {@code -z rtp,streams}
 * (expected from the last sequence number in capture order), so each can be compared with its
 * own reference.
 *
 * @param jitterMs     RFC 3550 A.8 interarrival jitter at the end of the stream
 * @param meanJitterMs the jitter estimate averaged over the stream's packets (as tshark shows)
 * @param burstR       the burst ratio (ITU-T G.113: 1 for random loss, more for bursty)
 */
public record StreamStats(StreamKey key, String codec, int payloadType, double startS, double endS, long packets,
        long expected, long lost, long lostTshark, long duplicates, long reordered, double lossPercent, double burstR,
        double jitterMs, double meanJitterMs, double maxJitterMs, double minDeltaMs, double meanDeltaMs,
        double maxDeltaMs) {
}
