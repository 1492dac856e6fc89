package org.besip.core.api.quality;

/**
 * A codec's equipment impairment factor Ie and packet-loss robustness factor Bpl (ITU-T G.113
 * Appendix I). A null Bpl means the Recommendation gives none: such a codec is scored only
 * without loss.
 */
public record CodecImpairment(String codec, double ie, Double bpl) {
}
