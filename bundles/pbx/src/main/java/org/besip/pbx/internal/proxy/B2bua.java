package org.besip.pbx.internal.proxy;

import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

import org.besip.pbx.internal.media.MediaAnchor;
import org.besip.pbx.internal.sip.SipMessage;
import org.besip.pbx.internal.sip.SipMessage.Header;

/**
 * The box as a back-to-back user agent ({@code mode b2bua}): a call's INVITE, once routed by the
 * proxy's one routing decision, ends on the box (the caller's dialog, leg A) and the box starts its
 * own dialog towards the callee (leg B): its own Call-ID, From tag, Contact and Via, no
 * Record-Route, only the headers a call needs, the SDP pointed at the media relay. So nothing of
 * one side's topology (Via path, Contact, Record-Route, Call-ID, media addresses) reaches the
 * other. The proxy's transaction layer still carries the INVITE (forking, failover to the next
 * trunk, a provider's challenge, CANCEL, timers); this class maps each answer onto leg A (a To
 * tag of the box's per callee fork, the box's Contact) and each later request of one leg onto the
 * other (re-INVITE and UPDATE with their SDP rewritten, BYE, INFO, the ACK of a 2xx), with the CSeq
 * numbering of the leg it goes on.
 * <p>
 * Session timers (RFC 4028): the box is the refresher on both legs. Every half interval it sends
 * each side an UPDATE (a re-INVITE with the SDP that side last got, when it does not allow
 * UPDATE); a side that answers 408 or 481, or not at all, has vanished, and the call is torn down
 * (a BYE to the other side, the CDR written). A call longer than the maximum duration is torn down
 * the same way. At most {@link #MAX_DIALOGS} calls at once; a call that never gets answered goes
 * with its final answer, or after {@link #RING_TIMEOUT_MS}.
 */
public final class B2bua {

    /**
     * What the B2BUA does with a call: the session interval it asks for and refreshes, the longest
     * call (0: no limit), the number a user dials to pick up a ringing call.
     */
    public record Settings(int sessionExpiresS, long maxDurationMs, String pickupCode) {
        public static final Settings DEFAULT = new Settings(1800, 4 * 3_600_000L, "*8");

        public Settings(int sessionExpiresS, long maxDurationMs) {
            this(sessionExpiresS, maxDurationMs, DEFAULT.pickupCode());
        }
        /** RFC 4028 §4: the smallest interval. */
        public static final int MIN_SE = 90;
    }

    static final int MAX_DIALOGS = 10_000;
    static final long RING_TIMEOUT_MS = 6 * 60_000;
    /** What the box says it allows in its dialogs: REFER too, since it carries out transfers. */
    static final String ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO, MESSAGE, NOTIFY, REFER";
    /** Headers that cross from one leg to the other; every other one (Via, Route, Record-Route, Contact, User-Agent ...) stays on its leg. */
    private static final Set<String> REQUEST_HEADERS = Set.of("content-type", "content-disposition", "content-encoding", "accept",
            "subject", "priority", "privacy", "p-asserted-identity", "expires", "event", "subscription-state", "reason", "info-package",
            "recv-info", "alert-info", "date");
    private static final Set<String> RESPONSE_HEADERS = Set.of("content-type", "content-disposition", "content-encoding", "accept",
            "unsupported", "warning", "retry-after", "reason", "www-authenticate", "proxy-authenticate", "date", "recv-info");
    private static final SecureRandom RANDOM = new SecureRandom();

    /** One side of a call as the box sees it: the box is the UA of each. */
    static final class Leg {
        String callId;
        /** What the box writes in From on this leg (its own tag in it), and in To (the peer's tag, once known). */
        String local;
        String remote;
        String localTag;
        String remoteTag;
        /** The peer's Contact, its route set, and where requests to it go (its flow: the address it signals from). */
        String target;
        List<String> route = List.of();
        InetSocketAddress next;
        boolean stream;
        long cseq;
        long remoteCseq = -1;
        long inviteCseq;
        boolean allowsUpdate;
        /** The SDP the box last sent this side (what a re-INVITE refresh offers again). */
        byte[] sdp;
        /** This leg's last 2xx to an INVITE (sent again when the other side's retransmission of it comes) and the ACK the box sent. */
        byte[] answer;
        byte[] ack;
        /** The 2xx to this leg's INVITE was the box's own (a pickup): its ACK ends at the box. */
        boolean ownAnswer;
        /** The peer hung up this leg while a transfer was replacing it. */
        boolean gone;

        /**
         * The peer answered the box's INVITE on this leg with the 2xx {@code res}: the dialog's
         * other half (RFC 3261 §12.1.2): its tag, its Contact as the target, the Record-Route
         * reversed as the route set.
         */
        void answered(SipMessage res) {
            remoteTag = SipMessage.tag(res.first("To"));
            remote = withTag(untagged(remote), remoteTag);
            target = SipMessage.addrSpec(String.valueOf(res.first("Contact")));
            List<String> rr = new ArrayList<>(res.all("Record-Route"));
            java.util.Collections.reverse(rr);
            route = List.copyOf(rr);
            allowsUpdate = allows(res, "UPDATE");
        }
    }

    /**
     * One call: leg A (the caller's) and leg B (the callee's). {@code key}, leg A's first Call-ID,
     * names the call for its CDR, events and relay session whatever legs it has later (a transfer
     * or a pickup puts another leg in the place of one).
     */
    static final class Dialog {
        final String key;
        /** The caller's tag: how the relay tells the caller's SDP from the callee's. */
        final String callerTag;
        Leg a = new Leg();
        Leg b = new Leg();
        final long startMs;
        /** The caller's INVITE transaction (a pickup answers it), and the local user the call rings (null: none, a trunk). */
        String inviteKey;
        String callee;
        /** The leg a pickup took the call from (its late 2xx is ACKed and ended), the leg a transfer is replacing. */
        Leg picked;
        Leg replaced;
        /** Which side holds the other (its SDP said sendonly or inactive): the held side hears music. */
        boolean callerHolds;
        boolean calleeHolds;
        boolean timerAsked;
        boolean timerSupported;
        boolean confirmed;
        boolean ended;
        /** When the longest-call limit ends the call (epoch ms; 0: no limit); a call taken over from the last version waits for its timers. */
        long limitAtMs;
        boolean handed;
        Runnable refresh = () -> { };
        Runnable limit = () -> { };

        Dialog(String key, String callerTag, long startMs) {
            this.key = key;
            this.callerTag = callerTag;
            this.startMs = startMs;
        }

        /** The leg of this call whose Call-ID is {@code callId}, or null. */
        Leg leg(String callId) {
            for (Leg l : new Leg[] { a, b, picked, replaced }) {
                if (l != null && callId.equals(l.callId)) {
                    return l;
                }
            }
            return null;
        }

        Leg other(Leg l) {
            return l == a ? b : a;
        }
    }

    private final Map<String, Dialog> dialogs = new ConcurrentHashMap<>();
    private volatile Settings settings;
    private volatile Proxy proxy;
    private volatile BiConsumer<String, String> ended = (callId, why) -> { };

    public B2bua(Settings settings) {
        this.settings = settings;
    }

    public void settings(Settings s) {
        this.settings = s;
    }

    public Settings settings() {
        return settings;
    }

    /** Told of each call the B2BUA tears down (its leg-A Call-ID, why), after the BYEs left: the CDR is written. */
    public void onEnded(BiConsumer<String, String> e) {
        this.ended = e;
    }

    /** The proxy whose transactions carry the legs from now on (a new one per configuration; the calls stay). */
    void attach(Proxy p) {
        this.proxy = p;
        for (Dialog d : Set.copyOf(dialogs.values())) {
            boolean start;
            synchronized (d) {
                start = d.handed && !d.ended;
                d.handed = false;
            }
            if (start) {
                timers(d); // a call taken over from the last version: its refresh and limit go on on this version's timers
            }
        }
    }

    /** Calls the B2BUA holds (ringing or answered). */
    public int size() {
        return (int) dialogs.values().stream().distinct().count();
    }

    /** The leg-B Call-ID of a call, or null (tests, the page). */
    public String calleeCallId(String callerCallId) {
        Dialog d = dialogs.get(callerCallId);
        return d == null || !d.key.equals(callerCallId) ? null : d.b.callId;
    }

    // ---------------------------------------------------------------- leg B's INVITE

    /**
     * An out-of-dialog INVITE routed for the B2BUA: its call opens (leg A as it came, from
     * {@code source}); false when the table is full.
     */
    boolean begin(SipMessage req, InetSocketAddress source, boolean stream, String callee, long now) {
        String callId = req.first("Call-ID");
        if (dialogs.containsKey(callId)) {
            return true; // the INVITE again (a challenge answered by the caller): the call it opened goes on
        }
        if (dialogs.size() >= 2 * MAX_DIALOGS) {
            dialogs.values().removeIf(d -> !d.confirmed && now - d.startMs > RING_TIMEOUT_MS);
            if (dialogs.size() >= 2 * MAX_DIALOGS) {
                return false;
            }
        }
        Dialog d = new Dialog(callId, SipMessage.tag(req.first("From")), now);
        d.inviteKey = Transactions.key(req, "INVITE");
        d.callee = callee;
        Leg a = d.a;
        a.callId = callId;
        a.local = untagged(req.first("To")); // the box answers as the user the caller asked for; its tag comes with the answer
        a.remote = req.first("From");
        a.remoteTag = SipMessage.tag(a.remote);
        a.target = SipMessage.addrSpec(String.valueOf(req.first("Contact")));
        a.route = req.all("Record-Route");
        a.next = source;
        a.stream = stream;
        a.remoteCseq = cseqNumber(req);
        a.allowsUpdate = allows(req, "UPDATE");
        a.cseq = 1;
        d.timerAsked = req.first("Session-Expires") != null;
        d.timerSupported = supports(req, "timer");
        Leg b = d.b;
        b.callId = hex(16) + "@b2b";
        b.localTag = hex(8);
        b.cseq = 1;
        b.inviteCseq = 1;
        dialogs.put(a.callId, d);
        dialogs.put(b.callId, d);
        return true;
    }

    /** The call an INVITE opened goes: its transaction could not be opened. */
    void forget(String callId) {
        Dialog d = dialogs.get(callId);
        if (d != null && d.key.equals(callId)) {
            remove(d);
        }
    }

    /**
     * Leg B's INVITE for one target, from what the proxy would have sent ({@code proxied}: the
     * Request-URI, our Via, Max-Forwards, the From as the box presents it, the credentials taken
     * out): the caller's Via path, Record-Route, Contact, Call-ID and tags replaced by the box's.
     */
    SipMessage invite(SipMessage caller, SipMessage proxied, InetSocketAddress next, boolean stream) {
        Dialog d = dialogs.get(caller.first("Call-ID"));
        Proxy p = proxy;
        if (d == null || p == null) {
            return proxied;
        }
        Leg b = d.b;
        List<Header> h = new ArrayList<>();
        h.add(new Header("Via", proxied.first("Via")));
        h.add(new Header("Max-Forwards", String.valueOf(proxied.first("Max-Forwards"))));
        String presented = untagged(proxied.first("From"));
        if (SipMessage.addrSpec(presented).equals(SipMessage.addrSpec(caller.first("From")))) {
            presented = onBox(presented, p); // the caller's user at the box: its host (a phone's address, a provider's) stays on its leg
        }
        String from = withTag(presented, b.localTag);
        String to = untagged(caller.first("To"));
        h.add(new Header("From", from));
        h.add(new Header("To", to));
        h.add(new Header("Call-ID", b.callId));
        h.add(new Header("CSeq", b.inviteCseq + " INVITE"));
        h.add(new Header("Contact", contact(p, stream)));
        h.add(new Header("Allow", ALLOW));
        h.add(new Header("Supported", "timer"));
        int se = settings.sessionExpiresS();
        h.add(new Header("Session-Expires", se + ";refresher=uac"));
        h.add(new Header("Min-SE", String.valueOf(Settings.MIN_SE)));
        copy(proxied, h, REQUEST_HEADERS);
        synchronized (d) {
            b.local = from;
            b.remote = to;
            b.next = next;
            b.stream = stream;
            b.sdp = proxied.body();
        }
        return SipMessage.request("INVITE", proxied.uri(), h, proxied.body());
    }

    // ---------------------------------------------------------------- answers onto the other leg

    /**
     * An answer on its way back to the side whose request {@code req} was: mapped onto that side's
     * leg (its Via, From, To, Call-ID and CSeq, the box's To tag and Contact, the SDP pointed at the
     * relay); the box's own answers pass unchanged; null when it goes nowhere (a second callee's
     * 2xx, which the box ACKs and ends itself).
     */
    SipMessage answer(SipMessage req, SipMessage res) {
        String resCall = res.first("Call-ID");
        if (resCall == null || resCall.equals(req.first("Call-ID"))) {
            return res; // the box's own answer (a 408, a 500): already on the caller's leg
        }
        Proxy p = proxy;
        Dialog d = dialogs.get(resCall);
        Leg x = d == null ? null : d.leg(String.valueOf(req.first("Call-ID"))); // the leg the answer goes on
        Leg y = x == null ? null : d.leg(resCall); // the leg it came on
        int status = res.status();
        boolean invite = req.method().equals("INVITE");
        boolean initial = invite && SipMessage.tag(req.first("To")) == null;
        String toTag = null;
        if (initial && d != null && p != null) {
            String calleeTag = SipMessage.tag(res.first("To"));
            if (y != null && y == d.picked) {
                if (status >= 200 && status < 300) {
                    ackAndBye(y, res); // the callee answered after someone picked its call up
                }
                return null;
            }
            if (calleeTag != null && status > 100) {
                toTag = p.tagFor(d.key + "|" + calleeTag);
            }
            if (status >= 200 && status < 300) {
                if (!confirm(d, res, calleeTag, toTag)) {
                    return null;
                }
            } else if (status >= 300) {
                remove(d); // no call: the leg ends with its answer
            }
        }
        SipMessage out = req.answer(status, res.reason(), toTag);
        if (x != null && y != null && x != d.a && x != d.b) {
            return out; // an answer on a leg that left the call (a transferor's)
        }
        List<Header> h = out.headers();
        copy(res, h, RESPONSE_HEADERS);
        boolean success = status >= 200 && status < 300;
        boolean dialogForming = invite || req.method().equals("UPDATE") || req.method().equals("SUBSCRIBE");
        if (p != null && dialogForming && (success || status > 100 && toTag != null)) {
            h.add(new Header("Contact", contact(p, x != null && x.stream)));
            h.add(new Header("Allow", ALLOW));
        }
        if (initial && success && d != null && (d.timerAsked || d.timerSupported)) {
            h.add(new Header("Session-Expires", settings.sessionExpiresS() + ";refresher=uas"));
            if (d.timerSupported) {
                h.add(new Header("Require", "timer"));
            }
        }
        byte[] body = res.body();
        if (body != null && body.length > 0 && d != null && x != null) {
            byte[] mapped = media(d, y, false, body, null, success && invite);
            body = mapped != null ? mapped : body;
            if (invite) {
                x.sdp = body;
            }
        }
        out = out.withBody(body == null ? new byte[0] : body);
        if (success && invite && x != null) {
            synchronized (d) {
                x.answer = out.toBytes();
            }
        }
        return out;
    }

    /**
     * Leg B answered (a 2xx with {@code calleeTag}): the call is up, leg A gets its tag, the
     * timers start; false when another fork answered first (this one is ACKed and ended here).
     */
    private boolean confirm(Dialog d, SipMessage res, String calleeTag, String toTag) {
        Leg b = d.b;
        synchronized (d) {
            if (d.ended) {
                return true; // the caller hung up meanwhile: its BYE follows the 2xx
            }
            if (d.confirmed) {
                if (calleeTag != null && !calleeTag.equals(b.remoteTag)) {
                    ackAndBye(b, res);
                    return false;
                }
                return true;
            }
            d.confirmed = true;
            b.answered(res);
            d.a.localTag = toTag;
            d.a.local = withTag(d.a.local, toTag);
        }
        schedule(d);
        return true;
    }

    /** A 2xx to the box's INVITE on {@code base} the call does not take (a second fork's, a picked-up callee's): ACKed, then a BYE. */
    private void ackAndBye(Leg base, SipMessage res) {
        Proxy p = proxy;
        if (p == null) {
            return;
        }
        Leg fork = new Leg();
        fork.callId = base.callId;
        fork.local = base.local;
        fork.remote = base.remote;
        fork.answered(res);
        fork.next = base.next;
        fork.stream = base.stream;
        fork.inviteCseq = base.inviteCseq;
        fork.cseq = base.inviteCseq;
        ack(p, fork, fork.inviteCseq, "fork|" + fork.remote);
        send(p, fork, "BYE", null, null, null, r -> { });
    }

    /**
     * A response of a leg no transaction of the box matches: a 2xx retransmitted to an INVITE the
     * box carried. Its ACK goes again when the box sent one; else the other side gets the 2xx
     * again (it ACKs each). False when it is none of the box's calls.
     */
    boolean stray(SipMessage res) {
        String cseq = String.valueOf(res.first("CSeq")).trim();
        Dialog d = dialogs.get(String.valueOf(res.first("Call-ID")));
        if (d == null || res.status() < 200 || res.status() >= 300 || !cseq.endsWith("INVITE")) {
            return d != null;
        }
        Proxy p = proxy;
        Leg y = d.leg(String.valueOf(res.first("Call-ID")));
        if (y == null || y == d.picked) {
            return true;
        }
        Leg x = d.other(y);
        byte[] ack;
        byte[] answer;
        synchronized (d) {
            ack = y.ack;
            answer = x.answer;
        }
        if (p != null && ack != null) {
            p.sender().sendBack(ack, y.next, y.stream);
        } else if (p != null && answer != null) {
            p.sender().sendBack(answer, x.next, x.stream);
        }
        return true;
    }

    // ---------------------------------------------------------------- requests inside a call

    /** Whether {@code req} belongs to a call of the B2BUA (by its Call-ID). */
    boolean holds(SipMessage req) {
        return dialogs.containsKey(String.valueOf(req.first("Call-ID")));
    }

    /**
     * A request inside a call (a To tag, or a CANCEL or ACK of one): carried onto the other leg
     * with that leg's dialog identifiers and CSeq numbering; a REFER is the box's to carry out (a
     * transfer). Returns the box's answer (100 Trying for a re-INVITE, 202 for a REFER, 481 for a
     * request that names no dialog of the box), or null.
     */
    SipMessage inDialog(SipMessage req, InetSocketAddress source, long now) {
        Proxy p = proxy;
        String method = req.method();
        boolean ack = method.equals("ACK");
        String callId = String.valueOf(req.first("Call-ID"));
        Dialog d = dialogs.get(callId);
        Leg x = d == null ? null : d.leg(callId);
        if (p == null || d == null || x == null || x == d.picked || !mine(x, req)) {
            return ack ? null : req.answer(481, "Call/Transaction Does Not Exist", null);
        }
        if (x == d.replaced) { // the transferor, while its transfer goes on: its BYE ends its own leg only
            if (method.equals("BYE")) {
                x.gone = true;
                return req.answer(200, "OK", null);
            }
            return ack ? null : req.answer(method.equals("NOTIFY") ? 200 : 491, method.equals("NOTIFY") ? "OK" : "Request Pending", null);
        }
        Leg y = d.other(x);
        if (method.equals("REFER")) {
            return refer(p, d, x, y, req, now);
        }
        long n = cseqNumber(req);
        byte[] body = req.body();
        boolean sdp = body != null && body.length > 0;
        if (ack) {
            SipMessage out;
            synchronized (d) {
                if (x.ownAnswer) {
                    x.ownAnswer = false;
                    return null; // the ACK of the box's own 2xx (a pickup's) ends here
                }
                if (sdp) {
                    byte[] mapped = media(d, x, true, body, source, false);
                    body = mapped != null ? mapped : body;
                }
                out = request(p, y, "ACK", y.inviteCseq, sdp ? body : null, null, p.branch(y.callId + "|ack|" + y.inviteCseq));
                copy(req, out.headers(), REQUEST_HEADERS);
                y.ack = out.toBytes();
                if (sdp) {
                    y.sdp = body;
                }
            }
            p.sender().sendBack(y.ack, y.next, y.stream);
            return null;
        }
        if (method.equals("CANCEL")) {
            return req.answer(481, "Call/Transaction Does Not Exist", null); // a CANCEL of a transaction in progress was answered before
        }
        SipMessage out;
        String topVia = String.valueOf(req.first("Via"));
        Boolean holds = null;
        synchronized (d) {
            if (n <= x.remoteCseq) {
                return req.answer(500, "CSeq Out Of Order", null);
            }
            x.remoteCseq = n;
            boolean refresh = method.equals("INVITE") || method.equals("UPDATE");
            if (refresh && req.first("Contact") != null) {
                x.target = SipMessage.addrSpec(req.first("Contact")); // a target refresh
            }
            if (sdp) {
                holds = org.besip.pbx.internal.media.SdpRewriter.holds(body);
                byte[] mapped = media(d, x, true, body, source, false);
                body = mapped != null ? mapped : body;
            }
            long cseq = ++y.cseq;
            out = request(p, y, method, cseq, sdp ? body : null, null, p.branch(topVia + "|" + y.callId));
            copy(req, out.headers(), REQUEST_HEADERS);
            if (refresh) {
                out.headers().add(new Header("Contact", contact(p, y.stream)));
            }
            if (method.equals("INVITE")) {
                y.inviteCseq = cseq;
                y.ack = null;
                x.answer = null;
                if (sdp) {
                    y.sdp = body;
                }
            }
            if (method.equals("BYE")) {
                d.ended = true;
            }
        }
        if (holds != null) {
            hold(d, x, holds);
        }
        if (method.equals("BYE")) {
            remove(d);
        }
        // the call's observer (CDRs, events) sees it on the call's key: a callee's BYE ends the caller's call
        return p.relay(req, source, out, y.next, y.stream, Proxy.onCall(req, d.key), now);
    }

    /**
     * {@code holder} put the other side on hold ({@code on}: its SDP said sendonly or inactive) or
     * took it off: the relay plays music to the held side meanwhile.
     */
    private void hold(Dialog d, Leg holder, boolean on) {
        boolean callerHolds = holder == d.a;
        boolean was;
        byte[] heldSdp;
        synchronized (d) {
            was = callerHolds ? d.callerHolds : d.calleeHolds;
            if (callerHolds) {
                d.callerHolds = on;
            } else {
                d.calleeHolds = on;
            }
            heldSdp = d.other(holder).sdp;
        }
        Proxy p = proxy;
        MediaAnchor m = p == null ? null : p.mediaAnchor();
        if (m == null || was == on) {
            return;
        }
        if (on) {
            m.hold(d.key, !callerHolds, org.besip.pbx.internal.media.SdpRewriter.payload(heldSdp));
        } else {
            m.resume(d.key, !callerHolds);
        }
    }

    /**
     * A REFER from {@code x} (the transferor): the box transfers {@code y}, the transferee, and
     * tells {@code x} how it goes (NOTIFY with a sipfrag, RFC 3515). A Refer-To with Replaces
     * (attended transfer, RFC 3891) names another call of the box's that {@code x} is in: its other
     * side takes {@code x}'s place (a re-INVITE points it at this call's relay) and both of
     * {@code x}'s legs end. Otherwise the target must be a local user (no transfer leaves through a
     * trunk: it would be a call out nobody authenticated); the box calls it with the SDP {@code x}
     * had, and the answering phone takes {@code x}'s place.
     */
    private SipMessage refer(Proxy p, Dialog d, Leg x, Leg y, SipMessage req, long now) {
        String referTo = req.first("Refer-To");
        if (referTo == null) {
            return req.answer(400, "Missing Refer-To", null);
        }
        String uri = SipMessage.addrSpec(referTo);
        synchronized (d) {
            if (!d.confirmed || d.ended || d.replaced != null) {
                return req.answer(491, "Request Pending", null);
            }
        }
        long n = cseqNumber(req);
        String[] replaces = replaces(uri);
        if (replaces != null) {
            Dialog d2 = dialogs.get(replaces[0]);
            Leg l2 = d2 == null ? null : d2.leg(replaces[0]);
            if (d2 == null || d2 == d || l2 == null || !replaces[1].equals(l2.localTag) || !replaces[2].equals(l2.remoteTag) || !d2.confirmed) {
                return req.answer(481, "Replaces Names No Call", null);
            }
            x.remoteCseq = Math.max(x.remoteCseq, n);
            attended(p, d, x, d2, l2);
            return accepted(req);
        }
        List<Proxy.Target> targets = p.ringLocal(uri, now);
        if (targets == null) {
            return req.answer(403, "Transfer Target Not Allowed", null);
        }
        x.remoteCseq = Math.max(x.remoteCseq, n);
        if (targets.isEmpty()) {
            notifyRefer(p, x, "SIP/2.0 480 Temporarily Unavailable", true);
            return accepted(req);
        }
        Proxy.Target t = targets.get(0);
        Leg nl = new Leg();
        nl.callId = hex(16) + "@b2b";
        nl.localTag = hex(8);
        nl.local = withTag(onBox(untagged(y.remote), p), nl.localTag); // the transfer target sees the transferee calling
        nl.remote = "<" + uri.replaceAll("[?;].*$", "") + ">";
        nl.target = t.uri();
        nl.next = t.next();
        nl.stream = t.stream();
        nl.sdp = x.sdp;
        synchronized (d) {
            d.replaced = x;
        }
        dialogs.put(nl.callId, d);
        notifyRefer(p, x, "SIP/2.0 100 Trying", false);
        send(p, nl, "INVITE", x.sdp, null, null, res -> transferred(d, x, nl, res));
        return accepted(req);
    }

    private static SipMessage accepted(SipMessage req) {
        return req.answer(202, "Accepted", null);
    }

    /** The transfer target's final answer (null: none came): it takes the transferor's place, or the call goes on as it was. */
    private void transferred(Dialog d, Leg x, Leg nl, SipMessage res) {
        Proxy p = proxy;
        if (p == null) {
            return;
        }
        int status = res == null ? 408 : res.status();
        if (status >= 200 && status < 300) {
            synchronized (d) {
                nl.answered(res);
            }
            nl.ack = ack(p, nl, nl.inviteCseq, "transfer");
            tookPlace(p, d, x, nl, res);
            return;
        }
        boolean gone;
        synchronized (d) {
            d.replaced = null;
            gone = x.gone;
        }
        dialogs.remove(nl.callId, d);
        if (gone) {
            dialogs.remove(x.callId, d);
            tearDown(d, "transfer failed"); // the transferor left: nobody is left for the transferee
        } else {
            notifyRefer(p, x, sipfrag(res), true);
        }
    }

    /**
     * {@code n} answered in the place of the transferor {@code x} (its 2xx {@code res}): the call
     * goes on with {@code n}, the relay sends it the other side's audio, and {@code x} is told and
     * ended (unless it hung up already).
     */
    private void tookPlace(Proxy p, Dialog d, Leg x, Leg n, SipMessage res) {
        boolean gone;
        synchronized (d) {
            if (d.a == x) {
                d.a = n;
            } else {
                d.b = n;
            }
            d.replaced = null;
            gone = x.gone;
        }
        if (res.body() != null && res.body().length > 0) {
            media(d, n, false, res.body(), null, true);
        }
        dialogs.remove(x.callId, d);
        if (!gone) {
            notifyRefer(p, x, "SIP/2.0 200 OK", true);
            send(p, x, "BYE", null, null, null, r -> { });
        }
    }

    /** A final answer as the sipfrag of a NOTIFY (null: none came, a 408). */
    private static String sipfrag(SipMessage res) {
        return res == null ? "SIP/2.0 408 Request Timeout" : "SIP/2.0 " + res.status() + " " + res.reason();
    }

    /** The ACK of a 2xx to the box's own INVITE on {@code leg} (CSeq {@code cseq}), sent; returns its bytes. */
    private static byte[] ack(Proxy p, Leg leg, long cseq, String what) {
        byte[] ack = request(p, leg, "ACK", cseq, null, null, p.branch(leg.callId + "|ack|" + what + "|" + cseq)).toBytes();
        p.sender().sendBack(ack, leg.next, leg.stream);
        return ack;
    }

    /**
     * An attended transfer: {@code x} is in this call and in {@code d2} (its leg there {@code l2});
     * {@code d2}'s other side takes {@code x}'s place here, re-INVITEd with the SDP {@code x} had
     * (this call's relay ports), and {@code d2} ends (its CDR is written, its relay released).
     */
    private void attended(Proxy p, Dialog d, Leg x, Dialog d2, Leg l2) {
        Leg z = d2.other(l2);
        synchronized (d) {
            d.replaced = x;
        }
        notifyRefer(p, x, "SIP/2.0 100 Trying", false);
        synchronized (d2) {
            d2.ended = true;
            d2.refresh.run();
            d2.limit.run();
        }
        dialogs.remove(d2.key, d2);
        dialogs.remove(l2.callId, d2);
        dialogs.put(z.callId, d);
        try {
            ended.accept(d2.key, "transferred");
        } catch (RuntimeException e) {
            // the CDR writer must never stop signalling
        }
        send(p, z, "INVITE", x.sdp, null, null, res -> {
            Proxy q = proxy;
            if (q == null) {
                return;
            }
            if (res != null && res.status() >= 200 && res.status() < 300) {
                ack(q, z, cseqNumber(res), "replaces");
                tookPlace(q, d, x, z, res);
            } else {
                synchronized (d) {
                    d.replaced = null;
                }
                dialogs.remove(z.callId, d);
                send(q, z, "BYE", null, null, null, r -> { }); // its own call was ended for the transfer
                notifyRefer(q, x, sipfrag(res), true);
            }
            send(q, l2, "BYE", null, null, null, r -> { }); // the transferor's leg of the other call ends either way
        });
    }

    /** A NOTIFY of the REFER's progress to the transferor (RFC 3515 §2.4.4): the target's answer as a sipfrag. */
    private void notifyRefer(Proxy p, Leg x, String statusLine, boolean last) {
        if (p == null) {
            return;
        }
        List<Header> extra = List.of(new Header("Event", "refer"),
                new Header("Subscription-State", last ? "terminated;reason=noresource" : "active;expires=60"));
        send(p, x, "NOTIFY", (statusLine + "\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII), "message/sipfrag;version=2.0", extra,
                r -> { });
    }

    /** A Refer-To's Replaces (RFC 3891 §6.1, escaped in the URI's headers): Call-ID, to-tag, from-tag; null when it has none. */
    static String[] replaces(String uri) {
        int q = uri.indexOf('?');
        if (q < 0) {
            return null;
        }
        for (String h : uri.substring(q + 1).split("&")) {
            int eq = h.indexOf('=');
            if (eq > 0 && h.substring(0, eq).equalsIgnoreCase("Replaces")) {
                String v = java.net.URLDecoder.decode(h.substring(eq + 1).replace("+", "%2B"), java.nio.charset.StandardCharsets.UTF_8);
                String[] parts = v.split(";");
                String to = null;
                String from = null;
                for (int i = 1; i < parts.length; i++) {
                    String[] kv = parts[i].trim().split("=", 2);
                    if (kv.length == 2 && kv[0].equalsIgnoreCase("to-tag")) {
                        to = kv[1];
                    } else if (kv.length == 2 && kv[0].equalsIgnoreCase("from-tag")) {
                        from = kv[1];
                    }
                }
                return to == null || from == null ? null : new String[] { parts[0].trim(), to, from };
            }
        }
        return null;
    }

    /**
     * A call pickup ({@code *8}, or the configured code) by the authenticated local user
     * {@code picker}: the oldest call ringing a local user (not one the picker placed) is answered
     * to its caller with the picker's phone in the callee's place, the callee's branches
     * cancelled; 404 when nothing rings.
     */
    SipMessage pickup(SipMessage req, InetSocketAddress source, boolean stream, String picker, long now) {
        Proxy p = proxy;
        Dialog d = null;
        for (Dialog c : dialogs.values()) {
            synchronized (c) {
                if (!c.confirmed && !c.ended && c.callee != null && c.picked == null
                        && !picker.equalsIgnoreCase(String.valueOf(Proxy.userOf(SipMessage.addrSpec(c.a.remote)))) && (d == null || c.startMs < d.startMs)) {
                    d = c;
                }
            }
        }
        if (p == null || d == null) {
            return req.answer(404, "No Call To Pick Up", null);
        }
        Leg nl = new Leg();
        nl.callId = req.first("Call-ID");
        nl.remote = req.first("From");
        nl.remoteTag = SipMessage.tag(nl.remote);
        nl.localTag = hex(8);
        nl.local = withTag(untagged(req.first("To")), nl.localTag);
        nl.target = SipMessage.addrSpec(String.valueOf(req.first("Contact")));
        nl.route = req.all("Record-Route");
        nl.next = source;
        nl.stream = stream;
        nl.remoteCseq = cseqNumber(req);
        nl.inviteCseq = 0;
        nl.allowsUpdate = allows(req, "UPDATE");
        nl.ownAnswer = true;
        Dialog call = d;
        String toTag = p.tagFor(d.key + "|pickup|" + nl.callId);
        byte[] pickerSdp = req.body();
        boolean[] took = new boolean[1];
        boolean answered = p.tx().takeOver(d.inviteKey, caller -> {
            synchronized (call) {
                if (call.confirmed || call.ended) {
                    return null;
                }
                call.picked = call.b;
                call.b = nl;
                call.confirmed = true;
                call.a.localTag = toTag;
                call.a.local = withTag(call.a.local, toTag);
                call.a.ownAnswer = true;
                took[0] = true;
            }
            SipMessage ok = caller.answer(200, "OK", toTag);
            ok.headers().add(new Header("Contact", contact(p, call.a.stream)));
            ok.headers().add(new Header("Allow", ALLOW));
            byte[] body = pickerSdp == null || pickerSdp.length == 0 ? null : media(call, nl, false, pickerSdp, source, true);
            if (body != null || pickerSdp != null && pickerSdp.length > 0) {
                ok.headers().add(new Header("Content-Type", "application/sdp"));
                call.a.sdp = body != null ? body : pickerSdp;
            }
            return ok.withBody(call.a.sdp == null ? new byte[0] : call.a.sdp);
        });
        if (!answered || !took[0]) {
            return req.answer(404, "No Call To Pick Up", null);
        }
        dialogs.put(nl.callId, d);
        schedule(d);
        SipMessage ok = req.answer(200, "OK", nl.localTag);
        ok.headers().add(new Header("Contact", contact(p, stream)));
        ok.headers().add(new Header("Allow", ALLOW));
        byte[] offer = d.picked.sdp; // the caller's offer, as the callee got it: the callee's relay port
        if (offer != null && offer.length > 0) {
            ok.headers().add(new Header("Content-Type", "application/sdp"));
            nl.sdp = offer;
        }
        return ok.withBody(offer == null ? new byte[0] : offer);
    }

    /** Whether a request on leg {@code x} carries that leg's tags: the peer's in From, the box's in To (an ACK, CANCEL of the INVITE: none yet). */
    private static boolean mine(Leg x, SipMessage req) {
        String from = SipMessage.tag(req.first("From"));
        String to = SipMessage.tag(req.first("To"));
        return x.remoteTag != null && x.remoteTag.equals(from) && x.localTag != null && x.localTag.equals(to);
    }

    // ---------------------------------------------------------------- the box's own requests: refreshes, teardown

    /** Ends a call from the box: a BYE on each leg of an answered call, nothing more on a ringing one; false when it holds no such call. */
    boolean hangup(String callerCallId, String reason) {
        Dialog d = dialogs.get(callerCallId);
        if (d == null || !d.key.equals(callerCallId)) {
            return false;
        }
        boolean bye;
        synchronized (d) {
            bye = d.confirmed && !d.ended;
            d.ended = true;
        }
        remove(d);
        Proxy p = proxy;
        if (bye && p != null) {
            send(p, d.a, "BYE", null, null, reason == null ? List.of() : List.of(new Header("Reason", reason)), r -> { });
            send(p, d.b, "BYE", null, null, reason == null ? List.of() : List.of(new Header("Reason", reason)), r -> { });
        }
        return true;
    }

    /** The box tears a call down itself (a vanished side, the longest call): BYEs, then the observer writes its CDR. */
    private void tearDown(Dialog d, String why) {
        if (hangup(d.key, "Q.850;cause=102;text=\"" + why + "\"")) {
            try {
                ended.accept(d.key, why);
            } catch (RuntimeException e) {
                // the CDR writer must never stop signalling
            }
        }
    }

    /** Starts an answered call's refreshes (every half session interval) and its longest-call limit. */
    private void schedule(Dialog d) {
        Settings s = settings;
        synchronized (d) {
            d.limitAtMs = s.maxDurationMs() > 0 ? System.currentTimeMillis() + s.maxDurationMs() : 0;
        }
        timers(d);
    }

    /** The refresh timer (half a session interval from now) and the limit at {@code d.limitAtMs}. */
    private void timers(Dialog d) {
        Proxy p = proxy;
        if (p == null) {
            return;
        }
        long half = settings.sessionExpiresS() * 500L;
        synchronized (d) {
            d.refresh = p.schedule(() -> refresh(d), half);
            if (d.limitAtMs > 0) {
                d.limit = p.schedule(() -> tearDown(d, "maximum call duration"), Math.max(0, d.limitAtMs - System.currentTimeMillis()));
            }
        }
    }

    // ---------------------------------------------------------------- handover to the next version

    /** One leg of an answered call as the next version takes it over (docs/handover.md). */
    public record LegState(String callId, String local, String remote, String localTag, String remoteTag, String target, List<String> route,
            InetSocketAddress next, boolean stream, long cseq, long remoteCseq, long inviteCseq, boolean allowsUpdate, byte[] sdp, byte[] answer,
            byte[] ack) {
    }

    /**
     * An answered call as the next version takes it over: its key and caller tag, when it began,
     * the local user it rang, who holds whom, the session-timer flags, when its limit ends it,
     * the Call-IDs it is found by, and its two legs.
     */
    public record DialogState(String key, String callerTag, long startMs, String callee, boolean callerHolds, boolean calleeHolds,
            boolean timerAsked, boolean timerSupported, long limitAtMs, List<String> names, LegState a, LegState b) {
    }

    /**
     * The answered calls, for the next version (the module stops): this B2BUA lets go of them and
     * their timers. A call still ringing, or in the middle of a transfer or a pickup, is not among
     * them: its transactions are this version's.
     */
    public List<DialogState> handOver() {
        Map<Dialog, List<String>> names = new java.util.IdentityHashMap<>();
        dialogs.forEach((id, d) -> names.computeIfAbsent(d, x -> new ArrayList<>()).add(id));
        List<DialogState> out = new ArrayList<>();
        names.forEach((d, ids) -> {
            synchronized (d) {
                if (d.confirmed && !d.ended && d.replaced == null && d.picked == null && !d.a.ownAnswer && !d.b.ownAnswer) {
                    out.add(new DialogState(d.key, d.callerTag, d.startMs, d.callee, d.callerHolds, d.calleeHolds, d.timerAsked, d.timerSupported,
                            d.limitAtMs, List.copyOf(ids), state(d.a), state(d.b)));
                    d.refresh.run(); // this version no longer follows it: the next one refreshes and limits it
                    d.limit.run();
                    ids.forEach(id -> dialogs.remove(id, d));
                }
            }
        });
        return out;
    }

    private static LegState state(Leg l) {
        return new LegState(l.callId, l.local, l.remote, l.localTag, l.remoteTag, l.target, l.route, l.next, l.stream, l.cseq, l.remoteCseq,
                l.inviteCseq, l.allowsUpdate, l.sdp, l.answer, l.ack);
    }

    /**
     * The answered calls the last version handed over: each goes on under the Call-IDs it had;
     * its session refresh and limit start once a proxy carries the legs ({@link #attach}). A call
     * whose Call-IDs are taken already is skipped.
     */
    public int takeOver(List<DialogState> handed) {
        int n = 0;
        for (DialogState st : handed) {
            if (st.names().isEmpty() || st.names().stream().anyMatch(dialogs::containsKey) || dialogs.size() >= 2 * MAX_DIALOGS) {
                continue;
            }
            Dialog d = new Dialog(st.key(), st.callerTag(), st.startMs());
            d.callee = st.callee();
            d.callerHolds = st.callerHolds();
            d.calleeHolds = st.calleeHolds();
            d.timerAsked = st.timerAsked();
            d.timerSupported = st.timerSupported();
            d.limitAtMs = st.limitAtMs();
            d.confirmed = true;
            d.handed = true;
            leg(d.a, st.a());
            leg(d.b, st.b());
            for (String id : st.names()) {
                dialogs.put(id, d);
            }
            n++;
        }
        Proxy p = proxy;
        if (p != null) {
            attach(p);
        }
        return n;
    }

    private static void leg(Leg l, LegState st) {
        l.callId = st.callId();
        l.local = st.local();
        l.remote = st.remote();
        l.localTag = st.localTag();
        l.remoteTag = st.remoteTag();
        l.target = st.target();
        l.route = st.route() == null ? List.of() : List.copyOf(st.route());
        l.next = st.next();
        l.stream = st.stream();
        l.cseq = st.cseq();
        l.remoteCseq = st.remoteCseq();
        l.inviteCseq = st.inviteCseq();
        l.allowsUpdate = st.allowsUpdate();
        l.sdp = st.sdp();
        l.answer = st.answer();
        l.ack = st.ack();
    }

    /** A session refresh on both legs; a side that does not answer it (or answers 408/481) ends the call. */
    private void refresh(Dialog d) {
        Proxy p = proxy;
        if (p == null || d.ended) {
            return;
        }
        Leg[] legs;
        synchronized (d) {
            legs = new Leg[] { d.a, d.b };
        }
        for (Leg leg : legs) {
            String method;
            byte[] sdp;
            synchronized (d) {
                method = leg.allowsUpdate || leg.sdp == null ? "UPDATE" : "INVITE";
                sdp = method.equals("INVITE") ? leg.sdp : null;
            }
            send(p, leg, method, sdp, null, null, res -> {
                int status = res == null ? 408 : res.status();
                if (status == 408 || status == 481) {
                    tearDown(d, "session timer expired");
                } else if ((status == 405 || status == 501) && method.equals("UPDATE")) {
                    leg.allowsUpdate = false;
                } else if (status >= 200 && status < 300 && method.equals("INVITE")) {
                    Proxy q = proxy;
                    if (q != null) {
                        ack(q, leg, cseqNumber(res), "refresh");
                    }
                }
            });
        }
        synchronized (d) {
            if (!d.ended) {
                d.refresh = p.schedule(() -> refresh(d), settings.sessionExpiresS() * 500L);
            }
        }
    }

    /**
     * A request of the box's own on {@code leg}, the next CSeq of that leg, its body of
     * {@code contentType} (null: SDP); {@code answered} gets its final answer (null: none came).
     */
    private void send(Proxy p, Leg leg, String method, byte[] body, String contentType, List<Header> extra,
            java.util.function.Consumer<SipMessage> answered) {
        if (p == null) {
            return;
        }
        SipMessage out;
        synchronized (leg) {
            long cseq = ++leg.cseq;
            out = request(p, leg, method, cseq, body, contentType, p.branch(leg.callId + "|own|" + cseq + "|" + method));
            if (method.equals("INVITE")) {
                leg.inviteCseq = cseq;
            }
        }
        if (method.equals("INVITE") || method.equals("UPDATE")) {
            out.headers().add(new Header("Contact", contact(p, leg.stream)));
            out.headers().add(new Header("Allow", ALLOW));
            out.headers().add(new Header("Session-Expires", settings.sessionExpiresS() + ";refresher=uac"));
            out.headers().add(new Header("Supported", "timer"));
        }
        if (extra != null) {
            out.headers().addAll(extra);
        }
        String via = out.first("Via");
        p.tx().send(Proxy.param(via.substring(via.indexOf(';')), "branch"), out, leg.next, leg.stream, answered);
    }

    /** A request on {@code leg}'s dialog: Request-URI its peer's Contact, its route set, its From/To/Call-ID, our Via. */
    private static SipMessage request(Proxy p, Leg leg, String method, long cseq, byte[] body, String contentType, String branch) {
        List<Header> h = new ArrayList<>();
        h.add(new Header("Via", "SIP/2.0/" + (leg.stream ? "TCP " : "UDP ") + p.host() + ":" + p.port() + ";branch=" + branch));
        h.add(new Header("Max-Forwards", "70"));
        for (String r : leg.route) {
            h.add(new Header("Route", r));
        }
        h.add(new Header("From", leg.local));
        h.add(new Header("To", leg.remote));
        h.add(new Header("Call-ID", leg.callId));
        h.add(new Header("CSeq", cseq + " " + method));
        if (body != null) {
            h.add(new Header("Content-Type", contentType == null ? "application/sdp" : contentType));
        }
        String target = leg.target != null && !leg.target.equals("null") ? leg.target : SipMessage.addrSpec(leg.remote);
        return SipMessage.request(method, target, h, body == null ? new byte[0] : body);
    }

    // ---------------------------------------------------------------- helpers

    /** An SDP from {@code from}'s side as the other side reads it (pointed at the relay), or null when the call is not relayed. */
    private byte[] media(Dialog d, Leg from, boolean request, byte[] body, InetSocketAddress source, boolean answered) {
        Proxy p = proxy;
        MediaAnchor m = p == null ? null : p.mediaAnchor();
        if (m == null) {
            return null;
        }
        // the relay tells the caller's messages by the caller's tag: its requests carry it in From, the answers to its requests too
        boolean fromCaller = from == d.a;
        String tag = request == fromCaller ? d.callerTag : "";
        return m.body(d.key, tag, request, body, source == null ? null : source.getAddress(), answered);
    }

    private void remove(Dialog d) {
        synchronized (d) {
            d.ended = true;
            d.refresh.run();
            d.limit.run();
        }
        dialogs.values().removeIf(x -> x == d);
    }

    private static void copy(SipMessage from, List<Header> into, Set<String> names) {
        for (Header e : from.headers()) {
            String n = e.name().toLowerCase(Locale.ROOT);
            if (names.contains(n) && !(n.equals("content-type") && into.stream().anyMatch(x -> x.name().equalsIgnoreCase("Content-Type")))) {
                into.add(e);
            }
        }
    }

    /** A From value with its URI's host made the box's (the user, display name and parameters kept). */
    static String onBox(String nameAddr, Proxy p) {
        String uri = SipMessage.addrSpec(nameAddr);
        String user = Proxy.userOf(uri);
        String host = p.host().contains(":") ? "[" + p.host() + "]" : p.host();
        String boxUri = "sip:" + (user == null ? "" : user + "@") + host;
        return nameAddr.replace(uri, boxUri);
    }

    private static String contact(Proxy p, boolean stream) {
        String host = p.host().contains(":") ? "[" + p.host() + "]" : p.host();
        return "<sip:b2b@" + host + ":" + p.port() + (stream ? ";transport=tcp" : "") + ">";
    }

    private static String untagged(String nameAddr) {
        return nameAddr == null ? null : nameAddr.replaceAll("(?i);\\s*tag=[^;\\s>]*", "");
    }

    private static String withTag(String nameAddr, String tag) {
        return tag == null ? nameAddr : nameAddr + ";tag=" + tag;
    }

    static long cseqNumber(SipMessage m) {
        String c = String.valueOf(m.first("CSeq")).trim();
        int sp = c.indexOf(' ');
        try {
            return Long.parseLong(sp < 0 ? c : c.substring(0, sp));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static boolean allows(SipMessage m, String method) {
        for (String a : m.all("Allow")) {
            for (String t : a.split(",")) {
                if (t.trim().equalsIgnoreCase(method)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean supports(SipMessage m, String option) {
        for (String name : List.of("Supported", "Require")) {
            for (String a : m.all(name)) {
                for (String t : a.split(",")) {
                    if (t.trim().equalsIgnoreCase(option)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private static String hex(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
