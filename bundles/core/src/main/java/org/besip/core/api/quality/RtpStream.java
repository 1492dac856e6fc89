package org.besip.core.api.quality;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
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

    /**
     * Writes everything the stream measured so far, so that a module's next version goes on with
     * it ({@link #read}): the key (long SSRC, UTF source address, int port, UTF destination
     * address, int port), the packet counts by payload type (int n, n × (byte type, long count)),
     * the received map (int length, bytes of {@link BitSet#toByteArray}), then the sequence,
     * timing and jitter state as longs, ints, doubles and a boolean, in field order.
     */
    public void write(DataOutput out) throws IOException {
        out.writeLong(key.ssrc());
        out.writeUTF(key.srcIp());
        out.writeInt(key.srcPort());
        out.writeUTF(key.dstIp());
        out.writeInt(key.dstPort());
        int types = 0;
        for (long n : packetsByType) {
            types += n > 0 ? 1 : 0;
        }
        out.writeInt(types);
        for (int pt = 0; pt < packetsByType.length; pt++) {
            if (packetsByType[pt] > 0) {
                out.writeByte(pt);
                out.writeLong(packetsByType[pt]);
            }
        }
        byte[] map = received.toByteArray();
        out.writeInt(map.length);
        out.write(map);
        for (long v : new long[] { base, highest, lastInOrder, cycles, packets, duplicates, reordered, deltas, jitterSamples, prevTimestamp }) {
            out.writeLong(v);
        }
        out.writeInt(maxSeq);
        out.writeInt(lastType);
        for (double v : new double[] { first, last, minDelta, maxDelta, deltaSum, jitter, jitterSum, maxJitter, prevArrival }) {
            out.writeDouble(v);
        }
        out.writeBoolean(havePrev);
    }

    /**
     * A stream as {@link #write} wrote it, measured on from there with {@code dynamic} payload types.
     * @throws IOException the bytes are not a stream (truncated, or counts out of their bounds)
     */
    public static RtpStream read(DataInput in, Map<Integer, PayloadTypes.Codec> dynamic) throws IOException {
        StreamKey key = new StreamKey(in.readLong(), in.readUTF(), in.readInt(), in.readUTF(), in.readInt());
        RtpStream s = new RtpStream(key, dynamic);
        int types = in.readInt();
        if (types < 0 || types > 128) {
            throw new IOException("a stream with " + types + " payload types");
        }
        for (int i = 0; i < types; i++) {
            int pt = in.readUnsignedByte();
            if (pt > 127) {
                throw new IOException("payload type " + pt);
            }
            s.packetsByType[pt] = in.readLong();
        }
        int n = in.readInt();
        if (n < 0 || n > WINDOW / 8) {
            throw new IOException("a received map of " + n + " bytes");
        }
        byte[] map = new byte[n];
        in.readFully(map);
        s.received.or(BitSet.valueOf(map));
        s.base = in.readLong();
        s.highest = in.readLong();
        s.lastInOrder = in.readLong();
        s.cycles = in.readLong();
        s.packets = in.readLong();
        s.duplicates = in.readLong();
        s.reordered = in.readLong();
        s.deltas = in.readLong();
        s.jitterSamples = in.readLong();
        s.prevTimestamp = in.readLong();
        s.maxSeq = in.readInt();
        s.lastType = in.readInt();
        s.first = in.readDouble();
        s.last = in.readDouble();
        s.minDelta = in.readDouble();
        s.maxDelta = in.readDouble();
        s.deltaSum = in.readDouble();
        s.jitter = in.readDouble();
        s.jitterSum = in.readDouble();
        s.maxJitter = in.readDouble();
        s.prevArrival = in.readDouble();
        s.havePrev = in.readBoolean();
        return s;
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
