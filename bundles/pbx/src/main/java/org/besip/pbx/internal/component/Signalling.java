package org.besip.pbx.internal.component;

import static org.besip.pbx.internal.component.PbxSettings.accounts;
import static org.besip.pbx.internal.component.PbxSettings.advertised;
import static org.besip.pbx.internal.component.PbxSettings.peers;
import static org.besip.pbx.internal.component.PbxSettings.plan;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.besip.pbx.internal.SipServer;
import org.besip.pbx.internal.auth.AuthFailures;
import org.besip.pbx.internal.auth.DigestAuthenticator;
import org.besip.pbx.internal.auth.DigestAuthenticator.Secret;
import org.besip.pbx.internal.call.CallTracker;
import org.besip.pbx.internal.call.Prepaid;
import org.besip.pbx.internal.component.PbxSettings.Settings;
import org.besip.pbx.internal.media.Recordings;
import org.besip.pbx.internal.proxy.B2bua;
import org.besip.pbx.internal.proxy.DnsJava;
import org.besip.pbx.internal.proxy.PendingInvite;
import org.besip.pbx.internal.proxy.Proxy;
import org.besip.pbx.internal.proxy.TrunkRegistration;
import org.besip.pbx.internal.proxy.TrunkResolver;
import org.besip.pbx.internal.registrar.Binding;
import org.besip.pbx.internal.registrar.LocationService;
import org.besip.pbx.internal.registrar.Registrar;
import org.besip.pbx.internal.transport.Sender;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a {@code besip-pbx} configuration builds of the SIP side, changed in place by each commit
 * (design §4, DS {@code @Modified} semantics): the digest authenticator and registrar, the proxy
 * with its transaction table, its policy, dial plan and media, the B2BUA's settings, the trunks'
 * DNS names and registrations, the NAT keep-alives, the listen addresses' transports. Each is
 * rebuilt only when a commit changes what it depends on (the box's own address; realm, nonce
 * lifetime or algorithms; a trunk's account; the interval); users, routes, tariffs and policy are
 * swapped under the running objects. What the previous version handed over (nonce counts, trunk
 * registrations, INVITEs in progress) goes into the first configuration. Not a component: the
 * pbx component makes one at activation and hands it each commit.
 */
final class Signalling {

    private static final Logger LOG = LoggerFactory.getLogger(Signalling.class);

    private final LocationService location;
    private final CallTracker calls;
    private final Prepaid prepaid;
    private final MediaSide media;
    private final B2bua b2bua;
    private final SipSockets sockets;
    private final Sender sender;
    private final ScheduledExecutorService timers;
    /** Trunk DNS lookups: a thread of their own, so neither the SIP threads nor the timers ever wait on DNS. */
    private final ScheduledExecutorService dnsThread;
    private final byte[] dialogKey;
    private final byte[] nonceKey;
    private final AuthFailures authFailed;
    private final Supplier<Recordings> recordings;

    /** The configured users' secrets, read by the registrar and the proxy at each request: a commit swaps the map, nothing else. */
    private volatile Map<String, Secret> users = Map.of();
    private DigestAuthenticator digest;
    private Map<String, Long> handedNonceCounts = Map.of();
    /** The trunk registrations the previous version had in force, until the first configuration registers. */
    private List<TrunkRegistration.Held> handedTrunks = List.of();
    /** The INVITEs the previous version forwarded without a final answer yet, until the first proxy carries them on. */
    private List<PendingInvite> handedInvites = List.of();
    private Registrar registrar;
    /** The proxy (and its transaction table) lives as long as the box's own address: most commits keep it. */
    private Proxy proxy;
    private String proxyHost;
    private int proxyPort;
    private int keepaliveS = -1;
    /** The keep-alives of NAT'd bindings, on the module's timer thread; replaced when the interval or the proxy changes. */
    private ScheduledFuture<?> keepalives;
    private volatile TrunkRegistration registrations;
    private volatile SipServer server;
    /** The addresses of the configured trunks, for the security module (PeerDirectory). */
    private volatile Set<InetAddress> trunkAddresses = Set.of();
    private Applied current;
    private TrunkResolver resolver;
    private List<InetSocketAddress> resolverServers = List.of();
    private List<TrunkRegistration.Account> registeredAccounts = List.of();

    /** What the last configuration built, for the resolver's changes of trunk addresses. */
    private record Applied(Settings settings, Proxy proxy, String host, int port, Sender sender) {
    }

    Signalling(LocationService location, CallTracker calls, Prepaid prepaid, MediaSide media, B2bua b2bua, SipSockets sockets,
            ScheduledExecutorService timers, ScheduledExecutorService dnsThread, byte[] dialogKey, byte[] nonceKey,
            AuthFailures authFailed, Supplier<Recordings> recordings) {
        this.location = location;
        this.calls = calls;
        this.prepaid = prepaid;
        this.media = media;
        this.b2bua = b2bua;
        this.sockets = sockets;
        this.sender = sockets.sender();
        this.timers = timers;
        this.dnsThread = dnsThread;
        this.dialogKey = dialogKey;
        this.nonceKey = nonceKey;
        this.authFailed = authFailed;
        this.recordings = recordings;
    }

    /** What the previous version handed over, for the first configuration. */
    synchronized void handed(PbxState st) {
        handedNonceCounts = st.nonceCounts();
        handedTrunks = st.trunks();
        handedInvites = st.invites();
    }

    /** The SIP server of the configuration in force (null before the first): the transports give it what they read. */
    SipServer server() {
        return server;
    }

    boolean configured(String user) {
        return users.containsKey(user);
    }

    boolean isTrunk(InetAddress address) {
        return trunkAddresses.contains(address);
    }

    List<TrunkRegistration.Status> trunkStatus() {
        TrunkRegistration r = registrations;
        return r == null ? List.of() : r.status();
    }

    /** Whether the configuration in force runs the B2BUA. */
    synchronized boolean b2b() {
        return current != null && current.settings().b2bua() != null;
    }

    /** The digest nonce counts, for the next version. */
    synchronized Map<String, Long> nonceCounts() {
        return digest == null ? Map.of() : digest.counts();
    }

    /** The INVITEs forwarded and not yet answered finally, for the next version. */
    synchronized List<PendingInvite> pendingInvites() {
        return proxy == null ? List.of() : proxy.pendingInvites();
    }

    /** The trunk registrations in force, for the next version; they stop here. */
    synchronized List<TrunkRegistration.Held> handOverTrunks() {
        TrunkRegistration reg = registrations;
        List<TrunkRegistration.Held> held = reg == null ? List.of() : reg.held(); // before the timer stops
        closeRegistrations();
        return held;
    }

    synchronized void close() {
        closeRegistrations();
        if (resolver != null) {
            resolver.close();
        }
    }

    /** Applies a prepared configuration, on the sockets its prepare bound ({@code bound}). */
    synchronized void apply(Settings s, List<SipSockets.Bound> bound) {
        users = s.users();
        boolean newDigest = digest == null || !digest.sameAs(s.realm(), s.nonceLifetimeS() * 1000L, s.algorithms());
        if (newDigest) {
            DigestAuthenticator d = new DigestAuthenticator(s.realm(), s.nonceLifetimeS() * 1000L, s.algorithms(), nonceKey);
            d.counts(digest != null ? digest.counts() : handedNonceCounts); // the same key: replays stay refused
            handedNonceCounts = Map.of();
            digest = d;
            registrar = new Registrar(d, u -> users.get(u), location, "besip");
        }
        InetSocketAddress first = s.listen().get(0);
        String host = advertised(first);
        boolean newProxy = proxy == null || !host.equals(proxyHost) || first.getPort() != proxyPort;
        if (newProxy) { // the box's own address changed: its Via and Record-Route change with it
            proxy = new Proxy(location, u -> users.containsKey(u), host, first.getPort(), sender, calls, timers);
            proxy.key(dialogKey);
            if (!handedInvites.isEmpty()) {
                LOG.info("took over {} of {} INVITE transactions in progress from the previous version", proxy.takeOver(handedInvites),
                        handedInvites.size());
                handedInvites = List.of();
            }
            proxyHost = host;
            proxyPort = first.getPort();
            calls.hangup(proxy::hangup);
        }
        Proxy p = proxy;
        if (resolver == null || !s.dns().equals(resolverServers)) {
            if (resolver != null) {
                resolver.close();
            }
            resolver = new TrunkResolver(dns(s.dns()), dnsThread, this::resolved);
            resolverServers = s.dns();
        }
        Map<String, List<InetSocketAddress>> resolved = resolver.track(s.trunks());
        p.policy(s.routing().withTrunkPeers(peers(resolved)));
        trunkAddresses(s, resolved);
        if (newProxy || s.keepaliveS() != keepaliveS) {
            keepAlives(p, s.keepaliveS());
        }
        prepaid.policy(s.policy());
        Recordings rec = recordings.get();
        if (rec != null) {
            rec.retention(s.retention());
        }
        TrunkResolver trunkResolver = resolver;
        p.outbound(new Proxy.Outbound(plan(s.routes(), resolved), digest, u -> users.get(u), authFailed, prepaid, trunkResolver::failed));
        p.media(media.configure(s.media(), first, host));
        if (s.b2bua() != null) {
            b2bua.settings(s.b2bua());
        }
        p.b2bua(s.b2bua() == null ? null : b2bua);
        if (newDigest || newProxy) {
            server = new SipServer(registrar, authFailed, p).onAuthenticated(sockets::trust);
        }
        sockets.listen(s.listen(), s.firstMessageMs(), bound == null ? List.of() : bound);
        List<TrunkRegistration.Account> accounts = accounts(s.accounts(), resolved);
        if (newProxy || registrations == null || !accounts.equals(registeredAccounts)) {
            closeRegistrations();
            registeredAccounts = accounts;
            registrations = new TrunkRegistration(accounts, host, first.getPort(), sender, handedTrunks);
            handedTrunks = List.of();
        }
        p.registrations(registrations);
        current = new Applied(s, p, host, first.getPort(), sender);
        LOG.info("SIP {} as {}:{} with {} dial-plan routes", s.b2bua() == null ? "proxy" : "B2BUA", host, first.getPort(), s.routes().size());
    }

    /** The NAT keep-alives every {@code intervalS} seconds (0: none) through {@code p}. */
    private void keepAlives(Proxy p, int intervalS) {
        if (keepalives != null) {
            keepalives.cancel(false);
            keepalives = null;
        }
        if (intervalS > 0) {
            keepalives = timers.scheduleWithFixedDelay(() -> {
                try {
                    for (Binding b : location.all(System.currentTimeMillis())) {
                        if (Proxy.natted(b)) {
                            p.keepAlive(b);
                        }
                    }
                } catch (RuntimeException e) {
                    LOG.warn("NAT keep-alives: {}", e.toString());
                }
            }, intervalS, intervalS, TimeUnit.SECONDS);
        }
        keepaliveS = intervalS;
    }

    private static TrunkResolver.Dns dns(List<InetSocketAddress> servers) {
        try {
            return new DnsJava(servers);
        } catch (IOException | RuntimeException e) {
            LOG.error("no DNS resolver ({}): trunks given by name stay unresolved", e.toString());
            return new TrunkResolver.Dns() {
                @Override
                public List<TrunkResolver.Srv> srv(String name) throws IOException {
                    throw new IOException("no DNS resolver");
                }

                @Override
                public List<TrunkResolver.Address> addresses(String name) throws IOException {
                    throw new IOException("no DNS resolver");
                }
            };
        }
    }

    /** A trunk's addresses changed (its DNS name answered anew): the dial plan, the policy, the whitelist and its registration follow. */
    private synchronized void resolved(Map<String, List<InetSocketAddress>> resolved) {
        Applied a = current;
        if (a == null || resolver == null) {
            return;
        }
        Settings s = a.settings();
        a.proxy().policy(s.routing().withTrunkPeers(peers(resolved)));
        Proxy.Outbound o = a.proxy().outbound();
        a.proxy().outbound(o.withPlan(plan(s.routes(), resolved)));
        trunkAddresses(s, resolved);
        List<TrunkRegistration.Account> accounts = accounts(s.accounts(), resolved);
        if (!accounts.equals(registeredAccounts)) {
            closeRegistrations();
            registeredAccounts = accounts;
            registrations = new TrunkRegistration(accounts, a.host(), a.port(), a.sender());
            a.proxy().registrations(registrations);
        }
    }

    private void trunkAddresses(Settings s, Map<String, List<InetSocketAddress>> resolved) {
        Set<InetAddress> trunks = new HashSet<>(s.routing().trunkHosts().keySet());
        resolved.values().forEach(l -> l.forEach(x -> trunks.add(x.getAddress())));
        trunkAddresses = Set.copyOf(trunks);
    }

    private void closeRegistrations() {
        TrunkRegistration r = registrations;
        if (r != null) {
            r.close();
            registrations = null;
        }
    }
}
