package org.besip.monitoring.internal.emodel;

import org.besip.monitoring.internal.rtp.StreamStats;

/**
 * A scored stream: its statistics, the delay used, and R and MOS, or why there is no score
 * (a codec without ITU-T values, or loss on a codec without Bpl).
 */
public record QualityResult(StreamStats stats, double delayMs, Double r, Double mos, String unscoredReason) {

    /** Scores {@code stats} with the table, a one-way delay and the advantage factor A. */
    public static QualityResult of(StreamStats stats, ImpairmentTable table, double delayMs, double advantage) {
        var codec = table.find(stats.codec());
        if (codec.isEmpty()) {
            return new QualityResult(stats, delayMs, null, null, "unsupported codec " + stats.codec()
                    + ": ITU-T G.113 gives no Ie/Bpl for it");
        }
        var score = EModel.score(codec.get(), stats.lossPercent(), stats.burstR(), delayMs, advantage);
        if (score == null) {
            return new QualityResult(stats, delayMs, null, null, "codec " + stats.codec() + " has no Bpl to score loss with");
        }
        return new QualityResult(stats, delayMs, score.r(), score.mos(), null);
    }
}
