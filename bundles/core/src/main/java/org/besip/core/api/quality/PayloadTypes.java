package org.besip.core.api.quality;

import java.util.Map;

/**
 * RTP payload types (RFC 3551 static table): codec name and clock rate. Dynamic types (96–127)
 * are named by the SDP of the call when the PBX announced it, else unknown at 8000 Hz.
 */
public final class PayloadTypes {

    /** A payload type's codec and RTP clock rate. */
    public record Codec(String name, int clockRate, boolean voice) {
    }

    private static final Map<Integer, Codec> STATIC = Map.ofEntries(
            Map.entry(0, new Codec("PCMU", 8000, true)),
            Map.entry(3, new Codec("GSM", 8000, true)),
            Map.entry(4, new Codec("G723", 8000, true)),
            Map.entry(5, new Codec("DVI4", 8000, true)),
            Map.entry(6, new Codec("DVI4", 16000, true)),
            Map.entry(7, new Codec("LPC", 8000, true)),
            Map.entry(8, new Codec("PCMA", 8000, true)),
            Map.entry(9, new Codec("G722", 8000, true)), // RFC 3551: 8000 despite 16 kHz sampling
            Map.entry(10, new Codec("L16", 44100, true)),
            Map.entry(11, new Codec("L16", 44100, true)),
            Map.entry(12, new Codec("QCELP", 8000, true)),
            Map.entry(13, new Codec("CN", 8000, false)),
            Map.entry(14, new Codec("MPA", 90000, true)),
            Map.entry(15, new Codec("G728", 8000, true)),
            Map.entry(16, new Codec("DVI4", 11025, true)),
            Map.entry(17, new Codec("DVI4", 22050, true)),
            Map.entry(18, new Codec("G729", 8000, true)));

    private PayloadTypes() {
    }

    /** The codec of {@code pt}, using {@code dynamic} (from SDP) for 96–127; null if unknown. */
    public static Codec codec(int pt, Map<Integer, Codec> dynamic) {
        Codec c = STATIC.get(pt);
        if (c == null && dynamic != null) {
            c = dynamic.get(pt);
        }
        return c;
    }

    /** Plausible for RTP: a static audio type, or a dynamic one; not the RTCP range 72–76. */
    public static boolean plausible(int pt) {
        return STATIC.containsKey(pt) || (pt >= 96 && pt <= 127);
    }
}
