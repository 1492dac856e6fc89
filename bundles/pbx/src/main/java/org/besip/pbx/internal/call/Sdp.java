package org.besip.pbx.internal.call;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The little of an SDP body (RFC 4566) the box needs: the audio address and the payload types, the
 * first payload type of the audio stream's format list, and whether it puts the other side on hold
 * (RFC 3264 §8.4: sendonly or inactive, the stream's attribute over the session's, or a 0.0.0.0
 * connection address, RFC 2543 style).
 */
public record Sdp(String media, List<String> payloads, int format, boolean held) {

    /** The first audio stream's {@code ip:port}, its rtpmap values, first format and hold, or null when there is none. */
    public static Sdp parse(byte[] body) {
        if (body == null || body.length == 0 || body.length > 16_384) {
            return null;
        }
        String session = null;
        String mediaConn = null;
        int port = -1;
        int format = -1;
        String sessionDirection = null;
        String direction = null;
        boolean nullAddress = false;
        boolean inAudio = false;
        boolean seenAudio = false;
        List<String> maps = new ArrayList<>();
        for (String line : new String(body, StandardCharsets.UTF_8).split("\r?\n")) {
            if (line.startsWith("m=")) {
                if (seenAudio) {
                    break; // the first audio stream only
                }
                String[] f = line.substring(2).trim().split("\\s+");
                inAudio = f.length >= 3 && f[0].equals("audio");
                if (inAudio) {
                    seenAudio = true;
                    try {
                        port = Integer.parseInt(f[1].split("/")[0]);
                    } catch (NumberFormatException e) {
                        return null;
                    }
                    try {
                        format = f.length > 3 ? Integer.parseInt(f[3]) : -1;
                    } catch (NumberFormatException e) {
                        format = -1;
                    }
                }
            } else if (line.startsWith("c=")) {
                String[] f = line.substring(2).trim().split("\\s+");
                String addr = f.length == 3 && f[0].equals("IN") ? f[2].split("/")[0] : null;
                if (!seenAudio) {
                    session = addr;
                } else if (inAudio) {
                    mediaConn = addr;
                }
                nullAddress |= (!seenAudio || inAudio) && "0.0.0.0".equals(addr);
            } else if (inAudio && line.startsWith("a=rtpmap:")) {
                maps.add(line.substring("a=rtpmap:".length()).trim());
            } else if (line.equals("a=sendonly") || line.equals("a=inactive") || line.equals("a=recvonly") || line.equals("a=sendrecv")) {
                if (!seenAudio) {
                    sessionDirection = line.substring(2);
                } else if (inAudio) {
                    direction = line.substring(2);
                }
            }
        }
        String addr = mediaConn != null ? mediaConn : session;
        if (!seenAudio || addr == null || port < 0 || port > 65535) {
            return null;
        }
        String d = direction != null ? direction : sessionDirection;
        return new Sdp(addr + ":" + port, List.copyOf(maps), format, nullAddress || "sendonly".equals(d) || "inactive".equals(d));
    }
}
