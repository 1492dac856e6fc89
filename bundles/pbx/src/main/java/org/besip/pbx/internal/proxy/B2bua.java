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

    /** What the B2BUA does with a call: the session interval it asks for and refreshes, the longest call (0: no limit). */
    public record Settings(int sessionExpiresS, long maxDurationMs) {
        public static final Settings DEFAULT = new Settings(1800, 4 * 3_600_000L);
        /** RFC 4028 §4: the smallest interval. */
        public static final int MIN_SE = 90;
    }

    static final int MAX_DIALOGS = 10_000;
    static final long RING_TIMEOUT_MS = 6 * 60_000;
    /** What the box says it allows in its dialogs (REFER: the transfer issue's). */
    static final String ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO, MESSAGE, NOTIFY";
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
    }

    /** One call: leg A (the caller's, keyed by its Call-ID, which the CDR and the relay use) and leg B. */
    static final class Dialog {
        final Leg a = new Leg();
        final Leg b = new Leg();
        final long startMs;
        boolean timerAsked;
        boolean timerSupported;
        boolean confirmed;
        boolean ended;
        Runnable refresh = () -> { };
        Runnable limit = () -> { };

        Dialog(long startMs) {
            this.startMs = startMs;
        }

        String callId() {
            return a.callId;
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
    }

    /** Calls the B2BUA holds (ringing or answered). */
    public int size() {
        return dialogs.size() / 2;
    }

    /** The leg-B Call-ID of a call, or null (tests, the page). */
    public String calleeCallId(String callerCallId) {
        Dialog d = dialogs.get(callerCallId);
        return d == null || !d.a.callId.equals(callerCallId) ? null : d.b.callId;
    }

    // ---------------------------------------------------------------- leg B's INVITE

    /**
     * An out-of-dialog INVITE routed for the B2BUA: its call opens (leg A as it came, from
     * {@code source}); false when the table is full.
     */
    boolean begin(SipMessage req, InetSocketAddress source, boolean stream, long now) {
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
        Dialog d = new Dialog(now);
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
        if (d != null && d.a.callId.equals(callId)) {
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
        Leg x = d == null ? null : d.a.callId.equals(req.first("Call-ID")) ? d.a : d.b; // the leg the answer goes on
        Leg y = x == null ? null : x == d.a ? d.b : d.a;
        int status = res.status();
        boolean invite = req.method().equals("INVITE");
        boolean initial = invite && SipMessage.tag(req.first("To")) == null;
        String toTag = null;
        if (initial && d != null && p != null) {
            String calleeTag = SipMessage.tag(res.first("To"));
            if (calleeTag != null && status > 100) {
                toTag = p.tagFor(d.a.callId + "|" + calleeTag);
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
                    ackAndBye(d, res);
                    return false;
                }
                return true;
            }
            d.confirmed = true;
            b.remoteTag = calleeTag;
            b.remote = withTag(untagged(b.remote), calleeTag);
            b.target = SipMessage.addrSpec(String.valueOf(res.first("Contact")));
            List<String> rr = new ArrayList<>(res.all("Record-Route"));
            java.util.Collections.reverse(rr);
            b.route = List.copyOf(rr);
            b.allowsUpdate = allows(res, "UPDATE");
            d.a.localTag = toTag;
            d.a.local = withTag(d.a.local, toTag);
        }
        schedule(d);
        return true;
    }

    /** A second callee's 2xx to a forked INVITE: ACKed, then a BYE, on that callee's own dialog. */
    private void ackAndBye(Dialog d, SipMessage res) {
        Proxy p = proxy;
        if (p == null) {
            return;
        }
        Leg fork = new Leg();
        fork.callId = d.b.callId;
        fork.local = d.b.local;
        fork.remote = withTag(untagged(d.b.remote), SipMessage.tag(res.first("To")));
        fork.target = SipMessage.addrSpec(String.valueOf(res.first("Contact")));
        List<String> rr = new ArrayList<>(res.all("Record-Route"));
        java.util.Collections.reverse(rr);
        fork.route = rr;
        fork.next = d.b.next;
        fork.stream = d.b.stream;
        fork.inviteCseq = d.b.inviteCseq;
        fork.cseq = d.b.inviteCseq;
        SipMessage ack = request(p, fork, "ACK", fork.inviteCseq, null, p.branch(fork.callId + "|fork-ack|" + fork.remote));
        p.sender().sendBack(ack.toBytes(), fork.next, fork.stream);
        send(p, fork, "BYE", null, null, r -> { });
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
        Leg y = d.a.callId.equals(res.first("Call-ID")) ? d.a : d.b;
        Leg x = y == d.a ? d.b : d.a;
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
     * with that leg's dialog identifiers and CSeq numbering; returns the box's answer (100 Trying
     * for a re-INVITE, 481 for a request that names no dialog of the box, 501 for a transfer), or
     * null.
     */
    SipMessage inDialog(SipMessage req, InetSocketAddress source, long now) {
        Proxy p = proxy;
        String method = req.method();
        boolean ack = method.equals("ACK");
        Dialog d = dialogs.get(String.valueOf(req.first("Call-ID")));
        Leg x = d == null ? null : d.a.callId.equals(req.first("Call-ID")) ? d.a : d.b;
        if (p == null || d == null || !mine(x, req)) {
            return ack ? null : req.answer(481, "Call/Transaction Does Not Exist", null);
        }
        Leg y = x == d.a ? d.b : d.a;
        if (method.equals("REFER")) {
            SipMessage no = req.answer(501, "Not Implemented", null);
            no.headers().add(new Header("Allow", ALLOW));
            return no;
        }
        long n = cseqNumber(req);
        byte[] body = req.body();
        boolean sdp = body != null && body.length > 0;
        if (ack) {
            SipMessage out;
            synchronized (d) {
                if (sdp) {
                    byte[] mapped = media(d, x, true, body, source, false);
                    body = mapped != null ? mapped : body;
                }
                out = request(p, y, "ACK", y.inviteCseq, sdp ? body : null, p.branch(y.callId + "|ack|" + y.inviteCseq));
                copy(req, out.headers(), REQUEST_HEADERS);
                y.ack = out.toBytes();
                if (sdp && y == d.b) {
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
                byte[] mapped = media(d, x, true, body, source, false);
                body = mapped != null ? mapped : body;
            }
            long cseq = ++y.cseq;
            out = request(p, y, method, cseq, sdp ? body : null, p.branch(topVia + "|" + y.callId));
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
        if (method.equals("BYE")) {
            remove(d);
        }
        return p.relay(req, source, out, y.next, y.stream, view(d, x, req), now);
    }

    /** Whether a request on leg {@code x} carries that leg's tags: the peer's in From, the box's in To (an ACK, CANCEL of the INVITE: none yet). */
    private static boolean mine(Leg x, SipMessage req) {
        String from = SipMessage.tag(req.first("From"));
        String to = SipMessage.tag(req.first("To"));
        return x.remoteTag != null && x.remoteTag.equals(from) && x.localTag != null && x.localTag.equals(to);
    }

    /** The request as the call's observer (CDRs, events) sees it: on leg A's Call-ID, so a callee's BYE ends the caller's call. */
    private static SipMessage view(Dialog d, Leg x, SipMessage req) {
        if (x == d.a) {
            return req;
        }
        List<Header> h = new ArrayList<>();
        for (Header e : req.headers()) {
            h.add(e.name().equalsIgnoreCase("Call-ID") ? new Header("Call-ID", d.a.callId) : e);
        }
        return SipMessage.request(req.method(), req.uri(), h, req.body());
    }

    // ---------------------------------------------------------------- the box's own requests: refreshes, teardown

    /** Ends a call from the box: a BYE on each leg of an answered call, nothing more on a ringing one; false when it holds no such call. */
    boolean hangup(String callerCallId, String reason) {
        Dialog d = dialogs.get(callerCallId);
        if (d == null || !d.a.callId.equals(callerCallId)) {
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
            send(p, d.a, "BYE", null, reason, r -> { });
            send(p, d.b, "BYE", null, reason, r -> { });
        }
        return true;
    }

    /** The box tears a call down itself (a vanished side, the longest call): BYEs, then the observer writes its CDR. */
    private void tearDown(Dialog d, String why) {
        if (hangup(d.a.callId, "Q.850;cause=102;text=\"" + why + "\"")) {
            try {
                ended.accept(d.a.callId, why);
            } catch (RuntimeException e) {
                // the CDR writer must never stop signalling
            }
        }
    }

    /** Starts an answered call's refreshes (every half session interval) and its longest-call limit. */
    private void schedule(Dialog d) {
        Proxy p = proxy;
        if (p == null) {
            return;
        }
        Settings s = settings;
        long half = s.sessionExpiresS() * 500L;
        synchronized (d) {
            d.refresh = p.schedule(() -> refresh(d), half);
            if (s.maxDurationMs() > 0) {
                d.limit = p.schedule(() -> tearDown(d, "maximum call duration"), s.maxDurationMs());
            }
        }
    }

    /** A session refresh on both legs; a side that does not answer it (or answers 408/481) ends the call. */
    private void refresh(Dialog d) {
        Proxy p = proxy;
        if (p == null || d.ended) {
            return;
        }
        for (Leg leg : List.of(d.a, d.b)) {
            String method;
            byte[] sdp;
            synchronized (d) {
                method = leg.allowsUpdate || leg.sdp == null ? "UPDATE" : "INVITE";
                sdp = method.equals("INVITE") ? leg.sdp : null;
            }
            send(p, leg, method, sdp, null, res -> {
                int status = res == null ? 408 : res.status();
                if (status == 408 || status == 481) {
                    tearDown(d, "session timer expired");
                } else if ((status == 405 || status == 501) && method.equals("UPDATE")) {
                    leg.allowsUpdate = false;
                } else if (status >= 200 && status < 300 && method.equals("INVITE")) {
                    Proxy q = proxy;
                    if (q != null) {
                        SipMessage ack = request(q, leg, "ACK", cseqNumber(res), null, q.branch(leg.callId + "|refresh-ack|" + cseqNumber(res)));
                        q.sender().sendBack(ack.toBytes(), leg.next, leg.stream);
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

    /** A request of the box's own on {@code leg}, the next CSeq of that leg; {@code answered} gets its final answer (null: none came). */
    private void send(Proxy p, Leg leg, String method, byte[] sdp, String reason, java.util.function.Consumer<SipMessage> answered) {
        SipMessage out;
        synchronized (leg) {
            long cseq = ++leg.cseq;
            out = request(p, leg, method, cseq, sdp, p.branch(leg.callId + "|own|" + cseq + "|" + method));
            if (method.equals("INVITE")) {
                leg.inviteCseq = cseq;
            }
        }
        if (method.equals("INVITE") || method.equals("UPDATE")) {
            out.headers().add(new Header("Contact", contact(p, leg.stream)));
            out.headers().add(new Header("Session-Expires", settings.sessionExpiresS() + ";refresher=uac"));
            out.headers().add(new Header("Supported", "timer"));
        }
        if (reason != null) {
            out.headers().add(new Header("Reason", reason));
        }
        String via = out.first("Via");
        p.tx().send(Proxy.param(via.substring(via.indexOf(';')), "branch"), out, leg.next, leg.stream, answered);
    }

    /** A request on {@code leg}'s dialog: Request-URI its peer's Contact, its route set, its From/To/Call-ID, our Via. */
    private static SipMessage request(Proxy p, Leg leg, String method, long cseq, byte[] body, String branch) {
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
            h.add(new Header("Content-Type", "application/sdp"));
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
        String tag = request == fromCaller ? d.a.remoteTag : "";
        return m.body(d.a.callId, tag, request, body, source == null ? null : source.getAddress(), answered);
    }

    private void remove(Dialog d) {
        synchronized (d) {
            d.ended = true;
            d.refresh.run();
            d.limit.run();
        }
        dialogs.remove(d.a.callId, d);
        if (d.b.callId != null) {
            dialogs.remove(d.b.callId, d);
        }
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
