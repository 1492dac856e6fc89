package org.besip.pbx.internal.registrar;

import java.net.InetSocketAddress;

/** One registered contact of an address of record, valid until {@code expiresAtMs}. */
public record Binding(String aor, String contact, long expiresAtMs, String callId, long cseq, String userAgent,
        String source) {

    /**
     * Where the REGISTER came from ({@code source}, "ip:port" or "[ip6]:port"): the flow the phone is
     * reached on behind a NAT; null when it is not known or not an IP literal (never a name lookup).
     */
    public InetSocketAddress flow() {
        int colon = source == null ? -1 : source.lastIndexOf(':');
        if (colon <= 0) {
            return null;
        }
        String host = source.substring(0, colon);
        host = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        boolean v4 = host.matches("\\d{1,3}(\\.\\d{1,3}){3}");
        boolean v6 = host.contains(":") && host.matches("[0-9a-fA-F:.]+");
        try {
            int port = Integer.parseInt(source.substring(colon + 1));
            return (v4 || v6) && port > 0 && port <= 65535 ? new InetSocketAddress(host, port) : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
