package org.besip.pbx.internal.proxy;

import org.besip.pbx.internal.transport.Sender;
import org.besip.pbx.internal.auth.AuthFailures;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.besip.pbx.internal.auth.DigestAuthenticator;
import org.besip.pbx.internal.call.Prepaid;
import org.besip.pbx.internal.media.MediaAnchor;
import org.besip.pbx.internal.registrar.Binding;
import org.besip.pbx.internal.registrar.LocationService;
import org.besip.pbx.internal.sip.SipMessage;
import org.besip.pbx.internal.sip.SipUri;
import org.besip.pbx.internal.sip.Via;
import org.besip.pbx.internal.sip.SipMessage.Header;

/**
 * Routes requests between registered users and to trunks as a transaction-stateful proxy (RFC 3261
 * §16): loose routing (our own Route removed, a remaining Route followed), Max-Forwards
 * decremented, Record-Route on INVITE so the dialog stays on the box, our Via on top, responses
 * sent back along the Via path (RFC 3581 received/rport honoured). An INVITE is answered 100 Trying
 * at once; a request to a user goes to every registered contact at once (parallel forking); the
 * {@link Transactions} layer retransmits, times out (408), picks the best answer, ACKs failures and
 * carries CANCEL to the branches. A request for a user who is not configured is answered 404, for a
 * configured user without a binding 480. The ACK of a 2xx is forwarded statelessly (§16.10) with a
 * branch derived from the incoming one.
 * <p>
 * Routing policy, default deny (the one decision the proxy and a B2BUA share, {@link #route}):
 * an out-of-dialog request is routed only when it comes from a configured trunk and is for a
 * local user, or from a local user who proved who it is (407 digest challenge; the authenticated
 * user must be the From user), or, when the {@link Policy} says so, from anyone to a local user.
 * A pre-loaded Route is followed only for an authenticated user and only to a trunk; from anyone
 * else, or to anywhere else, it is 403. An in-dialog request is relayed only along a dialog the
 * box record-routed: its Record-Route carries a keyed token of the Call-ID and the caller's tag,
 * which the Route of every later request must bring back (else 481). So the box sends a request
 * only to a binding, a trunk, or the remote target of a dialog it record-routed; every refusal
 * is reported with its source ({@link AuthFailures}) for the security module.
 */
public final class Proxy {

    /** Sees what the proxy does, for call tracking and CDRs; called on the transport thread, must not block. */
    public interface Observer {
        /** A request was sent on; {@code trunk} names the trunk it went out through, or is null. */
        void forwarded(SipMessage req, String trunk, Prepaid.Decision price, InetSocketAddress source, long now);

        /** The box answered a request itself with a final {@code status}. */
        void refused(SipMessage req, int status, InetSocketAddress source, long now);

        /** A response was sent back towards the caller. */
        void responded(SipMessage res, long now);

        /** A call out failed over: it goes on through {@code trunk}. */
        default void rerouted(SipMessage req, String trunk) {
        }
    }

    private static final Observer NONE = new Observer() {
        @Override
        public void forwarded(SipMessage req, String trunk, Prepaid.Decision price, InetSocketAddress source, long now) {
        }

        @Override
        public void refused(SipMessage req, int status, InetSocketAddress source, long now) {
        }

        @Override
        public void responded(SipMessage res, long now) {
        }
    };

    static final String BRANCH_PREFIX = "z9hG4bK-bx-";

    private final LocationService location;
    private final Predicate<String> configuredUser;
    private final String host;
    private final int port;
    private final Sender sender;
    private final Observer observer;
    private final Transactions tx;
    private volatile Outbound outbound = Outbound.NONE;
    private volatile Policy policy = Policy.DENY;

    /**
     * Who may have requests routed besides authenticated users: the trunks, by the exact address
     * of their host ({@code trunkPeers}) or by a source address configured for them
     * ({@code trunkHosts}, any port); extensions that name users; and whether anyone may call a
     * local user without authenticating (off by default).
     */
    public record Policy(Map<InetSocketAddress, String> trunkPeers, Map<InetAddress, String> trunkHosts, Map<String, String> extensions,
            boolean unauthenticatedToUsers, Map<String, Credentials> trunkAccounts, Map<String, String> dids, String inboundDefault,
            Map<String, String> displayNames, Map<String, Identity> trunkIdentities, java.util.Set<String> recordedUsers,
            java.util.Set<String> recordedRoutes) {
        public static final Policy DENY = new Policy(Map.of(), Map.of(), Map.of(), false);

        public Policy(Map<InetSocketAddress, String> trunkPeers, Map<InetAddress, String> trunkHosts, Map<String, String> extensions,
                boolean unauthenticatedToUsers, Map<String, Credentials> trunkAccounts, Map<String, String> dids, String inboundDefault,
                Map<String, String> displayNames, Map<String, Identity> trunkIdentities) {
            this(trunkPeers, trunkHosts, extensions, unauthenticatedToUsers, trunkAccounts, dids, inboundDefault, displayNames, trunkIdentities,
                    java.util.Set.of(), java.util.Set.of());
        }

        /** The same, recording the calls of {@code users} (lower-case names) and of the dial-plan routes {@code routes} (by prefix). */
        public Policy recording(java.util.Set<String> users, java.util.Set<String> routes) {
            return new Policy(trunkPeers, trunkHosts, extensions, unauthenticatedToUsers, trunkAccounts, dids, inboundDefault, displayNames,
                    trunkIdentities, users, routes);
        }

        public Policy(Map<InetSocketAddress, String> trunkPeers, Map<InetAddress, String> trunkHosts, Map<String, String> extensions,
                boolean unauthenticatedToUsers, Map<String, Credentials> trunkAccounts, Map<String, String> dids, String inboundDefault) {
            this(trunkPeers, trunkHosts, extensions, unauthenticatedToUsers, trunkAccounts, dids, inboundDefault, Map.of(), Map.of());
        }

        /** The same, with the users' display names (lower-case name → name shown) and what each trunk's calls present. */
        public Policy presenting(Map<String, String> names, Map<String, Identity> identities) {
            return new Policy(trunkPeers, trunkHosts, extensions, unauthenticatedToUsers, trunkAccounts, dids, inboundDefault, names,
                    identities, recordedUsers, recordedRoutes);
        }

        /** The same, with the trunks found at {@code peers} (their hosts resolved). */
        public Policy withTrunkPeers(Map<InetSocketAddress, String> peers) {
            return new Policy(peers, trunkHosts, extensions, unauthenticatedToUsers, trunkAccounts, dids, inboundDefault, displayNames,
                    trunkIdentities, recordedUsers, recordedRoutes);
        }

        /** Without trunk accounts and DIDs: the box answers no provider's challenge, a trunk reaches users by name or extension. */
        public Policy(Map<InetSocketAddress, String> trunkPeers, Map<InetAddress, String> trunkHosts, Map<String, String> extensions,
                boolean unauthenticatedToUsers) {
            this(trunkPeers, trunkHosts, extensions, unauthenticatedToUsers, Map.of(), Map.of(), null);
        }

        /**
         * The user a trunk's call is for: the number in the Request-URI, else the one in To (a
         * provider that routes to the box's registered contact keeps the DID there), as a DID, a
         * user or an extension; else the inbound default; null when none.
         */
        String inbound(String requestUser, String toUser, java.util.function.Function<String, String> local) {
            for (String u : new String[] { requestUser, toUser }) {
                if (u != null) {
                    String did = dids.get(u);
                    if (did != null) {
                        return did;
                    }
                    String l = local.apply(u);
                    if (l != null) {
                        return l;
                    }
                }
            }
            return inboundDefault;
        }

        /** The trunk a request from {@code source} comes from, or null. */
        public String trunkOf(InetSocketAddress source) {
            String t = trunkPeers.get(source);
            return t != null ? t : trunkHosts.get(source.getAddress());
        }
    }

    /**
     * Calls to numbers: the dial plan, and the digest check callers must pass first (a trunk costs
     * money: toll fraud is the first thing attackers try on a PBX).
     */
    public record Outbound(DialPlan plan, DigestAuthenticator digest, Function<String, DigestAuthenticator.Secret> secrets,
            AuthFailures failures, Prepaid prepaid, java.util.function.Consumer<String> trunkFailed) {
        static final Outbound NONE = new Outbound(DialPlan.EMPTY, null, u -> null, (s, w) -> { }, null);

        public Outbound(DialPlan plan, DigestAuthenticator digest, Function<String, DigestAuthenticator.Secret> secrets,
                AuthFailures failures) {
            this(plan, digest, secrets, failures, null);
        }

        public Outbound(DialPlan plan, DigestAuthenticator digest, Function<String, DigestAuthenticator.Secret> secrets,
                AuthFailures failures, Prepaid prepaid) {
            this(plan, digest, secrets, failures, prepaid, t -> { });
        }

        /** The same dial plan and checks, another dial plan (a trunk's DNS name resolved anew). */
        public Outbound withPlan(DialPlan p) {
            return new Outbound(p, digest, secrets, failures, prepaid, trunkFailed);
        }
    }
    private final byte[] key = new byte[16];

    /**
     * @param host the address the box puts in Via and Record-Route (and recognises in Route)
     * @param port its SIP port
     */
    public Proxy(LocationService location, Predicate<String> configuredUser, String host, int port, Sender sender) {
        this(location, configuredUser, host, port, sender, NONE);
    }

    public Proxy(LocationService location, Predicate<String> configuredUser, String host, int port, Sender sender, Observer observer) {
        this(location, configuredUser, host, port, sender, observer, DefaultTimers.EXECUTOR);
    }

    /** @param timers runs the transaction timers (retransmissions, timeouts); never blocked by the proxy */
    public Proxy(LocationService location, Predicate<String> configuredUser, String host, int port, Sender sender, Observer observer,
            java.util.concurrent.ScheduledExecutorService timers) {
        this(location, configuredUser, host, port, sender, observer, Transactions.Scheduler.of(timers));
    }

    Proxy(LocationService location, Predicate<String> configuredUser, String host, int port, Sender sender, Observer observer,
            Transactions.Scheduler scheduler) {
        this.tx = new Transactions(sender, scheduler, (res, sent) -> {
            String leg = sent.first("Call-ID");
            observer.responded(b2bua == null || leg == null ? res : onCall(res, leg),
                    System.currentTimeMillis()); // a B2BUA call is followed on the caller's leg
        });
        tx.rewriteUpstream((req, res) -> {
            B2bua b = b2bua;
            SipMessage mapped = b == null ? res : b.answer(req, res);
            return mapped == res ? relayed(res) : mapped;
        });
        this.observer = observer;
        this.location = location;
        this.configuredUser = configuredUser;
        this.host = host;
        this.port = port;
        this.sender = sender;
        new SecureRandom().nextBytes(key);
    }

    /**
     * What a call out through a trunk presents: {@code user} (the caller-id, or null to keep the
     * calling user's name) at {@code host}, in From and in a P-Asserted-Identity for the provider.
     */
    public record Identity(String user, String host) {
    }

    /** A provider account: what the box answers the trunk's 401/407 with, on INVITE and inside dialogs. */
    public record Credentials(String user, String password) {
    }

    private volatile MediaAnchor media;

    /** Sets the media relay's half in the proxy (null: no relay). */
    public void media(MediaAnchor m) {
        this.media = m;
    }

    MediaAnchor mediaAnchor() {
        return media;
    }

    private volatile B2bua b2bua;

    /** Makes the box a B2BUA for calls ({@code mode b2bua}): {@code b} holds them across configurations; null: a proxy. */
    public void b2bua(B2bua b) {
        this.b2bua = b;
        if (b != null) {
            b.attach(this);
        }
    }

    String host() {
        return host;
    }

    int port() {
        return port;
    }

    Sender sender() {
        return sender;
    }

    Transactions tx() {
        return tx;
    }

    /** The INVITEs forwarded and not yet answered finally, for the module's next version ({@link PendingInvite}). */
    public List<PendingInvite> pendingInvites() {
        return tx.handOver();
    }

    /** Carries on the INVITEs a previous version forwarded (their answers, the caller's CANCEL and retransmissions); returns how many. */
    public int takeOver(List<PendingInvite> pending) {
        return tx.takeOver(pending);
    }

    Runnable schedule(Runnable task, long delayMs) {
        return tx.schedule(task, delayMs);
    }

    /** A tag of the box's for {@code what}, the same each time (a B2BUA's To tag towards the caller for one callee fork). */
    String tagFor(String what) {
        return branch("tag|" + what).substring(BRANCH_PREFIX.length());
    }

    /** {@code m} on the Call-ID {@code callId}: itself when it is on it already, else a copy. */
    static SipMessage onCall(SipMessage m, String callId) {
        if (callId.equals(m.first("Call-ID"))) {
            return m;
        }
        List<Header> h = new java.util.ArrayList<>();
        for (Header x : m.headers()) {
            h.add(x.name().equalsIgnoreCase("Call-ID") ? new Header("Call-ID", callId) : x);
        }
        return m.isRequest() ? SipMessage.request(m.method(), m.uri(), h, m.body()) : SipMessage.response(m.status(), m.reason(), h, m.body());
    }

    /**
     * Sends {@code out}, the B2BUA's mapping of {@code req} onto the other leg, in a transaction of
     * {@code req}'s (its answers come back mapped); the observer sees {@code view}. Returns the
     * 100 Trying of a re-INVITE, a 503 when the table is full, else null.
     */
    SipMessage relay(SipMessage req, InetSocketAddress source, SipMessage out, InetSocketAddress next, boolean stream, SipMessage view,
            long now) {
        stampTopVia(req.headers(), source);
        String topVia = firstValue(req.headers(), "Via");
        boolean reliable = isStream(topVia);
        Transactions.Server s = tx.open(Transactions.key(req, req.method()), req, upstream(topVia, source), reliable);
        if (s == null) {
            return unavailable(req, "Service Unavailable", 5);
        }
        SipMessage trying = req.method().equals("INVITE") ? req.answer(100, "Trying", null) : null;
        synchronized (s) {
            if (s.request != req) {
                return null;
            }
            observe(view, null, null, source, now);
            if (trying != null) {
                s.last = trying.toBytes();
            }
            String via = out.first("Via");
            tx.send(s, param(via.substring(via.indexOf(';')), "branch"), out, next, stream);
        }
        return trying;
    }

    /** A response as it goes to the caller: its SDP pointed at the relay when the call is relayed. */
    private SipMessage relayed(SipMessage res) {
        MediaAnchor m = media;
        if (m == null || res.body() == null || res.body().length == 0) {
            return res;
        }
        byte[] body = m.body(res.first("Call-ID"), SipMessage.tag(res.first("From")), false, res.body(), null,
                res.status() >= 200 && res.status() < 300);
        return body == null ? res : res.withBody(body);
    }

    /** Sets the dial plan and the authentication for calls through trunks. */
    public void outbound(Outbound o) {
        this.outbound = o;
    }

    /** The dial plan and the authentication in use. */
    public Outbound outbound() {
        return outbound;
    }

    /** Sets who may have requests routed without authenticating (trunks, the open-to-users leaf) and the extensions. */
    public void policy(Policy p) {
        this.policy = p;
    }

    /**
     * Keys the dialog tokens and branches with {@code k} (at least 16 bytes), so that a new proxy
     * built for a new configuration still recognises the dialogs the previous one record-routed.
     */
    public void key(byte[] k) {
        if (k.length < 16) {
            throw new IllegalArgumentException("a key of at least 16 bytes");
        }
        System.arraycopy(k, 0, key, 0, key.length);
    }

    /**
     * One place a request goes: its Request-URI there, the address it is sent to, and whether over
     * a stream (a phone that registered over TCP is reached on its connection).
     */
    record Target(String uri, InetSocketAddress next, boolean stream) {
    }

    /** Whether a URI asks for TCP ({@code ;transport=tcp}, RFC 3261 §19.1.1). */
    static boolean tcp(String uri) {
        SipUri u = SipUri.parse(uri);
        return u != null && "tcp".equalsIgnoreCase(u.param("transport"));
    }

    /**
     * A binding's reachable address: the flow its REGISTER came on (RFC 5626 style), so a phone
     * behind NAT is reached where the NAT maps it, not at the private address in its Contact; for
     * a phone registered over TCP, that connection. A binding without a source (restored from an
     * older store) falls back to its Contact.
     */
    static Target reach(Binding b) {
        InetSocketAddress flow = flow(b);
        if (flow != null) {
            return new Target(b.contact(), flow, tcp(b.contact()));
        }
        InetSocketAddress next = address(b.contact());
        return next == null || tcp(b.contact()) ? null : new Target(b.contact(), next, false);
    }

    /** Where a binding's REGISTER came from, or null when it is not known. */
    static InetSocketAddress flow(Binding b) {
        return b.flow();
    }

    /** Whether a binding sits behind a NAT: its Contact names another address than the one its REGISTER came from. */
    public static boolean natted(Binding b) {
        InetSocketAddress flow = flow(b);
        InetSocketAddress contact = address(b.contact());
        return flow != null && !flow.equals(contact);
    }

    /**
     * Keeps a NAT'd binding's pinhole open: an OPTIONS over UDP (the phone's answer, or its absence,
     * changes nothing), a CRLF pair over its TCP connection (RFC 5626 §3.5.1).
     */
    public void keepAlive(Binding b) {
        InetSocketAddress flow = flow(b);
        if (flow == null) {
            return;
        }
        if (tcp(b.contact())) {
            sender.sendBack("\r\n\r\n".getBytes(StandardCharsets.US_ASCII), flow, true);
            return;
        }
        String id = b.aor() + "|" + b.contact() + "|" + System.nanoTime();
        List<Header> h = new java.util.ArrayList<>();
        h.add(new Header("Via", "SIP/2.0/UDP " + host + ":" + port + ";branch=" + branch(id)));
        h.add(new Header("Max-Forwards", "70"));
        h.add(new Header("From", "<sip:keepalive@" + host + ":" + port + ">;tag=" + branch(id + "|tag").substring(BRANCH_PREFIX.length())));
        h.add(new Header("To", "<" + b.contact() + ">"));
        h.add(new Header("Call-ID", branch(id + "|call").substring(BRANCH_PREFIX.length()) + "@" + host));
        h.add(new Header("CSeq", "1 OPTIONS"));
        sender.send(SipMessage.request("OPTIONS", b.contact(), h, new byte[0]).toBytes(), flow);
    }

    /**
     * What routing decided: an answer from the box (null for an ACK that ends here), or where the
     * request goes; the local user a call rings ({@code callee}), and whether it is a pickup.
     */
    private record Routed(SipMessage answer, List<Target> targets, String trunk, int maxForwards, boolean consumedCredentials,
            List<DialPlan.Trunk> fallbacks, String number, String caller, String callee, boolean pickup, boolean record,
            Prepaid.Decision price) {
        Routed(SipMessage answer, List<Target> targets, String trunk, int maxForwards, boolean consumedCredentials) {
            this(answer, targets, trunk, maxForwards, consumedCredentials, List.of(), null, null, null, false, false, null);
        }

        /** The same, priced by the prepaid admission {@code d} (the call tracker charges it). */
        Routed priced(Prepaid.Decision d) {
            return answer != null || d == null ? this
                    : new Routed(answer, targets, trunk, maxForwards, consumedCredentials, fallbacks, number, caller, callee, pickup, record, d);
        }

        /** The same, with the trunks a call out tries next. */
        Routed withFallbacks(List<DialPlan.Trunk> trunks, String dialled) {
            return answer != null ? this
                    : new Routed(answer, targets, trunk, maxForwards, consumedCredentials, trunks, dialled, caller, callee, pickup, record, price);
        }

        /** The same, for requests of the authenticated local user {@code user}. */
        Routed by(String user) {
            return answer != null ? this
                    : new Routed(answer, targets, trunk, maxForwards, consumedCredentials, fallbacks, number, user, callee, pickup, record, price);
        }

        /** The same, a call that rings the local user {@code user}. */
        Routed ringing(String user) {
            return answer != null ? this
                    : new Routed(answer, targets, trunk, maxForwards, consumedCredentials, fallbacks, number, caller, user, pickup, record, price);
        }

        /** The same, recorded when {@code yes} (or when it already was). */
        Routed recorded(boolean yes) {
            return answer != null || !yes ? this
                    : new Routed(answer, targets, trunk, maxForwards, consumedCredentials, fallbacks, number, caller, callee, pickup, true, price);
        }

        /** The authenticated local user {@code user} picks up a ringing call. */
        static Routed pickupBy(String user) {
            return new Routed(null, List.of(), null, 70, true, List.of(), null, user, null, true, false, null);
        }
    }

    private static Routed no(boolean ack, SipMessage answer) {
        return new Routed(ack ? null : answer, List.of(), null, 0, false);
    }

    /** Holds the timer thread of proxies made without one (tests, the standalone tools). */
    private static final class DefaultTimers {
        static final java.util.concurrent.ScheduledExecutorService EXECUTOR = new java.util.concurrent.ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "sip-timers");
            t.setDaemon(true);
            return t;
        });
    }

    /** Transactions in progress or lingering (for tests and the page); finished ones whose linger is over are swept first. */
    public int transactions() {
        tx.sweep(tx.now());
        return tx.size();
    }

    /** Forwards a request; returns the answer to send back to its source (a 100 Trying, a refusal), or null. */
    public SipMessage request(SipMessage req, InetSocketAddress source, long now) {
        String method = req.method();
        boolean ack = method.equals("ACK");
        if (ack) {
            if (ownTag(req.first("To")) || tx.absorbAck(Transactions.key(req, "INVITE"))) {
                return null; // the ACK of a failure the box sent ends here
            }
        } else if (method.equals("CANCEL")) {
            SipMessage ok = tx.cancel(Transactions.key(req, "INVITE"), req);
            if (ok != null) {
                return ok;
            }
        } else if (tx.retransmission(Transactions.key(req, method))) {
            return null;
        }
        B2bua b2b = b2bua;
        if (b2b != null && (ack || hasTag(req.first("To"))) && b2b.holds(req)) {
            SipMessage answer = b2b.inDialog(req, source, now);
            if (answer != null && answer.status() == 481) {
                refusal(outbound, source, "in-dialog " + method + " for no call of this box");
            }
            return answer;
        }
        Routed r = route(req, source, now);
        if (r.answer() != null) {
            return refuse(req, r.answer(), source, now);
        }
        if (r.pickup() && b2b != null) {
            SipMessage answer = b2b.pickup(req, source, isStream(String.valueOf(firstValue(req.headers(), "Via"))), r.caller(), now);
            return answer.status() >= 300 ? refuse(req, answer, source, now) : answer;
        }
        if (r.targets().isEmpty()) {
            return null;
        }
        SipMessage out; // as it leaves: its SDP pointed at the media relay when the call is relayed
        try {
            out = anchored(req, r, source);
        } catch (MediaAnchor.Full e) {
            Outbound o = outbound;
            Prepaid.Decision held = o.prepaid() == null ? null : r.price();
            if (held != null) {
                o.prepaid().settle(req.first("Call-ID"), held.user(), 0); // the reservation goes back
            }
            return refuse(req, unavailable(req, "Media Relay Full", 5), source, now);
        }
        String topVia = firstValue(req.headers(), "Via");
        if (ack || method.equals("CANCEL")) {
            Target t = r.targets().get(0);
            observe(req, r.trunk(), r.price(), source, now);
            sender.sendBack(build(out, t, branch(topVia), r).toBytes(), t.next(), t.stream());
            return null;
        }
        boolean reliable = isStream(topVia);
        InetSocketAddress upstream = upstream(topVia, source);
        boolean call = method.equals("INVITE") && !hasTag(req.first("To"));
        if (b2b != null && call && !b2b.begin(req, source, reliable, r.callee(), now)) {
            if (out != req) {
                media.end(req.first("Call-ID"));
            }
            return refuse(req, unavailable(req, "Too Many Calls", 5), source, now);
        }
        Transactions.Server s = tx.open(Transactions.key(req, method), req, upstream, reliable);
        if (s == null) {
            if (b2b != null && call) {
                b2b.forget(req.first("Call-ID"));
            }
            if (out != req && call) {
                media.end(req.first("Call-ID")); // the relay session opened for this offer goes back
            }
            return unavailable(req, "Service Unavailable", 5);
        }
        SipMessage trying = method.equals("INVITE") ? req.answer(100, "Trying", null) : null;
        synchronized (s) {
            if (s.request != req) {
                return null; // the same request came in twice at once: the other copy is being forwarded
            }
            observe(req, r.trunk(), r.price(), source, now);
            if (trying != null) {
                s.last = trying.toBytes();
            }
            int i = 0;
            Policy pol = policy;
            for (Target t : r.targets()) {
                String branch = branch(i == 0 ? topVia : topVia + "|" + i);
                i++;
                String trunk = pol.trunkOf(t.next());
                tx.send(s, branch, build(out, t, branch, r), t.next(), t.stream(), challengeAnswer(out, t, r, trunk, pol),
                        failover(out, r, r.trunk(), r.fallbacks(), pol));
            }
        }
        return trying;
    }

    /** Where the answers to a request go: over a stream back on the caller's connection, else its top Via's address (RFC 3581), else its source. */
    private static InetSocketAddress upstream(String topVia, InetSocketAddress source) {
        InetSocketAddress up = isStream(topVia) ? source : viaAddress(topVia);
        return up == null ? source : up;
    }

    /** A 503 of the box's own (its tables full, a trunk not resolved yet), with when to try again. */
    private static SipMessage unavailable(SipMessage req, String reason, int retryAfterS) {
        SipMessage busy = req.answer(503, reason, null);
        busy.headers().add(new Header("Retry-After", String.valueOf(retryAfterS)));
        return busy;
    }

    /** The box's own final answer to {@code req}, told to the observer and tagged. */
    private SipMessage refuse(SipMessage req, SipMessage answer, InetSocketAddress source, long now) {
        try {
            observer.refused(req, answer.status(), source, now);
        } catch (RuntimeException e) {
            // call tracking must never stop signalling
        }
        return tagged(answer, now);
    }

    /**
     * {@code req} as it leaves: an out-of-dialog INVITE's offer pointed at the relay when the
     * policy relays the call (an INVITE without SDP noted as a late offer), a later SDP of a
     * relayed call pointed at the leg of the side that reads it; else {@code req} itself.
     */
    private SipMessage anchored(SipMessage req, Routed r, InetSocketAddress source) throws MediaAnchor.Full {
        MediaAnchor m = media;
        if (m == null) {
            return req;
        }
        boolean sdp = req.body() != null && req.body().length > 0;
        String callId = req.first("Call-ID");
        String fromTag = SipMessage.tag(req.first("From"));
        byte[] body;
        if (!req.method().equals("INVITE") || hasTag(req.first("To"))) {
            body = sdp ? m.body(callId, fromTag, true, req.body(), source.getAddress(), false) : null;
        } else {
            Target first = r.targets().get(0);
            InetSocketAddress contact = address(first.uri());
            boolean calleeNatted = policy.trunkOf(first.next()) == null && contact != null && !contact.equals(first.next());
            if (!sdp) {
                InetSocketAddress callerContact = address(SipMessage.addrSpec(String.valueOf(req.first("Contact"))));
                m.lateOffer(callId, fromTag, source, first.next(), callerContact == null || !callerContact.getAddress().equals(source.getAddress()),
                        calleeNatted, r.record());
                return req;
            }
            body = m.offer(callId, fromTag, req.body(), source, first.next(), calleeNatted, r.record());
        }
        return body == null ? req : req.withBody(body);
    }

    /** What answers the challenges of {@code trunk}'s provider for {@code t} with its account; null when it has none. */
    private Transactions.ChallengeAnswer challengeAnswer(SipMessage req, Target t, Routed r, String trunk, Policy pol) {
        Credentials account = trunk == null ? null : pol.trunkAccounts().get(trunk);
        return account == null ? null : (challenge, retryBranch) -> withCredentials(build(req, t, retryBranch, r), challenge, account);
    }

    /**
     * When the call out through {@code failing} fails (408, 5xx): the trunk is reported (a DNS name
     * is asked again) and the call goes on through the next of {@code rest}, if any is left.
     */
    private Transactions.Failover failover(SipMessage req, Routed r, String failing, List<DialPlan.Trunk> rest, Policy pol) {
        if (r.number() == null || failing == null) {
            return null;
        }
        Outbound o = outbound;
        return (failure, branch) -> {
            try {
                o.trunkFailed().accept(failing);
            } catch (RuntimeException e) {
                // the resolver must never stop signalling
            }
            if (rest.isEmpty()) {
                return null;
            }
            DialPlan.Trunk next = rest.get(0);
            try {
                observer.rerouted(req, next.name());
            } catch (RuntimeException e) {
                // call tracking must never stop signalling
            }
            Target t = new Target("sip:" + r.number() + "@" + hostPort(next.address()), next.address(), false);
            return new Transactions.Attempt(build(req, t, branch, r), next.address(), challengeAnswer(req, t, r, next.name(), pol),
                    failover(req, r, next.name(), rest.subList(1, rest.size()), pol));
        };
    }

    /**
     * {@code out} with the answer to a provider's challenge (the first WWW-/Proxy-Authenticate the
     * box can answer: MD5 or SHA-256), or null when there is none it can answer.
     */
    private static final SecureRandom CNONCES = new SecureRandom();

    private static byte[] cnonce() {
        byte[] b = new byte[8];
        CNONCES.nextBytes(b);
        return b;
    }

    static SipMessage withCredentials(SipMessage out, SipMessage challenge, Credentials account) {
        boolean proxyAuth = challenge.status() == 407;
        for (String c : challenge.all(proxyAuth ? "Proxy-Authenticate" : "WWW-Authenticate")) {
            String answer = DigestAuthenticator.answer(c, account.user(), account.password(), out.method(), out.uri(), 1,
                    HexFormat.of().formatHex(cnonce()));
            if (answer != null) {
                out.headers().add(new Header(proxyAuth ? "Proxy-Authorization" : "Authorization", answer));
                return out;
            }
        }
        return null;
    }

    private void observe(SipMessage req, String trunk, Prepaid.Decision price, InetSocketAddress source, long now) {
        try {
            observer.forwarded(req, trunk, price, source, now);
        } catch (RuntimeException e) {
            // call tracking must never stop signalling
        }
    }

    /** The request as it leaves for {@code t}: our Via and Record-Route on top, Max-Forwards one less. */
    private SipMessage build(SipMessage req, Target t, String branch, Routed r) {
        SipMessage out = SipMessage.request(req.method(), t.uri(), List.of(), req.body());
        List<Header> oh = out.headers();
        oh.add(new Header("Via", "SIP/2.0/" + (t.stream() ? "TCP " : "UDP ") + host + ":" + port + ";branch=" + branch));
        if (req.method().equals("INVITE") && !hasTag(req.first("To"))) {
            oh.add(new Header("Record-Route", "<sip:" + host + ":" + port + ";lr;" + DIALOG_PARAM + "="
                    + dialogToken(req.first("Call-ID"), SipMessage.tag(req.first("From"))) + ">"));
        } else if (req.method().equals("INVITE")) {
            oh.add(new Header("Record-Route", "<sip:" + host + ":" + port + ";lr>")); // a re-INVITE: the route set is already fixed
        }
        boolean mfWritten = false;
        Policy pol = policy;
        String outTrunk = r.caller() == null ? null : pol.trunkOf(t.next());
        Identity id = outTrunk == null ? null : pol.trunkIdentities().get(outTrunk);
        String display = r.caller() == null ? null : pol.displayNames().get(r.caller());
        for (Header x : req.headers()) {
            if (r.consumedCredentials() && x.name().equalsIgnoreCase("Proxy-Authorization")) {
                continue; // RFC 3261 §22.3: the credentials were for the box; they never go to the provider
            }
            if (r.caller() != null && (x.name().equalsIgnoreCase("P-Asserted-Identity") || x.name().equalsIgnoreCase("P-Preferred-Identity"))) {
                continue; // RFC 3325: a phone asserts nothing; the box does, towards a trunk
            }
            if (r.caller() != null && (x.name().equalsIgnoreCase("From") || x.name().equalsIgnoreCase("f"))) {
                String from = presented(x.value(), display, id == null ? null : id.user(), id == null ? null : id.host());
                oh.add(new Header("From", from));
                if (id != null) {
                    oh.add(new Header("P-Asserted-Identity", from.substring(0, from.indexOf('>') + 1)));
                }
                continue;
            }
            if (x.name().equalsIgnoreCase("Max-Forwards")) {
                oh.add(new Header("Max-Forwards", String.valueOf(r.maxForwards() - 1)));
                mfWritten = true;
            } else {
                oh.add(x);
            }
        }
        if (!mfWritten) {
            oh.add(new Header("Max-Forwards", String.valueOf(r.maxForwards() - 1)));
        }
        B2bua b = b2bua;
        if (b != null && req.method().equals("INVITE") && !hasTag(req.first("To")) && b.holds(req)) {
            return b.invite(req, out, t.next(), t.stream()); // the box's own dialog towards the callee
        }
        return out;
    }

    private Routed route(SipMessage req, InetSocketAddress source, long now) {
        boolean ack = req.method().equals("ACK");
        int maxForwards = 70;
        String mf = req.first("Max-Forwards");
        if (mf != null) {
            try {
                maxForwards = Integer.parseInt(mf.trim());
            } catch (NumberFormatException e) {
                return no(ack, req.answer(400, "Bad Max-Forwards", null));
            }
            if (maxForwards <= 0 || maxForwards > 255) {
                return no(ack, req.answer(483, "Too Many Hops", null));
            }
        }
        List<Header> h = req.headers();
        stampTopVia(h, source);
        String ownRoute = removeOwnRoute(h);
        Policy pol = policy;
        Outbound o = outbound;
        String uri = req.uri();
        String route = req.first("Route"); // what is left after ours: pre-loaded, or the rest of a dialog's route set
        List<Target> targets = new java.util.ArrayList<>(1);

        if (hasTag(req.first("To"))) { // inside a dialog: only along one the box record-routed
            if (ownRoute == null || !ourDialog(ownRoute, req)) {
                refusal(o, source, "in-dialog " + req.method() + " for a dialog this box did not record-route");
                return no(ack, req.answer(481, "Call/Transaction Does Not Exist", null));
            }
            if (route == null) { // the Request-URI is the remote target: a registered phone's Contact is reached on its flow (NAT)
                Binding phone = location.byContact(uri, now);
                Target flow = phone == null ? null : reach(phone);
                if (flow != null) {
                    targets.add(new Target(uri, flow.next(), flow.stream()));
                    return routed(req, ack, targets, null, maxForwards, false);
                }
            }
            InetSocketAddress next = address(route != null ? SipMessage.addrSpec(route) : uri);
            if (next == null) {
                return no(ack, req.answer(route != null ? 400 : 404, route != null ? "Bad Route" : "Not Found", null));
            }
            targets.add(new Target(uri, next, tcp(route != null ? SipMessage.addrSpec(route) : uri)));
            return routed(req, ack, targets, null, maxForwards, false);
        }
        if (ack) {
            return no(true, null); // an ACK outside any dialog and transaction of the box: nothing to relay
        }
        if (req.method().equals("CANCEL")) {
            refusal(o, source, "CANCEL for no INVITE of this box");
            return no(false, req.answer(481, "Call/Transaction Does Not Exist", null)); // a known INVITE's CANCEL was answered before
        }

        String trunkFrom = pol.trunkOf(source);
        String user = user(uri);
        String local = trunkFrom == null ? localUser(user, pol)
                : pol.inbound(userPart(uri), userPart(SipMessage.addrSpec(String.valueOf(req.first("To")))), u -> localUser(u.toLowerCase(Locale.ROOT), pol));
        InetSocketAddress preloaded = null;
        if (route != null) {
            preloaded = address(SipMessage.addrSpec(route));
            if (preloaded == null) {
                return no(false, req.answer(400, "Bad Route", null));
            }
            if (isUs(preloaded)) {
                return no(false, req.answer(482, "Loop Detected", null));
            }
            if (trunkFrom != null || pol.trunkOf(preloaded) == null) { // a trunk relays nothing; nobody routes the box to a stranger
                refusal(o, source, "pre-loaded Route to " + hostPort(preloaded));
                return no(false, req.answer(403, "Route Not Allowed", null));
            }
        }
        boolean consumedCredentials = false;
        String caller = null;
        if (trunkFrom == null && !(local != null && preloaded == null && pol.unauthenticatedToUsers())) {
            SipMessage refusal = authorize(req, o, source, now);
            if (refusal != null) {
                return no(false, refusal);
            }
            consumedCredentials = true;
            caller = DigestAuthenticator.username(req.first("Proxy-Authorization")).toLowerCase(Locale.ROOT);
        }
        String trunk = trunkFrom; // a call from a trunk names it in its CDR; a call out, the trunk it leaves by
        if (preloaded != null) {
            trunk = pol.trunkOf(preloaded);
            targets.add(new Target(uri, preloaded, tcp(SipMessage.addrSpec(route))));
        } else if (local != null) {
            List<Binding> bindings = new java.util.ArrayList<>(location.lookup(local, now));
            if (bindings.isEmpty()) {
                return no(false, req.answer(480, "Temporarily Unavailable", null));
            }
            bindings.sort((a, b) -> Long.compare(b.expiresAtMs(), a.expiresAtMs()));
            for (Binding b : bindings) {
                Target t = reach(b);
                if (t != null && targets.stream().noneMatch(x -> x.next().equals(t.next()))) {
                    targets.add(t);
                }
            }
            if (targets.isEmpty()) {
                return no(false, req.answer(480, "Contact Unreachable", null));
            }
        } else if (trunkFrom != null) {
            refusal(o, source, "trunk " + trunkFrom + " asked for " + user + ", who is no local user");
            return no(false, req.answer(404, "Not Found", null)); // a trunk never calls out through the box
        } else if (b2bua != null && req.method().equals("INVITE") && caller != null && b2bua.settings().pickupCode().equals(userPart(uri))) {
            return Routed.pickupBy(caller); // a B2BUA's call pickup: the box answers it with a ringing call
        } else {
            DialPlan.Target target = o.plan().match(user == null ? null : userPart(uri));
            if (target == null) {
                return no(false, req.answer(404, "Not Found", null));
            }
            if (target.trunk().address() == null) { // its DNS name has not been resolved (yet): nothing to send to
                return no(false, unavailable(req, "Trunk Not Resolved", 10));
            }
            Prepaid.Decision price = null;
            if (o.prepaid() != null && req.method().equals("INVITE")) {
                price = o.prepaid().admit(req.first("Call-ID"), caller, userPart(uri), target.trunk().name());
                if (price.refused()) {
                    return no(false, req.answer(price.status(), price.reason(), null));
                }
            }
            trunk = target.trunk().name();
            InetSocketAddress next = target.trunk().address();
            targets.add(new Target("sip:" + target.number() + "@" + hostPort(next), next, false));
            return routed(req, false, targets, trunk, maxForwards, consumedCredentials).withFallbacks(target.fallbacks(), target.number())
                    .by(caller).priced(price).recorded(caller != null && pol.recordedUsers().contains(caller)
                            || target.route() != null && pol.recordedRoutes().contains(target.route()));
        }
        return routed(req, false, targets, trunk, maxForwards, consumedCredentials).by(caller).ringing(local)
                .recorded(caller != null && pol.recordedUsers().contains(caller) || local != null && pol.recordedUsers().contains(local));
    }

    private Routed routed(SipMessage req, boolean ack, List<Target> targets, String trunk, int maxForwards, boolean consumedCredentials) {
        targets.removeIf(t -> isUs(t.next()));
        if (targets.isEmpty()) {
            return no(ack, req.answer(482, "Loop Detected", null));
        }
        return new Routed(null, targets, trunk, maxForwards, consumedCredentials);
    }

    /**
     * A From value as the box presents it: the display name replaced by {@code display} and the
     * URI by {@code sip:user@host} when they are given; the tag and other header parameters kept.
     */
    static String presented(String from, String display, String user, String host) {
        int lt = from.indexOf('<');
        int gt = lt < 0 ? -1 : from.indexOf('>', lt);
        String name = gt > lt ? from.substring(0, lt).trim() : "";
        String uri = SipMessage.addrSpec(from);
        String params = gt > lt ? from.substring(gt + 1) : (from.indexOf(';') < 0 ? "" : from.substring(from.indexOf(';')));
        if (user != null && host != null) {
            uri = "sip:" + user + "@" + (host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host);
        }
        if (display != null && !display.isEmpty()) {
            name = "\"" + display.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
        }
        return (name.isEmpty() ? "" : name + " ") + "<" + uri + ">" + params.trim();
    }

    /** The configured user a Request-URI user part names, by name or by extension; null when none. */
    private String localUser(String user, Policy pol) {
        if (user == null) {
            return null;
        }
        if (configuredUser.test(user)) {
            return user;
        }
        return pol.extensions().get(user);
    }

    private static void refusal(Outbound o, InetSocketAddress source, String why) {
        o.failures().failed(source.getAddress().getHostAddress(), "refused: " + why);
    }

    static final String DIALOG_PARAM = "bxd";

    /** The token the box's Record-Route carries for a dialog: keyed by the box, of the Call-ID and the caller's tag. */
    private String dialogToken(String callId, String callerTag) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update(String.valueOf(callId).getBytes(StandardCharsets.UTF_8));
            mac.update((byte) 0);
            mac.update(String.valueOf(callerTag).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(mac.doFinal(), 0, 12);
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether our Route's token names this request's dialog: the caller's tag is the From tag one way, the To tag the other. */
    private boolean ourDialog(String ownRoute, SipMessage req) {
        String token = param(SipMessage.addrSpec(ownRoute).replaceFirst("^[^;]*", ""), DIALOG_PARAM);
        if (token == null) {
            return false;
        }
        String callId = req.first("Call-ID");
        return MessageDigest.isEqual(token.getBytes(StandardCharsets.US_ASCII),
                dialogToken(callId, SipMessage.tag(req.first("From"))).getBytes(StandardCharsets.US_ASCII))
                || MessageDigest.isEqual(token.getBytes(StandardCharsets.US_ASCII),
                        dialogToken(callId, SipMessage.tag(req.first("To"))).getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * Ends an answered call from the box (its credit ran out): a BYE to each side, each as if the
     * other side sent it. The answers come back with our Via on top and end here.
     */
    public void hangup(String callId, String callerFrom, String callerContact, InetSocketAddress caller, String calleeTo,
            String calleeContact) {
        B2bua b = b2bua;
        if (b != null && b.hangup(callId, "Q.850;cause=16;text=\"credit exhausted\"")) {
            return; // the box ends both its dialogs
        }
        InetSocketAddress callee = address(SipMessage.addrSpec(calleeContact));
        sendBye(callId, SipMessage.addrSpec(callerContact), calleeTo, callerFrom, caller);
        if (callee != null) {
            sendBye(callId, SipMessage.addrSpec(calleeContact), callerFrom, calleeTo, callee);
        }
    }

    private void sendBye(String callId, String target, String from, String to, InetSocketAddress where) {
        List<Header> h = new java.util.ArrayList<>();
        h.add(new Header("Via", "SIP/2.0/UDP " + host + ":" + port + ";branch=" + branch(callId + "|" + target + "|bye")));
        h.add(new Header("Max-Forwards", "70"));
        h.add(new Header("From", from));
        h.add(new Header("To", to));
        h.add(new Header("Call-ID", callId));
        h.add(new Header("CSeq", "1000000 BYE"));
        h.add(new Header("Reason", "Q.850;cause=16;text=\"credit exhausted\""));
        tx.send(null, branch(callId + "|" + target + "|bye"), SipMessage.request("BYE", target, h, new byte[0]), where, false);
    }

    /**
     * Where a call to the local user {@code uri} names (by name or extension) rings: each of its
     * bindings' flows, none when it is not registered; null when {@code uri} names no local user.
     */
    List<Target> ringLocal(String uri, long now) {
        String local = localUser(user(uri), policy);
        if (local == null) {
            return null;
        }
        List<Target> out = new java.util.ArrayList<>();
        for (Binding b : location.lookup(local, now)) {
            Target t = reach(b);
            if (t != null && !isUs(t.next())) {
                out.add(t);
            }
        }
        return out;
    }

    /** Whether {@code uri} names a configured user (so a request to it is routed, not answered by the box). */
    public boolean forUser(String uri) {
        return localUser(user(uri), policy) != null;
    }

    private volatile TrunkRegistration registrations;

    /** Where the answers to the box's own REGISTERs to providers go. */
    public void registrations(TrunkRegistration r) {
        this.registrations = r;
    }

    /** Sends a response on along the Via path when its top Via is ours; drops it otherwise. */
    public void response(SipMessage res) {
        TrunkRegistration r = registrations;
        if (r != null && TrunkRegistration.isOurs(res)) {
            r.response(res);
            return;
        }
        List<Header> h = res.headers();
        int top = -1;
        for (int i = 0; i < h.size(); i++) {
            if (h.get(i).name().equalsIgnoreCase("Via")) {
                top = i;
                break;
            }
        }
        if (top < 0 || !isOurVia(h.get(top).value()) || tx.response(res)) {
            return;
        }
        B2bua b = b2bua;
        if (b != null && b.stray(res)) {
            return; // a 2xx again on a leg of the B2BUA's: its ACK again, or the other side gets it again
        }
        h.remove(top); // no transaction of ours (a 2xx retransmitted after the first): on along the Via path
        String nextVia = firstValue(h, "Via");
        if (nextVia == null) {
            return;
        }
        InetSocketAddress to = viaAddress(nextVia);
        if (to != null) {
            sender.sendBack(relayed(res).toBytes(), to, isStream(nextVia));
            try {
                observer.responded(res, System.currentTimeMillis());
            } catch (RuntimeException e) {
                // call tracking must never stop signalling
            }
        }
    }

    /** Whether a Via names a stream transport (TCP, TLS): no retransmissions, answers over the connection. */
    static boolean isStream(String via) {
        return !via.trim().toUpperCase(Locale.ROOT).startsWith("SIP/2.0/UDP");
    }

    private boolean isOurVia(String via) {
        Via v = Via.parse(via);
        String branch = v == null ? null : v.param("branch");
        return v != null && v.host().equalsIgnoreCase(host) && v.portOr5060() == port && branch != null && branch.startsWith(BRANCH_PREFIX);
    }

    /** RFC 3581: received= always, rport= filled in when the client asked for it. */
    private static void stampTopVia(List<Header> h, InetSocketAddress source) {
        for (int i = 0; i < h.size(); i++) {
            if (h.get(i).name().equalsIgnoreCase("Via")) {
                String v = h.get(i).value();
                String ip = source.getAddress().getHostAddress();
                if (param(v, "received") == null) {
                    v = v + ";received=" + ip;
                }
                v = v.replaceFirst("(?i);rport(?=;|$)", ";rport=" + source.getPort());
                if (isStream(v) && param(v, "rport") == null) {
                    v = v + ";rport=" + source.getPort(); // names the caller's connection, so later answers find it
                }
                h.set(i, new Header(h.get(i).name(), v));
                return;
            }
        }
    }

    /** Removes the topmost Route when it is ours; returns it, or null when it was not ours. */
    private String removeOwnRoute(List<Header> h) {
        for (int i = 0; i < h.size(); i++) {
            if (h.get(i).name().equalsIgnoreCase("Route")) {
                String value = h.get(i).value();
                InetSocketAddress a = address(SipMessage.addrSpec(value));
                if (a != null && isUs(a)) {
                    h.remove(i);
                    return value;
                }
                return null; // only the topmost Route can be ours
            }
        }
        return null;
    }

    /** Null when the caller proved to be a configured user (and is the From user), else the 407/403/400 to send. */
    private static SipMessage authorize(SipMessage req, Outbound o, InetSocketAddress source, long now) {
        if (o.digest() == null) {
            return req.answer(403, "Authentication Not Configured", null);
        }
        DigestAuthenticator.Outcome outcome = o.digest().check(req.first("Proxy-Authorization"), req.method(), now, o.secrets());
        switch (outcome) {
            case OK -> {
            }
            case MALFORMED -> {
                o.failures().failed(source.getAddress().getHostAddress(), "malformed credentials");
                return req.answer(400, "Bad Proxy-Authorization Header", null);
            }
            default -> {
                if (outcome != DigestAuthenticator.Outcome.MISSING && outcome != DigestAuthenticator.Outcome.STALE) {
                    o.failures().failed(source.getAddress().getHostAddress(),
                            outcome == DigestAuthenticator.Outcome.REPLAYED ? "replayed credentials" : "wrong credentials");
                }
                SipMessage r = req.answer(407, "Proxy Authentication Required", OWN_TAG + Long.toHexString(now));
                String caller = user(SipMessage.addrSpec(String.valueOf(req.first("From"))));
                DigestAuthenticator.Secret secret = caller == null ? null : o.secrets().apply(caller);
                for (String c : o.digest().challenges(outcome == DigestAuthenticator.Outcome.STALE, now, secret)) {
                    r.headers().add(new Header("Proxy-Authenticate", c));
                }
                return r;
            }
        }
        String authUser = DigestAuthenticator.username(req.first("Proxy-Authorization"));
        String fromUser = user(SipMessage.addrSpec(String.valueOf(req.first("From"))));
        if (authUser == null || !authUser.equalsIgnoreCase(String.valueOf(fromUser))) {
            o.failures().failed(source.getAddress().getHostAddress(), "user " + authUser + " calling as " + fromUser);
            return req.answer(403, "Credentials Do Not Match From", null);
        }
        return null;
    }

    static final String OWN_TAG = "bx407-";

    /** RFC 3261 §8.2.6.2: the box's own final answer carries a To tag, so the caller's ACK of it is known and ends here. */
    private static SipMessage tagged(SipMessage answer, long now) {
        List<Header> h = answer.headers();
        for (int i = 0; i < h.size(); i++) {
            if (h.get(i).name().equals("To")) {
                if (SipMessage.tag(h.get(i).value()) == null) {
                    h.set(i, new Header("To", h.get(i).value() + ";tag=" + OWN_TAG + Long.toHexString(now)));
                }
                break;
            }
        }
        return answer;
    }

    private static boolean ownTag(String nameAddr) {
        String tag = SipMessage.tag(nameAddr);
        return tag != null && tag.toLowerCase(Locale.ROOT).startsWith(OWN_TAG);
    }

    private static boolean hasTag(String nameAddr) {
        return SipMessage.tag(nameAddr) != null;
    }

    /** The user part of a URI as written, or null. */
    static String userOf(String uri) {
        return userPart(uri);
    }

    /** The user part as written (case kept, for numbers and +). */
    private static String userPart(String uri) {
        SipUri u = SipUri.parse(uri);
        return u == null ? null : u.user();
    }

    private static String hostPort(InetSocketAddress a) {
        String host = a.getAddress().getHostAddress();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    private boolean isUs(InetSocketAddress a) {
        return a.getPort() == port && a.getHostString().equalsIgnoreCase(host);
    }

    String branch(String topVia) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(key);
            md.update(topVia.getBytes(StandardCharsets.UTF_8));
            return BRANCH_PREFIX + HexFormat.of().formatHex(md.digest(), 0, 10);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String firstValue(List<Header> h, String name) {
        for (Header x : h) {
            if (x.name().equalsIgnoreCase(name)) {
                return x.value();
            }
        }
        return null;
    }

    static String user(String uri) {
        SipUri u = SipUri.parse(uri);
        return u == null ? null : u.userLowerCase();
    }

    /** host:port of a SIP URI (5060 when absent), or null when it is not one with an address literal. */
    static InetSocketAddress address(String uri) {
        SipUri u = SipUri.parse(uri);
        return u == null ? null : literal(u.host(), u.portOr(5060));
    }

    /** Where a response goes: received/rport when present, else the Via's sent-by. */
    static InetSocketAddress viaAddress(String via) {
        Via v = Via.parse(via);
        if (v == null) {
            return null;
        }
        String host = v.param("received");
        if (host == null) {
            host = v.host();
        }
        String rport = v.param("rport");
        int p;
        try {
            p = rport != null && !rport.isEmpty() ? Integer.parseInt(rport) : v.portOr5060();
        } catch (NumberFormatException e) {
            return null;
        }
        return literal(host, p);
    }

    /** An address from an IP literal; names are not resolved on the signalling path (no blocking DNS). */
    private static InetSocketAddress literal(String host, int port) {
        boolean v4 = host.matches("\\d{1,3}(\\.\\d{1,3}){3}");
        boolean v6 = host.contains(":") && host.matches("[0-9a-fA-F:.]+");
        if (port < 1 || port > 65535 || !(v4 || v6)) {
            return null;
        }
        return new InetSocketAddress(host, port);
    }

    static String param(String params, String name) {
        return Via.param(params, name);
    }
}
