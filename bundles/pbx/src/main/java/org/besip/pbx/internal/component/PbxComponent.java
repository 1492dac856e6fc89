package org.besip.pbx.internal.component;


import java.net.InetSocketAddress;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import org.besip.core.api.config.ConfigApplier;
import org.besip.core.api.config.ConfigRejectedException;
import org.besip.core.api.event.Topics;
import org.besip.core.api.handover.Handover;
import org.besip.core.api.handover.Listeners;
import org.besip.core.api.storage.DataStores;
import org.besip.core.api.traffic.TrafficInspector;
import org.besip.pbx.internal.component.PbxSettings.Settings;
import org.besip.pbx.internal.registrar.Binding;
import org.besip.pbx.internal.registrar.BindingTable;
import org.besip.pbx.internal.registrar.LocationService;
import org.besip.pbx.internal.call.CallTracker;
import org.besip.pbx.internal.call.CdrStore;
import org.besip.pbx.internal.call.Prepaid;
import org.besip.pbx.internal.media.MediaAnchor;
import org.besip.pbx.internal.media.MediaRelay;
import org.besip.pbx.internal.media.Recordings;
import org.besip.pbx.internal.proxy.B2bua;
import org.besip.pbx.internal.proxy.TrunkRegistration;
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
 * The PBX module's component: it wires core's services (storage, sockets, handover, events) to
 * the engine and is the module's {@link ConfigApplier} and {@link PbxView}. What a commit changes
 * is {@link Signalling}'s work (registrar, proxy or B2BUA, trunks, transports, in place); what
 * goes to and comes from the other version is {@link Handing}'s ({@link PbxState}); the media
 * relay is {@link MediaSide}'s, the sockets {@link SipSockets}'. The RPCs ({@link PbxRpcs}), the
 * Zabbix keys ({@link PbxMetrics}), the peer directory ({@link PbxPeers}) and the page are
 * components of their own over {@link PbxView}. Authentication failures are published as
 * {@code besip/pbx/auth/FAILED} with their source.
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
    /** What the configuration builds of the SIP side, changed in place by each commit; made in activate. */
    private Signalling signalling;
    /** Where a configuration without listen addresses listens: besip.sip.host and besip.sip.port, else 0.0.0.0:5060. */
    private InetSocketAddress defaultListen;
    /** Trunk DNS lookups: a thread of their own, so neither the SIP threads nor the timers ever wait on DNS. */
    private java.util.concurrent.ScheduledExecutorService dnsThread;
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
    public List<Binding> fleetRegistrations(long nowMs) {
        return location.fleet(nowMs);
    }

    @Override
    public boolean hasBindingFrom(java.net.InetAddress address) {
        return location.hasSource(address);
    }

    @Override
    public boolean configured(String user) {
        return signalling.configured(user);
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
    public void cdrCsv(long fromMs, long toMs, java.io.Writer out) throws SQLException, java.io.IOException {
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
        table = new BindingTable(stores.dataSource("pbx"), stores.dialect(), stores.boxId());
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
        if (stores.dialect().shared()) {
            table.share(location); // one location service for the boxes sharing the store
        }
        cdrs = new CdrStore(stores.dataSource("pbx"), stores.dialect(), stores.boxId());
        PbxState handed = Handing.taken(handover.take());
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
            media.handed(handed.relay());
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
        sockets = new SipSockets(listeners, () -> inspectors, (data, len, src) -> signalling.server().handle(data, len, src));
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
        signalling = new Signalling(location, calls, prepaid, media, b2bua, sockets, timers, dnsThread, dialogKey, nonceKey, this::authFailed,
                () -> recordings);
        if (handed != null) {
            signalling.handed(handed);
        }
        String port = ctx.getProperty("besip.sip.port");
        String host = ctx.getProperty("besip.sip.host");
        defaultListen = new InetSocketAddress(host == null || host.isBlank() ? "0.0.0.0" : host,
                port == null || port.isBlank() ? 5060 : Integer.parseInt(port.trim()));
    }

    @Deactivate
    synchronized void deactivate() throws InterruptedException {
        // the sockets stay with core: what arrives from now on waits for the next version
        sockets.detach();
        // the box shutting down: no next version to hand to, the calls close as interrupted now (at the time they were cut)
        boolean shutdown = context.getBundle(0).getState() == org.osgi.framework.Bundle.STOPPING;
        if (!shutdown) {
            handover.leave(PbxState.VERSION, Handing.leaving(signalling.b2b(), dialogKey, nonceKey, signalling, calls, prepaid, media, b2bua)
                    .encode());
        }
        media.close();
        signalling.close();
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
        signalling.apply(s, boundFor.remove(tx));
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
        return signalling.isTrunk(address);
    }

    @Override
    public List<TrunkRegistration.Status> trunkStatus() {
        return signalling.trunkStatus();
    }

}
