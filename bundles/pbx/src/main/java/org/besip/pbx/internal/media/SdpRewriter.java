package org.besip.pbx.internal.media;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * Rewrites an SDP offer or answer (RFC 4566, RFC 3264) so the phone that reads it sends its audio
 * to the relay: the connection address of the first audio stream (and the session's) becomes the
 * box's, its port the relay leg's, {@code a=rtcp} the next port; ICE candidates are removed (the
 * relay is the only path). Other streams (video, a second audio) are not relayed and are set to
 * port 0, so no address of the other side reaches this one. The origin line keeps its session id
 * and version but names the box.
 */
public final class SdpRewriter {

    private SdpRewriter() {
    }

    /** Where a body's first audio stream receives RTP, or null when it has none (or is not SDP). */
    public static InetSocketAddress audio(byte[] body) {
        org.besip.pbx.internal.call.Sdp sdp = org.besip.pbx.internal.call.Sdp.parse(body);
        if (sdp == null) {
            return null;
        }
        String m = sdp.media();
        int colon = m.lastIndexOf(':');
        String host = m.substring(0, colon);
        java.net.InetAddress a = org.besip.pbx.internal.proxy.TrunkResolver.literalAddress(host);
        return a == null ? null : new InetSocketAddress(a, Integer.parseInt(m.substring(colon + 1)));
    }

    /** Whether an SDP's first audio stream puts the other side on hold ({@link org.besip.pbx.internal.call.Sdp#held}); null when it has none. */
    public static Boolean holds(byte[] body) {
        org.besip.pbx.internal.call.Sdp sdp = org.besip.pbx.internal.call.Sdp.parse(body);
        return sdp == null ? null : sdp.held();
    }

    /** The first payload type of a body's first audio stream (0, PCMU, when there is none to read). */
    public static int payload(byte[] body) {
        org.besip.pbx.internal.call.Sdp sdp = org.besip.pbx.internal.call.Sdp.parse(body);
        return sdp == null || sdp.format() < 0 ? 0 : sdp.format();
    }

    /** {@code body} with its first audio stream at {@code box}:{@code port}; null when it has no audio stream to rewrite. */
    public static byte[] rewrite(byte[] body, String box, int port) {
        if (audio(body) == null) {
            return null;
        }
        String family = box.contains(":") ? "IP6" : "IP4";
        String[] lines = new String(body, StandardCharsets.UTF_8).split("\r?\n", -1);
        StringBuilder out = new StringBuilder(body.length + 64);
        boolean inMedia = false;
        boolean audioDone = false;
        boolean relayed = false; // inside the audio stream the relay carries
        for (String line : lines) {
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith("m=")) {
                inMedia = true;
                String[] f = line.substring(2).split(" ", 3);
                relayed = !audioDone && f.length == 3 && f[0].equals("audio") && !f[1].startsWith("0");
                if (relayed) {
                    audioDone = true;
                    line = "m=audio " + port + " " + f[2];
                } else if (f.length == 3) {
                    line = "m=" + f[0] + " 0 " + f[2]; // not relayed: declined, so nothing goes around the box
                }
            } else if (line.startsWith("c=")) {
                line = "c=IN " + family + " " + box;
            } else if (line.startsWith("o=")) {
                String[] f = line.substring(2).split(" ");
                if (f.length == 6) {
                    line = "o=" + f[0] + " " + f[1] + " " + f[2] + " IN " + family + " " + box;
                }
            } else if (inMedia && line.startsWith("a=rtcp:")) {
                if (!relayed) {
                    continue;
                }
                line = "a=rtcp:" + (port + 1);
            } else if (line.startsWith("a=candidate:") || line.startsWith("a=ice-") || line.startsWith("a=remote-candidates:")
                    || line.startsWith("a=end-of-candidates")) {
                continue;
            }
            out.append(line).append("\r\n");
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }
}
