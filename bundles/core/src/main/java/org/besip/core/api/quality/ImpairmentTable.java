package org.besip.core.api.quality;

import java.util.Map;
import java.util.Optional;

/**
 * Ie and Bpl per codec, ITU-T G.113 Appendix I as open implementations cite it (design §5):
 * G.711 Ie 0, Bpl 25.1 with packet-loss concealment, 4.3 without; G.729A Ie 11, Bpl 19.0;
 * G.729 Ie 10; G.723.1 6.3 kbit/s Ie 15, Bpl 16.1, 5.3 kbit/s Ie 19; GSM-FR Ie 20; GSM-EFR and
 * AMR 12.2 Ie 5, Bpl 10. Codecs with no ITU value (iLBC, Speex, Opus) are absent: no MOS.
 */
public final class ImpairmentTable {

    private final Map<String, CodecImpairment> byCodec;

    public ImpairmentTable(Map<String, CodecImpairment> byCodec) {
        this.byCodec = Map.copyOf(byCodec);
    }

    /** The defaults; {@code plc} chooses G.711's Bpl with or without packet-loss concealment. */
    public static ImpairmentTable defaults(boolean plc) {
        double g711Bpl = plc ? 25.1 : 4.3;
        return new ImpairmentTable(Map.of(
                "PCMU", new CodecImpairment("PCMU", 0, g711Bpl),
                "PCMA", new CodecImpairment("PCMA", 0, g711Bpl),
                "G729", new CodecImpairment("G729", 11, 19.0), // RTP PT 18 is G.729A in practice
                "G723", new CodecImpairment("G723", 15, 16.1), // 6.3 kbit/s
                "GSM", new CodecImpairment("GSM", 20, null),
                "GSM-EFR", new CodecImpairment("GSM-EFR", 5, 10.0),
                "AMR", new CodecImpairment("AMR", 5, 10.0)));
    }

    public Optional<CodecImpairment> find(String codec) {
        return Optional.ofNullable(byCodec.get(codec));
    }
}
