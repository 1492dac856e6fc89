package org.besip.pbx.internal.call;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** The little of an SDP body (RFC 4566) the box needs: the audio address and the payload types. */
public record Sdp(String media, List<String> payloads) {

    /** The first audio stream's {@code ip:port} and its rtpmap values, or null when there is none. */
    public static Sdp parse(byte[] body) {
        if (body == null || body.length == 0 || body.length > 16_384) {
            return null;
        }
        String session = null;
        String mediaConn = null;
        int port = -1;
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
                }
            } else if (line.startsWith("c=")) {
                String[] f = line.substring(2).trim().split("\\s+");
                String addr = f.length == 3 && f[0].equals("IN") ? f[2].split("/")[0] : null;
                if (!seenAudio) {
                    session = addr;
                } else if (inAudio) {
                    mediaConn = addr;
                }
            } else if (inAudio && line.startsWith("a=rtpmap:")) {
                maps.add(line.substring("a=rtpmap:".length()).trim());
            }
        }
        String addr = mediaConn != null ? mediaConn : session;
        if (!seenAudio || addr == null || port < 0 || port > 65535) {
            return null;
        }
        return new Sdp(addr + ":" + port, List.copyOf(maps));
    }
}
