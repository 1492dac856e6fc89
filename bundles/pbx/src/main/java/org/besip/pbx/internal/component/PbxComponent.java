package org.besip.pbx.internal.component;

import org.besip.pbx.internal.transport.Sender;
import static org.besip.pbx.internal.component.PbxSettings.accounts;
import static org.besip.pbx.internal.component.PbxSettings.advertised;
import static org.besip.pbx.internal.component.PbxSettings.peers;
import static org.besip.pbx.internal.component.PbxSettings.plan;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import org.besip.core.api.config.ConfigApplier;
import org.besip.core.api.config.ConfigTree;
import org.besip.core.api.config.ConfigRejectedException;
import org.besip.core.api.event.Topics;
import org.besip.core.api.handover.Handover;
import org.besip.core.api.handover.Listeners;
import org.besip.core.api.storage.DataStores;
import org.besip.core.api.traffic.PeerDirectory;
import org.besip.core.api.traffic.TrafficInspector;
import org.besip.pbx.internal.SipServer;
import org.besip.pbx.internal.component.PbxSettings.Settings;
import org.besip.pbx.internal.auth.DigestAuthenticator;
import org.besip.pbx.internal.auth.DigestAuthenticator.Secret;
import org.besip.pbx.internal.registrar.Binding;
import org.besip.pbx.internal.registrar.BindingTable;
import org.besip.pbx.internal.registrar.LocationService;
import org.besip.pbx.internal.registrar.Registrar;
import org.besip.pbx.internal.call.CallTracker;
import org.besip.pbx.internal.call.CdrStore;
import org.besip.pbx.internal.call.Prepaid;
import org.besip.pbx.internal.media.MediaAnchor;
import org.besip.pbx.internal.media.MediaRelay;
import org.besip.pbx.internal.media.Recordings;
import org.besip.pbx.internal.proxy.B2bua;
import org.besip.pbx.internal.proxy.DnsJava;
import org.besip.pbx.internal.proxy.Proxy;
import org.besip.pbx.internal.proxy.TrunkRegistration;
import org.besip.pbx.internal.proxy.TrunkResolver;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.w3c.dom.Element;

/**
 * The PBX module's engine: besip-pbx configuration over NETCONF (prepare reads it with
 * {@link PbxSettings}, apply changes what it touches), SIP over UDP and TCP on core's sockets with
 * every registered {@link TrafficInspector} asked first, the registrar with digest authentication,
 * the transaction-stateful proxy or B2BUA with its dial plan and trunks, the media relay, call
 * tracking with CDRs and prepaid credit, its state handed to the next version, and
 * {@code besip/pbx/auth/FAILED} for each authentication failure with its source. What the rest of
 * the box sees of it goes through {@link PbxView}: the RPCs ({@link PbxRpcs}), the Zabbix keys
 * ({@link PbxMetrics}), the peer directory ({@link PbxPeers}) and the page are components of
 * their own.
 */
@Component(service = { ConfigApplier.class, PbxView.class }, property = ConfigApplier.YANG_MODULE + "=besip-pbx", immediate = true)
public class PbxComponent implements ConfigApplier, PbxView {

    static final String NS = "urn:besip:params:xml:ns:yang:besip-pbx";

    private static final Logger LOG = LoggerFactory.getLogger(PbxComponent.class);

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile EventAdmin events;

    @Reference
    private DataStores stores;

    private final List<TrafficInspector> inspectors = new CopyOnWriteArrayList<>();
    private final Map<Long, Settings> prepared = new ConcurrentHashMap<>();
    private final LocationService location = new LocationService();
    private BindingTable table;
    private CdrStore cdrs;
    private Prepaid prepaid;
    private CallTracker calls;
    private Recordings recordings;

    @Override
    public Recordings recordings() {
        return recordings;
    }
    /** The B2BUA's calls: one table for the module's life, so a new configuration keeps them. */
    private final B2bua b2bua = new B2bua(B2bua.Settings.DEFAULT);
    /** One thread for every timer of the module: SIP transaction retransmissions and timeouts, call credit checks. */
    private java.util.concurrent.ScheduledExecutorService timers;
    /** The SIP sockets are core's (Listeners): they outlive this component, so an upgrade or a disable never closes them. */
    @Reference
    private Listeners listeners;
    /** Where the calls in progress, the keys and the credit holds go for the next version, and come from the last one. */
    @Reference
    private Handover handover;

    /** The SIP listen addresses' transports on core's sockets; made in activate. */
    private SipSockets sockets;
    /** The media relay as configured, on core's sockets; made in activate. */
    private MediaSide media;
    private final Map<Long, List<SipSockets.Bound>> boundFor = new ConcurrentHashMap<>();
    /** Keys the digest nonces for the module's lifetime (and the next version's): a commit or an upgrade keeps them good. */
    private final byte[] nonceKey = new byte[32];
    {
        new java.security.SecureRandom().nextBytes(nonceKey);
    }
    private DigestAuthenticator digest;
    private Map<String, Long> handedNonceCounts = Map.of();
    /** The trunk registrations the previous version had in force, until the first configuration registers. */
    private List<TrunkRegistration.Held> handedTrunks = List.of();
    /** The configured users' secrets, read by the registrar and the proxy at each request: a commit swaps the map, nothing else. */
    private volatile Map<String, Secret> users = Map.of();
    private Registrar registrar;
    /** The proxy (and its transaction table) lives as long as the box's own address: most commits keep it. */
    private Proxy proxy;
    private String proxyHost;
    private int proxyPort;
    private int keepaliveS = -1;
    /** What the proxy and the trunk registrations send through: UDP from the first listen address, back over TCP where a phone is. */
    private Sender sender;
    private volatile TrunkRegistration registrations;
    private volatile SipServer server;
    /** The addresses of the configured trunks, for the security module (PeerDirectory). */
    private volatile java.util.Set<java.net.InetAddress> trunkAddresses = java.util.Set.of();
    private InetSocketAddress defaultListen;
    /** The keep-alives of NAT'd bindings, on the module's timer thread; replaced by each configuration. */
    private java.util.concurrent.ScheduledFuture<?> keepalives;
    /** Keys the proxy's dialog tokens for the module's lifetime, so a new configuration keeps the calls in progress routable. */
    private final byte[] dialogKey = new byte[32];
    {
        new java.security.SecureRandom().nextBytes(dialogKey);
    }

    @Override
    public List<Binding> registrations(long nowMs) {
        return location.all(nowMs);
    }

    @Override
    public boolean hasBindingFrom(java.net.InetAddress address) {
        return location.hasSource(address);
    }

    @Override
    public boolean configured(String user) {
        return users.containsKey(user);
    }

    @Override
    public List<CallTracker.Active> callsInProgress() {
        return calls.inProgress();
    }

    @Override
    public List<MediaRelay.Session> relaySessions() {
        MediaRelay r = media.relay();
        return r == null ? List.of() : r.sessions();
    }

    @Override
    public int relayCapacity() {
        MediaRelay r = media.relay();
        return r == null ? 0 : r.settings().capacity();
    }

    @Override
    public Map<String, Double> credits() {
        return prepaid.credits();
    }

    @Override
    public List<CdrStore.Row> recentCdrs(int n) throws SQLException {
        return cdrs.recent(n);
    }

    @Override
    public void cdrCsv(long fromMs, long toMs, java.io.Writer out) throws SQLException, IOException {
        cdrs.csv(fromMs, toMs, out);
    }

    @Override
    public double topUp(String user, double amount) throws Exception {
        return prepaid.topUp(user, amount);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addInspector(TrafficInspector i) {
        inspectors.add(i);
    }

    void removeInspector(TrafficInspector i) {
        inspectors.remove(i);
    }

    private BundleContext context;

    @Activate
    void activate(BundleContext ctx) throws SQLException {
        context = ctx;
        media = new MediaSide(listeners, () -> recordings, id -> calls.hangUp(id, System.currentTimeMillis()));
        table = new BindingTable(stores.dataSource("pbx"));
        long now = System.currentTimeMillis();
        List<Binding> saved = table.load(now);
        for (Binding b : saved) {
            location.put(b, now); // bindings survive a restart and a bundle update
        }
        LOG.info("restored {} registrations", saved.size());
        location.listener(new LocationService.Listener() {
            @Override
            public void added(Binding b) {
                table.added(b);
                post(Topics.REGISTRATION_ADDED, Map.of("aor", b.aor(), "contact", b.contact(), Topics.PROP_SOURCE,
                        b.source() == null ? "" : b.source()));
            }

            @Override
            public void removed(String aor, String contact) {
                table.removed(aor, contact);
                post(Topics.REGISTRATION_REMOVED, Map.of("aor", aor, "contact", contact));
            }
        });
        cdrs = new CdrStore(stores.dataSource("pbx"));
        PbxState handed = handed();
        java.util.Set<String> goingOn = handed == null ? java.util.Set.of()
                : handed.calls().stream().map(CallTracker.Snapshot::callId).collect(java.util.stream.Collectors.toSet());
        int interrupted = cdrs.closeInterrupted(System.currentTimeMillis(), goingOn);
        if (interrupted > 0) {
            LOG.info("{} calls in progress at the last stop closed as interrupted", interrupted);
        }
        prepaid = new Prepaid(stores.dataSource("pbx"));
        calls = new CallTracker(cdrs, this::post, prepaid);
        if (handed != null) {
            System.arraycopy(handed.dialogKey(), 0, dialogKey, 0, dialogKey.length);
            System.arraycopy(handed.nonceKey(), 0, nonceKey, 0, nonceKey.length);
            handedNonceCounts = handed.nonceCounts();
            media.handed(handed.relay());
            handedTrunks = handed.trunks();
            prepaid.holds(handed.holds());
            calls.takeOver(handed.calls());
            int b2b = b2bua.takeOver(handed.dialogs());
            LOG.info("took over {} calls in progress from the previous version, {} of them B2BUA dialogs", handed.calls().size(), b2b);
        }
        try {
            recordings = new Recordings(stores.directory("recordings"), Recordings.Retention.DEFAULT,
                    (id, name, seconds) -> post(Topics.CALL_RECORDED, recorded(id, name, seconds)));
        } catch (RuntimeException e) {
            LOG.error("call recording is not possible: {}", e.toString());
        }
        calls.recording(id -> {
            MediaAnchor a = media.anchor();
            return a == null ? null : a.recording(id);
        });
        calls.relayed(id -> {
            MediaAnchor a = media.anchor();
            return a == null ? null : a.endpoints(id);
        });
        calls.quality(id -> {
            MediaAnchor a = media.anchor();
            return a == null ? null : a.quality(id);
        });
        b2bua.onEnded((id, why) -> calls.ended(id, System.currentTimeMillis()));
        calls.onEnded(id -> {
            MediaAnchor a = media.anchor();
            if (a != null) {
                a.end(id);
            }
        });
        sockets = new SipSockets(listeners, () -> inspectors, (data, len, src) -> server.handle(data, len, src));
        sender = sockets.sender();
        timers = new java.util.concurrent.ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "pbx-timers");
            t.setDaemon(true);
            return t;
        });
        calls.startTimer(timers);
        dnsThread = new java.util.concurrent.ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "pbx-dns");
            t.setDaemon(true);
            return t;
        });
        String port = ctx.getProperty("besip.sip.port");
        String host = ctx.getProperty("besip.sip.host");
        defaultListen = new InetSocketAddress(host == null || host.isBlank() ? "0.0.0.0" : host,
                port == null || port.isBlank() ? 5060 : Integer.parseInt(port.trim()));
    }

    /** What the previous version left (formats {@link PbxState#OLDEST} to {@link PbxState#VERSION}); null when nothing, or unreadable. */
    private PbxState handed() {
        java.util.Optional<Handover.State> left = handover.take();
        if (left.isEmpty()) {
            return null;
        }
        Handover.State st = left.get();
        if (st.version() < PbxState.OLDEST || st.version() > PbxState.VERSION) {
            LOG.warn("the previous version left its state in format {}, this one reads {} to {}: a clean start", st.version(), PbxState.OLDEST,
                    PbxState.VERSION);
            return null;
        }
        try {
            return PbxState.decode(st.version(), st.data());
        } catch (java.io.IOException e) {
            LOG.warn("the previous version's state is unreadable ({}): a clean start", e.getMessage());
            return null;
        }
    }

    @Deactivate
    synchronized void deactivate() throws InterruptedException {
        // the sockets stay with core: what arrives from now on waits for the next version
        sockets.detach();
        TrunkRegistration reg = registrations;
        List<TrunkRegistration.Held> trunksHeld = reg == null ? List.of() : reg.held(); // before the timer stops
        closeRegistrations();
        boolean b2b = current != null && current.settings().b2bua() != null;
        // the box shutting down: no next version to hand to, the calls close as interrupted now (at the time they were cut)
        boolean shutdown = context.getBundle(0).getState() == org.osgi.framework.Bundle.STOPPING;
        if (!shutdown) {
            // a B2BUA's answered calls go with their dialogs; one still ringing (its transactions are this version's) closes as interrupted
            List<B2bua.DialogState> dialogs = b2b ? b2bua.handOver() : List.of();
            java.util.Set<String> b2bKeys = dialogs.stream().map(B2bua.DialogState::key).collect(java.util.stream.Collectors.toSet());
            List<CallTracker.Snapshot> goingOn = calls.handOver(c -> !b2b || b2bKeys.contains(c.callId()));
            java.util.Set<String> ids = goingOn.stream().map(CallTracker.Snapshot::callId).collect(java.util.stream.Collectors.toSet());
            List<Prepaid.Hold> holds = prepaid.holds().stream().filter(h -> ids.contains(h.callId())).toList(); // the others settle below
            List<PbxState.Relayed> relayed = media.handOver(ids);
            List<B2bua.DialogState> handedDialogs = dialogs.stream().filter(x -> ids.contains(x.key())).toList();
            DigestAuthenticator d = digest;
            handover.leave(PbxState.VERSION, new PbxState(dialogKey.clone(), nonceKey.clone(), d == null ? Map.of() : d.counts(), goingOn,
                    holds, relayed, trunksHeld, handedDialogs).encode());
            LOG.info("handed {} calls in progress to the next version, {} of them with their media relay session, {} B2BUA dialogs",
                    goingOn.size(), relayed.size(), handedDialogs.size());
        }
        media.close();
        if (resolver != null) {
            resolver.close();
        }
        dnsThread.shutdownNow();
        calls.close();
        timers.shutdownNow();
        cdrs.close();
        prepaid.close();
        table.close();
        if (recordings != null) {
            recordings.close(); // the relay closed its recorders: their files are completed first
        }
    }

    @Override
    public void prepare(long tx, Element config) throws ConfigRejectedException {
        Settings s = PbxSettings.read(config, defaultListen);
        boundFor.put(tx, sockets.bind(s.listen()));
        prepared.put(tx, s);
    }

    @Override
    public synchronized void apply(long tx) {
        Settings s = prepared.remove(tx);
        if (s == null) {
            return;
        }
        List<SipSockets.Bound> bound = boundFor.remove(tx);
        // design §4, DS @Modified semantics: a commit changes what it touches and keeps the rest, with its state (the proxy's
        // transactions, the authenticator's nonce counts, the trunks' registrations, the keep-alive timer)
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
            proxyHost = host;
            proxyPort = first.getPort();
            calls.hangup(proxy::hangup);
        }
        Proxy proxy = this.proxy;
        if (resolver == null || !s.dns().equals(resolverServers)) {
            if (resolver != null) {
                resolver.close();
            }
            resolver = new TrunkResolver(dns(s.dns()), dnsThread, this::resolved);
            resolverServers = s.dns();
        }
        Map<String, List<InetSocketAddress>> resolved = resolver.track(s.trunks());
        proxy.policy(s.routing().withTrunkPeers(peers(resolved)));
        trunkAddresses(s, resolved);
        if (newProxy || s.keepaliveS() != keepaliveS) {
            if (keepalives != null) {
                keepalives.cancel(false);
                keepalives = null;
            }
            if (s.keepaliveS() > 0) {
                keepalives = timers.scheduleWithFixedDelay(() -> {
                    try {
                        for (org.besip.pbx.internal.registrar.Binding b : location.all(System.currentTimeMillis())) {
                            if (Proxy.natted(b)) {
                                proxy.keepAlive(b);
                            }
                        }
                    } catch (RuntimeException e) {
                        LOG.warn("NAT keep-alives: {}", e.toString());
                    }
                }, s.keepaliveS(), s.keepaliveS(), java.util.concurrent.TimeUnit.SECONDS);
            }
            keepaliveS = s.keepaliveS();
        }
        prepaid.policy(s.policy());
        if (recordings != null) {
            recordings.retention(s.retention());
        }
        TrunkResolver trunkResolver = resolver;
        proxy.outbound(new Proxy.Outbound(plan(s.routes(), resolved), digest, u -> users.get(u), this::authFailed, prepaid,
                trunkResolver::failed));
        proxy.media(media.configure(s.media(), first, host));
        if (s.b2bua() != null) {
            b2bua.settings(s.b2bua());
        }
        proxy.b2bua(s.b2bua() == null ? null : b2bua);
        if (newDigest || newProxy) {
            SipSockets sk = sockets;
            server = new SipServer(registrar, this::authFailed, proxy).onAuthenticated(sk::trust);
        }
        sockets.listen(s.listen(), s.firstMessageMs(), bound == null ? List.of() : bound);
        List<TrunkRegistration.Account> accounts = accounts(s.accounts(), resolved);
        if (newProxy || registrations == null || !accounts.equals(registeredAccounts)) {
            closeRegistrations();
            registeredAccounts = accounts;
            registrations = new TrunkRegistration(accounts, host, first.getPort(), sender, handedTrunks);
            handedTrunks = List.of();
        }
        proxy.registrations(registrations);
        current = new Applied(s, proxy, host, first.getPort(), sender);
        LOG.info("SIP {} as {}:{} with {} dial-plan routes", s.b2bua() == null ? "proxy" : "B2BUA", host, first.getPort(), s.routes().size());
    }

    /** What the last configuration built, for the resolver's changes of trunk addresses. */
    private record Applied(Settings settings, Proxy proxy, String host, int port, Sender sender) {
    }

    private Applied current;
    private TrunkResolver resolver;
    private List<InetSocketAddress> resolverServers = List.of();
    private List<TrunkRegistration.Account> registeredAccounts = List.of();
    /** Trunk DNS lookups: a thread of their own, so neither the SIP threads nor the timers ever wait on DNS. */
    private java.util.concurrent.ScheduledExecutorService dnsThread;

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
        java.util.Set<java.net.InetAddress> trunks = new java.util.HashSet<>(s.routing().trunkHosts().keySet());
        resolved.values().forEach(l -> l.forEach(x -> trunks.add(x.getAddress())));
        trunkAddresses = java.util.Set.copyOf(trunks);
    }

    @Override
    public void abort(long tx) {
        prepared.remove(tx);
        List<SipSockets.Bound> b = boundFor.remove(tx);
        if (b != null) {
            sockets.release(b);
        }
    }

    private void authFailed(String source, String reason) {
        post(Topics.PBX_AUTH_FAILED, Map.of(Topics.PROP_SOURCE, source, "reason", reason));
    }

    /** Asynchronous delivery: never blocks the SIP transport thread. */
    /** What {@code besip/pbx/call/RECORDED} says of a finished recording: the call, its file under the data directory, its length. */
    static Map<String, Object> recorded(String callId, String name, double seconds) {
        return Map.of(Topics.PROP_CALL_ID, callId, Topics.PROP_RECORDING, "recordings/" + name, Topics.PROP_DURATION, seconds);
    }

    private void post(String topic, Map<String, Object> props) {
        EventAdmin ea = events;
        if (ea != null) {
            ea.postEvent(new Event(topic, props));
        }
    }

    @Override
    public boolean isTrunk(java.net.InetAddress address) {
        return trunkAddresses.contains(address);
    }

    @Override
    public List<TrunkRegistration.Status> trunkStatus() {
        TrunkRegistration r = registrations;
        return r == null ? List.of() : r.status();
    }

    private void closeRegistrations() {
        TrunkRegistration r = registrations;
        if (r != null) {
            r.close();
            registrations = null;
        }
    }

    private static final ConfigTree TREE = new ConfigTree(NS);

}
