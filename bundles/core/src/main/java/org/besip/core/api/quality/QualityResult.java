package org.besip.core.api.quality;


/**
 * A scored stream: its statistics, the delay used, and R and MOS, or why there is no score
 * (a codec without ITU-T values, or loss on a codec without Bpl).
 */
public record QualityResult(StreamStats stats, double delayMs, String delaySource, Double r, Double mos,
        String unscoredReason) {

    /**
     * Scores {@code stats} with the table, the advantage factor A, and the one-way delay: half
     * the RTCP round trip when reports gave one ({@code rtcpDelayMs}), else the configured delay.
     */
    public static QualityResult of(StreamStats stats, ImpairmentTable table, Double rtcpDelayMs, double configuredDelayMs,
            double advantage) {
        double delayMs = rtcpDelayMs != null ? rtcpDelayMs : configuredDelayMs;
        String source = rtcpDelayMs != null ? "rtcp" : "configured";
        var codec = table.find(stats.codec());
        if (codec.isEmpty()) {
            return new QualityResult(stats, delayMs, source, null, null, "unsupported codec " + stats.codec()
                    + ": ITU-T G.113 gives no Ie/Bpl for it");
        }
        var score = EModel.score(codec.get(), stats.lossPercent(), stats.burstR(), delayMs, advantage);
        if (score == null) {
            return new QualityResult(stats, delayMs, source, null, null, "codec " + stats.codec() + " has no Bpl to score loss with");
        }
        return new QualityResult(stats, delayMs, source, score.r(), score.mos(), null);
    }
}
