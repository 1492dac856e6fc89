package org.besip.core.api.quality;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Sorts UDP datagrams into RTP streams and keeps their statistics. Heuristic detection (version
 * 2, plausible payload type, header fits) admits a datagram; a stream is reported once it has
 * two packets with close sequence numbers, so stray UDP that happens to parse is not. The stream
 * table is bounded: past {@link #MAX_STREAMS} the stream idle longest is closed first.
 */
public final class RtpAnalyzer {

    public static final int MAX_STREAMS = 4096;

    private final Map<Integer, PayloadTypes.Codec> dynamic;
    private final Map<StreamKey, RtpStream> streams = new LinkedHashMap<>(64, 0.75f, true);
    private final List<StreamStats> closed = new ArrayList<>();
    /** Smoothed RTCP round trip per SSRC, ms; bounded like the stream table. */
    private final Map<Long, Double> rtt = new LinkedHashMap<>(64, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Double> eldest) {
            return size() > MAX_STREAMS;
        }
    };
    private long datagrams;
    private long rtp;

    public RtpAnalyzer(Map<Integer, PayloadTypes.Codec> dynamic) {
        this.dynamic = dynamic;
    }

    /** One UDP payload seen at {@code time} (seconds). */
    public void datagram(String srcIp, int srcPort, String dstIp, int dstPort, byte[] payload, int off, int len,
            double time) {
        datagrams++;
        if (RtcpReports.isRtcp(payload, off, len)) {
            RtcpReports.roundTrips(payload, off, len, time, rt -> rtt.merge(rt.ssrc(), rt.rttMs(), (a, b) -> a * 0.875 + b * 0.125));
            return;
        }
        RtpPacket p = RtpPacket.parse(payload, off, len);
        if (p == null) {
            return;
        }
        rtp++;
        StreamKey key = new StreamKey(p.ssrc(), srcIp, srcPort, dstIp, dstPort);
        RtpStream s = streams.get(key);
        if (s == null) {
            if (streams.size() >= MAX_STREAMS) {
                var eldest = streams.entrySet().iterator().next();
                close(eldest.getValue());
                streams.remove(eldest.getKey());
            }
            s = new RtpStream(key, dynamic);
            streams.put(key, s);
        }
        s.add(p, time);
    }

    /** Closes streams silent for longer than {@code idleSeconds} at {@code now}; returns their scores. */
    public List<StreamStats> expire(double now, double idleSeconds) {
        List<StreamStats> out = new ArrayList<>();
        var it = streams.values().iterator();
        while (it.hasNext()) {
            RtpStream s = it.next();
            if (now - s.lastArrival() > idleSeconds) {
                StreamStats st = s.stats();
                if (real(st)) {
                    out.add(st);
                }
                it.remove();
            }
        }
        return out;
    }

    private void close(RtpStream s) {
        StreamStats st = s.stats();
        if (real(st)) {
            closed.add(st);
        }
    }

    /** Two or more packets, and a sequence span that fits their number: RTP, not noise. */
    private static boolean real(StreamStats st) {
        return st.packets() >= 2 && st.expected() <= st.packets() * 100L + 100;
    }

    /** Every stream, open ones included, by start time. */
    public List<StreamStats> all() {
        List<StreamStats> out = new ArrayList<>(closed);
        for (RtpStream s : streams.values()) {
            StreamStats st = s.stats();
            if (real(st)) {
                out.add(st);
            }
        }
        out.sort(Comparator.comparingDouble(StreamStats::startS));
        return out;
    }

    /** Half the smoothed RTCP round trip of the stream's SSRC, or null when no report gave one. */
    public Double oneWayDelayMs(StreamKey key) {
        Double r = rtt.get(key.ssrc());
        return r == null ? null : r / 2;
    }

    /**
     * Writes the streams in progress (int n, n × {@link RtpStream#write}, least recently heard
     * first), the RTCP round trips (int n, n × (long SSRC, double ms)) and the datagram counters,
     * so that a module's next version goes on measuring them ({@link #read}). Streams already
     * closed are not written: they were scored.
     */
    public void write(java.io.DataOutput out) throws java.io.IOException {
        out.writeInt(streams.size());
        for (RtpStream s : streams.values()) {
            s.write(out);
        }
        out.writeInt(rtt.size());
        for (Map.Entry<Long, Double> e : rtt.entrySet()) {
            out.writeLong(e.getKey());
            out.writeDouble(e.getValue());
        }
        out.writeLong(datagrams);
        out.writeLong(rtp);
    }

    /** An analyser as {@link #write} left it, going on with {@code dynamic} payload types. @throws java.io.IOException not one */
    public static RtpAnalyzer read(java.io.DataInput in, Map<Integer, PayloadTypes.Codec> dynamic) throws java.io.IOException {
        RtpAnalyzer a = new RtpAnalyzer(dynamic);
        int n = in.readInt();
        if (n < 0 || n > MAX_STREAMS) {
            throw new java.io.IOException(n + " streams");
        }
        for (int i = 0; i < n; i++) {
            RtpStream s = RtpStream.read(in, dynamic);
            a.streams.put(s.key(), s);
        }
        int m = in.readInt();
        if (m < 0 || m > MAX_STREAMS) {
            throw new java.io.IOException(m + " round trips");
        }
        for (int i = 0; i < m; i++) {
            a.rtt.put(in.readLong(), in.readDouble());
        }
        a.datagrams = in.readLong();
        a.rtp = in.readLong();
        return a;
    }

    /** Streams in progress (not yet closed). */
    public int open() {
        return streams.size();
    }

    public long datagrams() {
        return datagrams;
    }

    public long rtpDatagrams() {
        return rtp;
    }
}
