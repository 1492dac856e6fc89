package org.besip.core.api.quality;

import java.util.BitSet;
import java.util.Map;

/**
 * Statistics of one RTP stream, updated packet by packet in capture order: RFC 3550 A.1 extended
 * sequence numbers (16-bit wrap), duplicates and reordering, A.8 interarrival jitter, arrival
 * deltas, and the loss pattern for the burst ratio. Memory per stream is bounded: the received
 * map covers at most {@link #WINDOW} sequence numbers.
 */
public final class RtpStream {

    /** How many sequence numbers the received map covers (about an hour at 50 packets/s). */
    static final int WINDOW = 1 << 18;
    private static final int MAX_DROPOUT = 3000; // RFC 3550 A.1
    private static final int MAX_MISORDER = 100;

    private final StreamKey key;
    private final Map<Integer, PayloadTypes.Codec> dynamic;
    /** Packets per payload type (7 bits): counted for every packet, so no boxing. */
    private final long[] packetsByType = new long[128];
    private final BitSet received = new BitSet();
    private long base = -1;
    private long highest;
    private long lastInOrder;
    private long cycles;
    private int maxSeq;
    private long packets;
    private long duplicates;
    private long reordered;
    private double first = -1;
    private double last;
    private double minDelta = Double.MAX_VALUE;
    private double maxDelta;
    private double deltaSum;
    private int lastType = -1;
    private long deltas;
    private double jitter;
    private double jitterSum;
    private double maxJitter;
    private long jitterSamples;
    private double prevArrival;
    private long prevTimestamp;
    private boolean havePrev;

    public RtpStream(StreamKey key, Map<Integer, PayloadTypes.Codec> dynamic) {
        this.key = key;
        this.dynamic = dynamic;
    }

    public StreamKey key() {
        return key;
    }

    public double lastArrival() {
        return last;
    }

    /** @param arrival capture time in seconds */
    public void add(RtpPacket p, double arrival) {
        packetsByType[p.payloadType() & 0x7F]++;
        // a marked packet starts a talkspurt after silence suppression, and a change of payload
        // type (voice to comfort noise and back) restarts timing: the gap before either is not
        // network delay variation (as Wireshark's RTP analysis counts it)
        PayloadTypes.Codec codec = PayloadTypes.codec(p.payloadType(), dynamic);
        boolean comfortNoise = codec != null && "CN".equals(codec.name());
        boolean restart = p.marker() || comfortNoise || (lastType >= 0 && p.payloadType() != lastType);
        lastType = p.payloadType();
        if (first < 0) {
            first = arrival;
        } else if (!restart) {
            double delta = (arrival - last) * 1000;
            minDelta = Math.min(minDelta, delta);
            maxDelta = Math.max(maxDelta, delta);
            deltaSum += delta;
            deltas++;
        }
        last = arrival;
        long ext = extend(p.sequence());
        if (base < 0) {
            base = ext;
            highest = ext;
        }
        long idx = ext - base;
        boolean duplicate = false;
        if (idx >= 0 && idx < WINDOW) {
            duplicate = received.get((int) idx);
            if (duplicate) {
                duplicates++;
            } else {
                received.set((int) idx);
            }
        }
        if (!duplicate && ext < highest) {
            reordered++;
        }
        highest = Math.max(highest, ext);
        lastInOrder = ext;
        packets++;
        jitter(p, arrival, restart);
    }

    /** RFC 3550 A.1: the 32-bit extended sequence number of {@code seq}. */
    private long extend(int seq) {
        if (base < 0) {
            maxSeq = seq;
            return seq;
        }
        int udelta = (seq - maxSeq) & 0xFFFF;
        if (udelta < MAX_DROPOUT) {
            if (seq < maxSeq) {
                cycles += 65536; // wrapped
            }
            maxSeq = seq;
            return cycles + seq;
        }
        if (udelta <= 65536 - MAX_MISORDER) {
            // a large jump: RFC 3550 resynchronises after two packets; keep counting from here
            maxSeq = seq;
            return cycles + seq;
        }
        // a late (reordered or duplicate) packet just below the highest
        return (seq > maxSeq ? cycles - 65536 : cycles) + seq;
    }

    /** RFC 3550 A.8, in timestamp units, with the stream's clock rate. */
    private void jitter(RtpPacket p, double arrival, boolean restart) {
        PayloadTypes.Codec c = PayloadTypes.codec(p.payloadType(), dynamic);
        int rate = c == null ? 8000 : c.clockRate();
        if (havePrev && restart) {
            // the estimate holds across a talkspurt start or payload change; it still counts
            // in the mean, as Wireshark's "Mean Jitter" does
            jitterSum += jitter * 1000.0 / rate;
            jitterSamples++;
        } else if (havePrev) {
            // RTP timestamps are 32-bit and wrap: their difference is a signed 32-bit number
            double d = (arrival - prevArrival) * rate - (int) (p.timestamp() - prevTimestamp);
            jitter += (Math.abs(d) - jitter) / 16.0;
            double ms = jitter * 1000.0 / rate;
            jitterSum += ms;
            jitterSamples++;
            maxJitter = Math.max(maxJitter, ms);
        }
        prevArrival = arrival;
        prevTimestamp = p.timestamp();
        havePrev = true;
    }

    /** The stream's figures now. */
    public StreamStats stats() {
        int pt = dominantVoiceType();
        PayloadTypes.Codec c = PayloadTypes.codec(pt, dynamic);
        long expected = highest - base + 1;
        long lost = expected - packets;
        long expectedTshark = lastInOrder - base + 1;
        double lossPct = expected > 0 ? Math.max(0, lost) * 100.0 / expected : 0;
        int rate = c == null ? 8000 : c.clockRate();
        return new StreamStats(key, c == null ? "PT" + pt : c.name(), pt, first, last, packets, expected, lost,
                expectedTshark - packets, duplicates, reordered, lossPct, burstRatio(expected),
                jitter * 1000.0 / rate, jitterSamples == 0 ? 0 : jitterSum / jitterSamples, maxJitter,
                deltas > 0 ? minDelta : 0, deltas > 0 ? deltaSum / deltas : 0, maxDelta);
    }

    /** The payload type carrying the voice: the most frequent, comfort noise and events aside. */
    private int dominantVoiceType() {
        int best = -1;
        long bestCount = -1;
        for (int pt = 0; pt < packetsByType.length; pt++) {
            if (packetsByType[pt] == 0) {
                continue;
            }
            PayloadTypes.Codec c = PayloadTypes.codec(pt, dynamic);
            boolean voice = c == null || c.voice();
            long weight = packetsByType[pt] + (voice ? Long.MAX_VALUE / 4 : 0);
            if (weight > bestCount) {
                bestCount = weight;
                best = pt;
            }
        }
        return best;
    }

    /**
     * ITU-T G.113 burst ratio from the two-state Markov model of the loss pattern:
     * BurstR = 1 / (p + q), p = P(lost | previous received), q = P(received | previous lost);
     * 1 when nothing was lost.
     */
    private double burstRatio(long expected) {
        long n = Math.min(expected, WINDOW);
        long foundToLost = 0;
        long found = 0;
        long lostToFound = 0;
        long lostCount = 0;
        for (int i = 0; i + 1 < n; i++) {
            boolean now = received.get(i);
            boolean next = received.get(i + 1);
            if (now) {
                found++;
                if (!next) {
                    foundToLost++;
                }
            } else {
                lostCount++;
                if (next) {
                    lostToFound++;
                }
            }
        }
        if (lostCount == 0 || found == 0) {
            return 1.0;
        }
        double p = (double) foundToLost / found;
        double q = (double) lostToFound / lostCount;
        return p + q == 0 ? 1.0 : 1.0 / (p + q);
    }
}
