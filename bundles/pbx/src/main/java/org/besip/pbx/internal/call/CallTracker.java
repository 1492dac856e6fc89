package org.besip.pbx.internal.call;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.besip.core.api.event.Topics;
import org.besip.pbx.internal.proxy.Proxy;
import org.besip.pbx.internal.sip.SipMessage;

/**
 * Follows the calls that cross the proxy (dialog state only, keyed by Call-ID): publishes
 * {@code besip/pbx/call/STARTED|ANSWERED|ENDED} with the SDP media of both sides and writes one CDR
 * per call attempt. Bounded: at most {@link #MAX_CALLS} calls followed at once; a call that never
 * gets a final answer, or whose BYE never comes, is closed as {@code timeout}.
 */
public final class CallTracker implements Proxy.Observer, AutoCloseable {

    /** Ends an answered call from the box: a BYE to each side. */
    public interface Hangup {
        void hangup(String callId, String callerFrom, String callerContact, InetSocketAddress caller, String calleeTo,
                String calleeContact);
    }

    /** Where call events go (EventAdmin in the box). */
    public interface Publisher {
        void publish(String topic, Map<String, Object> props);
    }

    /** One call in progress. */
    public static final class Call {
        private final String callId;
        private final String from;
        private final String to;
        private final String source;
        private final String fromTag;
        private final long startMs;
        private String trunk;
        private long answerMs;
        private String callerFrom;
        private String callerContact;
        private InetSocketAddress callerAddress;
        private String calleeTo;
        private String calleeContact;
        private Prepaid.Decision price;
        private long deadlineMs;
        private Double cost;
        private org.besip.pbx.internal.media.MediaAnchor.Quality quality;
        private String recording;
        private String callerMedia;
        private String calleeMedia;
        private final List<String> payloads = new ArrayList<>();

        Call(String callId, String from, String to, String source, String fromTag, long startMs) {
            this.callId = callId;
            this.from = from;
            this.to = to;
            this.source = source;
            this.fromTag = fromTag;
            this.startMs = startMs;
        }

        public String callId() {
            return callId;
        }

        public String from() {
            return from;
        }

        public String to() {
            return to;
        }

        public String source() {
            return source;
        }

        public long startMs() {
            return startMs;
        }

        public long answerMs() {
            return answerMs;
        }

        public String trunk() {
            return trunk;
        }

        public Double cost() {
            return cost;
        }

        /** The call's recording under the recordings folder (null when it was not recorded). */
        public String recording() {
            return recording;
        }

        /** What the media relay measured of the call (null when it was not relayed). */
        public org.besip.pbx.internal.media.MediaAnchor.Quality quality() {
            return quality;
        }
    }

    public static final int MAX_CALLS = 10_000;
    static final long RING_TIMEOUT_MS = 5 * 60_000;
    static final long CALL_TIMEOUT_MS = 24 * 3_600_000L;

    private final Map<String, Call> calls = new LinkedHashMap<>();
    private final CdrStore cdrs;
    private final Publisher publisher;
    private final Prepaid prepaid;
    private volatile Hangup hangup = (id, f, cc, ca, t, ct) -> { };
    private java.util.concurrent.ScheduledFuture<?> timer;
    private long lastSweep;

    public CallTracker(CdrStore cdrs, Publisher publisher) {
        this(cdrs, publisher, null);
    }

    /** @param prepaid prices calls and charges them; null: no accounting */
    public CallTracker(CdrStore cdrs, Publisher publisher, Prepaid prepaid) {
        this.cdrs = cdrs;
        this.publisher = publisher;
        this.prepaid = prepaid;
    }

    private volatile java.util.function.Consumer<String> ended = id -> { };
    private volatile java.util.function.Function<String, org.besip.pbx.internal.media.MediaAnchor.Quality> quality = id -> null;

    private volatile java.util.function.Function<String, String[]> relayed = id -> null;
    private volatile java.util.function.Function<String, String> recording = id -> null;

    /** Where a call's recording is named for its CDR (the relay). */
    public void recording(java.util.function.Function<String, String> r) {
        this.recording = r;
    }

    /** Where a call's relay endpoints are read for its events (the relay), so the monitoring module joins its streams. */
    public void relayed(java.util.function.Function<String, String[]> r) {
        this.relayed = r;
    }

    /** Where a call's media quality is read when it ends, for its CDR (the relay). */
    public void quality(java.util.function.Function<String, org.besip.pbx.internal.media.MediaAnchor.Quality> q) {
        this.quality = q;
    }

    /** Told of each call's end (its Call-ID), after its CDR: the media relay releases its ports. */
    public void onEnded(java.util.function.Consumer<String> e) {
        this.ended = e;
    }

    /**
     * Ends a call from the box (its media stopped): charged and recorded first, then a BYE to each
     * side of an answered call; false when the call is not followed (any more).
     */
    public boolean hangUp(String callId, long now) {
        return end(callId, now, true);
    }

    /** A call the box ended itself (the B2BUA sent the BYEs): charged and recorded; false when it is not followed. */
    public boolean ended(String callId, long now) {
        return end(callId, now, false);
    }

    private boolean end(String callId, long now, boolean bye) {
        Call c;
        synchronized (this) {
            c = calls.remove(callId);
            if (c == null) {
                return false;
            }
            end(c, now, c.answerMs > 0 ? "answered" : "timeout", "box");
        }
        if (bye && c.answerMs > 0) {
            bye(c);
        }
        return true;
    }

    /** A BYE from the box to each side of an answered call, each as if the other side sent it. */
    private void bye(Call c) {
        hangup.hangup(c.callId, c.callerFrom, c.callerContact, c.callerAddress, c.calleeTo, c.calleeContact);
    }

    /** Who ends calls whose credit ran out (the proxy). */
    public void hangup(Hangup h) {
        this.hangup = h;
    }

    /** Checks the calls' credit every second on {@code timers} (shared with the SIP transactions), until {@link #close}. */
    public synchronized void startTimer(java.util.concurrent.ScheduledExecutorService timers) {
        timer = timers.scheduleWithFixedDelay(() -> {
            try {
                tick(System.currentTimeMillis());
            } catch (RuntimeException e) {
                // keep ticking
            }
        }, 1, 1, java.util.concurrent.TimeUnit.SECONDS);
    }

    /** Extends the grants of answered calls that ran out, from the credit left; ends those it cannot extend. */
    public synchronized void tick(long now) {
        for (Iterator<Call> it = calls.values().iterator(); it.hasNext();) {
            Call c = it.next();
            if (c.deadlineMs > 0 && now >= c.deadlineMs) {
                long more = prepaid.extend(c.callId, c.price);
                if (more > 0) {
                    c.deadlineMs += more;
                    continue;
                }
                it.remove();
                // charged and recorded before either side is told the call is over: whoever sees the BYE sees the charge
                end(c, c.deadlineMs, "answered", "box"); // ended when the credit ran out, not at the timer's tick
                bye(c);
            }
        }
    }

    /** A call in progress as the web page shows it. */
    public record Active(String callId, String from, String to, long startMs, long answerMs) {
    }

    /** The calls in progress, oldest first. */
    public synchronized List<Active> inProgress() {
        return calls.values().stream().map(c -> new Active(c.callId, c.from, c.to, c.startMs, c.answerMs)).toList();
    }

    public synchronized int active() {
        return calls.size();
    }

    @Override
    public synchronized void forwarded(SipMessage req, String trunk, Prepaid.Decision price, InetSocketAddress source, long now) {
        sweep(now);
        String callId = req.first("Call-ID");
        switch (req.method()) {
            case "INVITE" -> {
                if (SipMessage.tag(req.first("To")) != null || calls.containsKey(callId) || calls.size() >= MAX_CALLS) {
                    return; // a re-INVITE, a retransmission, or too many calls to follow
                }
                Call c = new Call(callId, SipMessage.addrSpec(req.first("From")), SipMessage.addrSpec(req.first("To")), address(source), SipMessage.tag(req.first("From")), now);
                c.trunk = trunk;
                c.callerFrom = req.first("From");
                c.callerContact = req.first("Contact");
                c.callerAddress = source;
                c.price = prepaid == null ? null : price;
                Sdp sdp = Sdp.parse(req.body());
                if (sdp != null) {
                    c.callerMedia = sdp.media();
                    c.payloads.addAll(sdp.payloads());
                }
                calls.put(callId, c);
                cdrs.started(c);
                publish(Topics.CALL_STARTED, c, null);
            }
            case "BYE" -> {
                Call c = calls.remove(callId);
                if (c != null) {
                    String hangup = c.fromTag != null && c.fromTag.equals(SipMessage.tag(req.first("From"))) ? "caller" : "callee";
                    end(c, now, c.answerMs > 0 ? "answered" : "cancelled", hangup);
                }
            }
            default -> {
                // CANCEL ends the call through its 487; the rest stays inside a dialog
            }
        }
    }

    @Override
    public synchronized void rerouted(SipMessage req, String trunk) {
        Call c = calls.get(req.first("Call-ID"));
        if (c != null) {
            c.trunk = trunk; // the CDR names the trunk the call went out through in the end
        }
    }

    @Override
    public synchronized void refused(SipMessage req, int status, InetSocketAddress source, long now) {
        if (!req.method().equals("INVITE") || SipMessage.tag(req.first("To")) != null || status == 401 || status == 407) {
            return; // a challenge is a step of the attempt, not its end
        }
        Call c = new Call(req.first("Call-ID"), SipMessage.addrSpec(req.first("From")), SipMessage.addrSpec(req.first("To")), address(source), null, now);
        cdrs.started(c);
        end(c, now, disposition(status), "box");
    }

    @Override
    public synchronized void responded(SipMessage res, long now) {
        String cseq = res.first("CSeq");
        if (cseq == null || !cseq.trim().endsWith("INVITE")) {
            return;
        }
        Call c = calls.get(res.first("Call-ID"));
        if (c == null) {
            return;
        }
        int status = res.status();
        if (status >= 200 && status < 300) {
            if (c.answerMs == 0) {
                c.answerMs = now;
                c.calleeTo = res.first("To");
                c.calleeContact = res.first("Contact");
                if (c.price != null && c.price.maxDurationMs() > 0) {
                    c.deadlineMs = now + c.price.maxDurationMs();
                }
                Sdp sdp = Sdp.parse(res.body());
                if (sdp != null) {
                    c.calleeMedia = sdp.media();
                    for (String p : sdp.payloads()) {
                        if (!c.payloads.contains(p)) {
                            c.payloads.add(p);
                        }
                    }
                }
                publish(Topics.CALL_ANSWERED, c, null);
            }
        } else if (status >= 300 && c.answerMs == 0) {
            calls.remove(c.callId);
            end(c, now, disposition(status), "callee");
        }
    }

    private void end(Call c, long now, String disposition, String hangup) {
        if (c.price != null && c.answerMs > 0) {
            long seconds = (now - c.answerMs + 999) / 1000; // per started second
            double cost = c.price.pricePerMinute() * seconds / 60.0;
            if (c.deadlineMs > 0 && now >= c.deadlineMs) {
                cost = c.price.pricePerMinute() * (c.deadlineMs - c.answerMs) / 60_000.0; // never more than its grants: the credit
            }
            c.cost = Math.floor(cost * 10_000 + 1e-6) / 10_000.0;
            prepaid.settle(c.callId, c.price.user(), c.cost);
        } else if (c.price != null) {
            c.cost = 0.0;
            prepaid.settle(c.callId, c.price.user(), 0); // never answered: the reservation goes back
        }
        try {
            c.quality = quality.apply(c.callId);
            c.recording = recording.apply(c.callId);
        } catch (RuntimeException e) {
            c.quality = null; // a CDR without its MOS rather than no CDR
        }
        cdrs.ended(c, now, disposition, hangup);
        publish(Topics.CALL_ENDED, c, disposition);
        try {
            ended.accept(c.callId);
        } catch (RuntimeException e) {
            // the relay must never stop call tracking
        }
    }

    private void sweep(long now) {
        if (now - lastSweep < 10_000) {
            return;
        }
        lastSweep = now;
        for (Iterator<Call> it = calls.values().iterator(); it.hasNext();) {
            Call c = it.next();
            if (c.answerMs == 0 ? now - c.startMs > RING_TIMEOUT_MS : now - c.answerMs > CALL_TIMEOUT_MS) {
                it.remove();
                end(c, now, "timeout", "box");
            }
        }
    }

    /**
     * A call in progress as the module's next version takes it on (design: state handover): what
     * the tracker knows of it, so that its BYE, its answer or its credit running out is handled
     * and its CDR row closed by the next version as it would have been by this one.
     */
    public record Snapshot(String callId, String from, String to, String source, String fromTag, long startMs, String trunk,
            long answerMs, String callerFrom, String callerContact, String callerAddress, String calleeTo, String calleeContact,
            Prepaid.Decision price, long deadlineMs, String callerMedia, String calleeMedia, List<String> payloads) {
    }

    /**
     * Stops following the calls without ending them (the module hands them to its next version):
     * the credit timer stops, no CDR is closed; returns the calls, oldest first.
     */
    public List<Snapshot> handOver() {
        return handOver(c -> true);
    }

    /**
     * The calls in progress that {@code goes} lets go to the next version; the tracker keeps none
     * (the others' CDR rows stay open, and the next start closes them as interrupted).
     */
    public synchronized List<Snapshot> handOver(java.util.function.Predicate<Snapshot> goes) {
        if (timer != null) {
            timer.cancel(false);
        }
        List<Snapshot> out = new ArrayList<>();
        for (Call c : calls.values()) {
            Snapshot s = new Snapshot(c.callId, c.from, c.to, c.source, c.fromTag, c.startMs, c.trunk, c.answerMs, c.callerFrom, c.callerContact,
                    address(c.callerAddress), c.calleeTo, c.calleeContact, c.price, c.deadlineMs, c.callerMedia, c.calleeMedia,
                    List.copyOf(c.payloads));
            if (goes.test(s)) {
                out.add(s);
            }
        }
        calls.clear();
        return out;
    }

    /** Follows the calls a previous version handed over (their CDR rows are open); beyond {@link #MAX_CALLS} they are not taken. */
    public synchronized void takeOver(List<Snapshot> handed) {
        for (Snapshot s : handed) {
            if (calls.size() >= MAX_CALLS) {
                return;
            }
            Call c = new Call(s.callId(), s.from(), s.to(), s.source(), s.fromTag(), s.startMs());
            c.trunk = s.trunk();
            c.answerMs = s.answerMs();
            c.callerFrom = s.callerFrom();
            c.callerContact = s.callerContact();
            c.callerAddress = socketAddress(s.callerAddress());
            c.calleeTo = s.calleeTo();
            c.calleeContact = s.calleeContact();
            c.price = s.price();
            c.deadlineMs = s.deadlineMs();
            c.callerMedia = s.callerMedia();
            c.calleeMedia = s.calleeMedia();
            c.payloads.addAll(s.payloads());
            calls.put(c.callId, c);
        }
    }

    private static InetSocketAddress socketAddress(String hostPort) {
        if (hostPort == null) {
            return null;
        }
        int colon = hostPort.lastIndexOf(':');
        String host = hostPort.substring(0, colon);
        return new InetSocketAddress(host.startsWith("[") ? host.substring(1, host.length() - 1) : host,
                Integer.parseInt(hostPort.substring(colon + 1)));
    }

    /** Calls still in progress when the module stops are closed as {@code interrupted}. */
    @Override
    public synchronized void close() {
        if (timer != null) {
            timer.cancel(false);
        }
        long now = System.currentTimeMillis();
        for (Call c : calls.values()) {
            end(c, now, "interrupted", "box");
        }
        calls.clear();
    }

    static String disposition(int status) {
        return switch (status) {
            case 486, 600 -> "busy";
            case 603 -> "declined";
            case 487 -> "cancelled";
            case 404, 484, 604 -> "not-found";
            case 408, 480 -> "no-answer";
            case 402, 403 -> "refused";
            default -> "failed";
        };
    }

    private void publish(String topic, Call c, String disposition) {
        Map<String, Object> p = new HashMap<>();
        p.put(Topics.PROP_CALL_ID, c.callId);
        put(p, "from", c.from);
        put(p, "to", c.to);
        put(p, Topics.PROP_SOURCE, c.source);
        put(p, Topics.PROP_MEDIA_CALLER, c.callerMedia);
        put(p, Topics.PROP_MEDIA_CALLEE, c.calleeMedia);
        p.put(Topics.PROP_PAYLOADS, c.payloads.toArray(String[]::new));
        put(p, "disposition", disposition);
        try {
            put(p, Topics.PROP_MEDIA_RELAY, relayed.apply(c.callId));
        } catch (RuntimeException e) {
            // an event without the relay's endpoints rather than none
        }
        publisher.publish(topic, p);
    }

    private static void put(Map<String, Object> p, String k, Object v) {
        if (v != null) {
            p.put(k, v);
        }
    }

    private static String address(InetSocketAddress a) {
        return a == null ? null : a.getAddress().getHostAddress() + ":" + a.getPort();
    }
}
