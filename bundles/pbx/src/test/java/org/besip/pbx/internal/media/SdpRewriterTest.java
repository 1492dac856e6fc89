package org.besip.pbx.internal.media;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class SdpRewriterTest {

    static final String OFFER = "v=0\r\n"
            + "o=alice 2890844526 2890844526 IN IP4 10.0.0.5\r\n"
            + "s=-\r\n"
            + "c=IN IP4 10.0.0.5\r\n"
            + "t=0 0\r\n"
            + "m=audio 49170 RTP/AVP 0 8 101\r\n"
            + "a=rtpmap:0 PCMU/8000\r\n"
            + "a=rtpmap:101 telephone-event/8000\r\n"
            + "a=rtcp:49171\r\n"
            + "a=candidate:1 1 UDP 2130706431 10.0.0.5 49170 typ host\r\n"
            + "a=ice-ufrag:abcd\r\n"
            + "a=sendrecv\r\n"
            + "m=video 51372 RTP/AVP 31\r\n"
            + "c=IN IP4 10.0.0.5\r\n"
            + "a=rtpmap:31 H261/90000\r\n";

    @Test
    void theAudioStreamPointsAtTheBoxAndNothingOfThePhoneIsLeft() {
        String out = new String(SdpRewriter.rewrite(OFFER.getBytes(StandardCharsets.UTF_8), "192.0.2.1", 30002), StandardCharsets.UTF_8);
        assertEquals("v=0\r\n"
                + "o=alice 2890844526 2890844526 IN IP4 192.0.2.1\r\n"
                + "s=-\r\n"
                + "c=IN IP4 192.0.2.1\r\n"
                + "t=0 0\r\n"
                + "m=audio 30002 RTP/AVP 0 8 101\r\n"
                + "a=rtpmap:0 PCMU/8000\r\n"
                + "a=rtpmap:101 telephone-event/8000\r\n"
                + "a=rtcp:30003\r\n"
                + "a=sendrecv\r\n"
                + "m=video 0 RTP/AVP 31\r\n"
                + "c=IN IP4 192.0.2.1\r\n"
                + "a=rtpmap:31 H261/90000\r\n", out, "payload types (DTMF, RFC 4733, among them) kept; video declined; ICE gone");
        assertEquals(new InetSocketAddress("10.0.0.5", 49170), SdpRewriter.audio(OFFER.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void anIpv6BoxAndBodiesWithoutAudio() {
        String out = new String(SdpRewriter.rewrite(OFFER.getBytes(StandardCharsets.UTF_8), "2001:db8::1", 30000), StandardCharsets.UTF_8);
        assertEquals(true, out.contains("c=IN IP6 2001:db8::1\r\n") && out.contains("m=audio 30000 "), out);
        assertNull(SdpRewriter.rewrite("v=0\r\nm=video 5000 RTP/AVP 31\r\nc=IN IP4 10.0.0.5\r\n".getBytes(StandardCharsets.UTF_8), "192.0.2.1", 1),
                "no audio: nothing to relay");
        assertNull(SdpRewriter.rewrite("not sdp".getBytes(StandardCharsets.UTF_8), "192.0.2.1", 1));
        assertNull(SdpRewriter.audio("v=0\r\nc=IN IP4 host.example\r\nm=audio 5000 RTP/AVP 0\r\n".getBytes(StandardCharsets.UTF_8)),
                "a name in c= is never looked up");
    }

    @Test
    void holdIsSendonlyOrInactiveOnTheAudioStreamOrTheSessionOrANullAddress() {
        String base = "v=0\r\no=a 1 1 IN IP4 10.0.0.9\r\ns=-\r\nc=IN IP4 10.0.0.9\r\nt=0 0\r\n";
        String audio = "m=audio 4000 RTP/AVP 8 0\r\n";
        org.junit.jupiter.api.Assertions.assertEquals(false, SdpRewriter.holds((base + audio).getBytes()));
        org.junit.jupiter.api.Assertions.assertEquals(true, SdpRewriter.holds((base + audio + "a=sendonly\r\n").getBytes()));
        org.junit.jupiter.api.Assertions.assertEquals(true, SdpRewriter.holds((base + audio + "a=inactive\r\n").getBytes()));
        org.junit.jupiter.api.Assertions.assertEquals(false, SdpRewriter.holds((base + audio + "a=recvonly\r\n").getBytes()));
        org.junit.jupiter.api.Assertions.assertEquals(true, SdpRewriter.holds((base + "a=sendonly\r\n" + audio).getBytes()), "session level");
        org.junit.jupiter.api.Assertions.assertEquals(false, SdpRewriter.holds((base + "a=sendonly\r\n" + audio + "a=sendrecv\r\n").getBytes()),
                "the stream's attribute wins over the session's");
        org.junit.jupiter.api.Assertions.assertEquals(true, SdpRewriter.holds((base.replace("c=IN IP4 10.0.0.9", "c=IN IP4 0.0.0.0") + audio).getBytes()),
                "RFC 2543 hold");
        org.junit.jupiter.api.Assertions.assertNull(SdpRewriter.holds("v=0\r\n".getBytes()));
        org.junit.jupiter.api.Assertions.assertEquals(8, SdpRewriter.payload((base + audio).getBytes()));
    }
}
