package org.besip.pbx.internal.media;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Decides which calls the relay carries and rewrites their SDP (the proxy's half of the relay; the
 * B2BUA uses the same). Policy {@code never}, {@code nat-only} (the default: relay when the
 * caller's SDP address is not where its signalling comes from, or the callee is reached on a flow
 * other than its Contact), or {@code always}. A call is relayed from its first offer (an INVITE
 * with SDP); each later SDP in the call (the answer, a re-INVITE or UPDATE either way) tells the
 * relay where its sender receives and is rewritten for the side that reads it. A call whose INVITE
 * carries no SDP (a late offer: offer in the 200, answer in the ACK) is relayed from its 200, when
 * the policy wants it for what the INVITE showed (its Contact not where it came from, a NAT'd
 * callee).
 */
public final class MediaAnchor {

    public enum Policy {
        NEVER, NAT_ONLY, ALWAYS;

        public static Policy of(String yang) {
            return yang == null ? NAT_ONLY : switch (yang) {
                case "never" -> NEVER;
                case "always" -> ALWAYS;
                default -> NAT_ONLY;
            };
        }
    }

    /** The relay has no port pair left for a call that needs it. */
    public static final class Full extends Exception {
        private static final long serialVersionUID = 1L;

        Full(String callId) {
            super("no media relay ports free for " + callId);
        }
    }

    private final MediaRelay relay;
    private final String box;
    private final Policy policy;
    private final Map<String, String> callerTags = new ConcurrentHashMap<>();
    /** INVITEs without SDP that the policy relays once their 200 brings the offer: Call-ID to what is known of the caller. */
    private final Map<String, Late> late = new ConcurrentHashMap<>();

    private record Late(String callerTag, InetSocketAddress callerSource, InetSocketAddress callee, long atMs, boolean record) {
    }

    private volatile Recordings recordings;

    /** The caller's From tag of each relayed call (how in-dialog SDP is told caller from callee), for the next version. */
    public Map<String, String> callerTags() {
        return Map.copyOf(callerTags);
    }

    /** Takes on the caller tags of the sessions a previous version handed to this relay. */
    public void callerTags(Map<String, String> handed) {
        handed.forEach((id, tag) -> {
            if (relay.get(id) != null) {
                callerTags.put(id, tag);
            }
        });
    }

    /** Where recorded calls are written (null: recording is not possible). */
    public void recordings(Recordings r) {
        this.recordings = r;
    }

    /** Starts recording {@code s} ({@code callId}) when the box records calls. */
    private void record(String callId, MediaRelay.Session s) {
        Recordings r = recordings;
        if (r != null && s.recorder == null) {
            String[] name = new String[1];
            Recorder rec = r.start(callId, System.currentTimeMillis(), System.nanoTime(), name);
            relay.record(s, rec, name[0]);
        }
    }

    /** The name of a call's recording under the recordings folder, or null when it is not recorded. */
    public String recording(String callId) {
        MediaRelay.Session s = relay == null || callId == null ? null : relay.get(callId);
        return s == null ? null : s.recording();
    }

    /**
     * @param relay the relay (null with policy never)
     * @param box the address phones are told to send media to
     */
    public MediaAnchor(MediaRelay relay, String box, Policy policy) {
        this.relay = relay;
        this.box = box;
        this.policy = relay == null ? Policy.NEVER : policy;
    }

    public Policy policy() {
        return policy;
    }

    public MediaRelay relay() {
        return relay;
    }

    /**
     * An out-of-dialog INVITE's offer as it leaves for the callee: rewritten to the callee's leg
     * when the call is relayed, else null (the body goes unchanged).
     *
     * @param callerSource where the INVITE came from
     * @param callee where the callee is reached (its flow), or null
     * @param calleeNatted whether the callee's flow differs from its Contact
     */
    public byte[] offer(String callId, String callerTag, byte[] body, InetSocketAddress callerSource, InetSocketAddress callee,
            boolean calleeNatted) throws Full {
        return offer(callId, callerTag, body, callerSource, callee, calleeNatted, false);
    }

    /** The same; {@code record}: the call is recorded, so relayed whatever the policy (but never). */
    public byte[] offer(String callId, String callerTag, byte[] body, InetSocketAddress callerSource, InetSocketAddress callee,
            boolean calleeNatted, boolean record) throws Full {
        if (policy == Policy.NEVER || callId == null || callerTag == null) {
            return null;
        }
        InetSocketAddress sdp = SdpRewriter.audio(body);
        if (sdp == null) {
            return null;
        }
        MediaRelay.Session existing = relay.get(callId);
        if (existing == null) {
            boolean natted = !sdp.getAddress().equals(callerSource.getAddress()) || calleeNatted;
            if (policy == Policy.NAT_ONLY && !natted && !record) {
                return null;
            }
            existing = relay.open(callId);
            if (existing == null) {
                throw new Full(callId);
            }
            if (record) {
                record(callId, existing);
            }
            if (callerTags.size() > 2 * relay.settings().capacity()) {
                callerTags.keySet().removeIf(id -> relay.get(id) == null); // sessions the relay released on its own (timeouts)
            }
            callerTags.put(callId, callerTag);
            existing.caller().signalling(callerSource.getAddress());
            if (callee != null) {
                existing.callee().signalling(callee.getAddress());
            }
        }
        existing.caller().remote(sdp);
        return SdpRewriter.rewrite(body, box, existing.callee().port());
    }

    /**
     * A later SDP body of a relayed call, as it leaves for the side that reads it; null when the
     * call is not relayed (or the body has no audio stream).
     *
     * @param request whether the body is in a request (else in a response)
     * @param fromTag the message's From tag: the caller's in its requests and in the answers to them
     * @param answered whether the body is in a 2xx: the call is up, and media timeouts count from now
     */
    public byte[] body(String callId, String fromTag, boolean request, byte[] body, InetAddress source, boolean answered) {
        if (relay == null || callId == null || body == null || body.length == 0) {
            return null;
        }
        MediaRelay.Session s = relay.get(callId);
        if (s == null && !request && answered) {
            return lateAnswer(callId, body);
        }
        String callerTag = s == null ? null : callerTags.get(callId);
        InetSocketAddress sdp = callerTag == null ? null : SdpRewriter.audio(body); // a call not relayed: no SDP parsed
        if (sdp == null) {
            return null;
        }
        boolean fromCaller = request == callerTag.equals(fromTag);
        if (answered) {
            s.answered();
        }
        MediaRelay.Leg sender = fromCaller ? s.caller() : s.callee();
        sender.remote(sdp);
        if (source != null) {
            sender.signalling(source);
        }
        MediaRelay.Leg reader = fromCaller ? s.callee() : s.caller();
        return SdpRewriter.rewrite(body, box, reader.port());
    }

    /** What a relayed call's two directions measured: per side, the MOS (BESIP E-model), loss in percent and jitter in ms. */
    public record Quality(Double mosCaller, Double mosCallee, Double lossCaller, Double lossCallee, Double jitterCaller, Double jitterCallee) {
    }

    /** One-way network delay assumed for the E-model: the monitoring module's default {@code network-delay}. */
    static final double DELAY_MS = 20;
    private static final org.besip.core.api.quality.ImpairmentTable TABLE = org.besip.core.api.quality.ImpairmentTable.defaults(true);

    /**
     * What the relay measured of {@code callId} so far (null when it is not relayed): each side's
     * stream as it reached the box, scored with the same E-model as the monitoring module.
     */
    public Quality quality(String callId) {
        MediaRelay.Session s = relay == null || callId == null ? null : relay.get(callId);
        if (s == null) {
            return null;
        }
        org.besip.core.api.quality.StreamStats a = s.caller().stats();
        org.besip.core.api.quality.StreamStats b = s.callee().stats();
        org.besip.core.api.quality.QualityResult qa = a == null ? null
                : org.besip.core.api.quality.QualityResult.of(a, TABLE, null, DELAY_MS, 0);
        org.besip.core.api.quality.QualityResult qb = b == null ? null
                : org.besip.core.api.quality.QualityResult.of(b, TABLE, null, DELAY_MS, 0);
        return new Quality(qa == null ? null : qa.mos(), qb == null ? null : qb.mos(), a == null ? null : a.lossPercent(),
                b == null ? null : b.lossPercent(), a == null ? null : a.jitterMs(), b == null ? null : b.jitterMs());
    }

    /**
     * An INVITE without SDP (a late offer): remembered, when the policy relays it, so that its 200's
     * offer opens the session. {@code callerNatted}: the INVITE's Contact is not where it came from.
     */
    public void lateOffer(String callId, String callerTag, InetSocketAddress callerSource, InetSocketAddress callee, boolean callerNatted,
            boolean calleeNatted) {
        lateOffer(callId, callerTag, callerSource, callee, callerNatted, calleeNatted, false);
    }

    /** The same; {@code record}: the call is recorded, so relayed whatever the policy (but never). */
    public void lateOffer(String callId, String callerTag, InetSocketAddress callerSource, InetSocketAddress callee, boolean callerNatted,
            boolean calleeNatted, boolean record) {
        if (policy == Policy.NEVER || callId == null || callerTag == null
                || (policy == Policy.NAT_ONLY && !callerNatted && !calleeNatted && !record)) {
            return;
        }
        long now = System.currentTimeMillis();
        if (late.size() >= relay.settings().capacity()) {
            late.values().removeIf(l -> now - l.atMs() > MediaRelay.RING_TIMEOUT_MS); // bounded: what never got its 200 goes
            if (late.size() >= relay.settings().capacity()) {
                return;
            }
        }
        late.put(callId, new Late(callerTag, callerSource, callee, now, record));
    }

    /**
     * A 2xx with the offer of a late-offer call the policy relays: the session opens with the
     * callee's SDP, and the offer leaves for the caller pointed at the caller's leg; null when the
     * call is not such a call (or the relay is full: the call goes on unrelayed).
     */
    byte[] lateAnswer(String callId, byte[] body) {
        Late l = late.remove(callId);
        InetSocketAddress sdp = l == null ? null : SdpRewriter.audio(body);
        if (sdp == null) {
            return null;
        }
        MediaRelay.Session s = relay.open(callId);
        if (s == null) {
            return null;
        }
        if (l.record()) {
            record(callId, s);
        }
        callerTags.put(callId, l.callerTag());
        s.caller().signalling(l.callerSource().getAddress());
        if (l.callee() != null) {
            s.callee().signalling(l.callee().getAddress());
        }
        s.callee().remote(sdp);
        s.answered();
        return SdpRewriter.rewrite(body, box, s.caller().port());
    }

    /** The box's RTP endpoints of a relayed call ({@code ip:port}: the caller's leg, the callee's), or null. */
    public String[] endpoints(String callId) {
        MediaRelay.Session s = relay == null || callId == null ? null : relay.get(callId);
        String host = box.contains(":") ? "[" + box + "]" : box;
        return s == null ? null : new String[] { host + ":" + s.caller().port(), host + ":" + s.callee().port() };
    }

    /**
     * One side of a relayed call is on hold ({@code callerHeld}: the caller is the one held): the
     * relay plays music to it in {@code payloadType} (0 PCMU, 8 PCMA) instead of the other side's
     * audio, until {@link #resume}.
     */
    public void hold(String callId, boolean callerHeld, int payloadType) {
        MediaRelay.Session s = relay == null || callId == null ? null : relay.get(callId);
        if (s != null) {
            relay.play(callerHeld ? s.caller() : s.callee(), payloadType);
        }
    }

    /** The held side is taken off hold: it hears the other side again. */
    public void resume(String callId, boolean callerHeld) {
        MediaRelay.Session s = relay == null || callId == null ? null : relay.get(callId);
        if (s != null) {
            relay.stopPlaying(callerHeld ? s.caller() : s.callee());
        }
    }

    /** The call ended: its relay session and ports are released. */
    public void end(String callId) {
        if (relay != null && callId != null) {
            callerTags.remove(callId);
            late.remove(callId);
            relay.release(callId);
        }
    }
}
