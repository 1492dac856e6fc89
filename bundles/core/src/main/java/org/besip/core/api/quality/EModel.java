package org.besip.core.api.quality;

/**
 * The simplified E-model of the BESIP paper (after ITU-T G.107):
 * <pre>
 * Ie-eff = Ie + (95 − Ie) · Ppl / (Ppl / BurstR + Bpl)
 * Id     = 0.0267 · T                for T &lt; 175 ms
 *          0.1194 · T − 15.876       for T ≥ 175 ms
 * R      = 94.7688 − 1.4136 − Id − Ie-eff + A
 * MOS    = 1                                         for R &lt; 6.5
 *          1 + 0.035 R + R (R − 60) (100 − R) 7e−6    for 6.5 ≤ R ≤ 100
 *          4.5                                       for R &gt; 100
 * </pre>
 * Departures from full G.107, on purpose: the constant 94.7688 − 1.4136 = 93.3552 drops the
 * listener-echo term (G.107 with its defaults gives 93.2062); the two-piece delay relation is the
 * paper's, which jumps by 0.3465 at 175 ms and which the paper stops at 400 ms — besip goes on
 * with the second piece beyond 400 ms rather than invent a third; MOS is clamped to [1, 4.5]
 * because the polynomial dips below 1 for 0 &lt; R &lt; 6.5153. Pure: no I/O, no state.
 */
public final class EModel {

    public static final double R0_MINUS_IS = 94.7688 - 1.4136;

    private EModel() {
    }

    /** @param lossPercent packet loss Ppl in percent (0–100) */
    public static double ieEff(double ie, double bpl, double lossPercent, double burstR) {
        if (lossPercent <= 0) {
            return ie;
        }
        double b = burstR <= 0 ? 1 : burstR;
        return ie + (95 - ie) * lossPercent / (lossPercent / b + bpl);
    }

    /** @param delayMs one-way mouth-to-ear delay T in ms */
    public static double id(double delayMs) {
        double t = Math.max(0, delayMs);
        return t < 175 ? 0.0267 * t : 0.1194 * t - 15.876;
    }

    public static double r(double id, double ieEff, double advantage) {
        return R0_MINUS_IS - id - ieEff + advantage;
    }

    public static double mos(double r) {
        if (r < 6.5) {
            return 1.0;
        }
        if (r > 100) {
            return 4.5;
        }
        double mos = 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6;
        return Math.max(1.0, Math.min(4.5, mos));
    }

    /** R and MOS for a codec, loss, burstiness, delay and advantage factor A. */
    public static Score score(CodecImpairment codec, double lossPercent, double burstR, double delayMs, double advantage) {
        if (codec.bpl() == null && lossPercent > 0) {
            return null;
        }
        double ieEff = ieEff(codec.ie(), codec.bpl() == null ? 1 : codec.bpl(), lossPercent, burstR);
        double r = r(id(delayMs), ieEff, advantage);
        return new Score(r, mos(r));
    }

    /** The transmission rating R and the MOS it maps to. */
    public record Score(double r, double mos) {
    }
}
