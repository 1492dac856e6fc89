package org.besip.core.api.quality;

/** A stream: SSRC and 5-tuple (transport is always UDP here). */
public record StreamKey(long ssrc, String srcIp, int srcPort, String dstIp, int dstPort) {

    public String src() {
        return srcIp + ":" + srcPort;
    }

    public String dst() {
        return dstIp + ":" + dstPort;
    }

    public String ssrcHex() {
        return String.format("0x%08X", ssrc);
    }
}
