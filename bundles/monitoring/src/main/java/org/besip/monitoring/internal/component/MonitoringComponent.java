package org.besip.monitoring.internal.component;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.besip.core.api.config.ConfigApplier;
import org.besip.core.api.config.ConfigRejectedException;
import org.besip.core.api.event.Topics;
import org.besip.core.api.handover.Handover;
import org.besip.core.api.metrics.MetricSource;
import org.besip.core.api.module.ModuleManager;
import org.besip.core.api.storage.DataStores;
import org.besip.monitoring.internal.calls.CallRegistry;
import org.besip.monitoring.internal.capture.LiveCapture;
import org.besip.core.api.quality.QualityResult;
import org.besip.core.api.quality.RtpAnalyzer;
import org.besip.core.api.quality.StreamStats;
import org.besip.monitoring.internal.store.QualityStore;
import org.besip.monitoring.internal.zabbix.ZabbixAgent;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;
import org.osgi.service.event.EventConstants;
import org.osgi.service.event.EventHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.w3c.dom.Element;

/**
 * The monitoring module: configured by besip-monitoring (NETCONF), it captures RTP, scores each
 * stream when it goes idle, keeps the score in SQLite, publishes {@code besip/monitoring/QUALITY},
 * and answers a Zabbix server while it runs. The calls it knows and the streams in progress go to
 * its next version (core's {@link Handover}, {@link MonitoringState}) and stay across a commit,
 * so an upgrade or a new setting never cuts a stream in two; only a shutdown or disabling
 * monitoring scores them where they are.
 */
@Component(service = { ConfigApplier.class, MonitoringComponent.class, EventHandler.class },
        property = { ConfigApplier.YANG_MODULE + "=besip-monitoring", EventConstants.EVENT_TOPIC + "=besip/pbx/call/*" },
        immediate = true)
public class MonitoringComponent implements ConfigApplier, EventHandler {

    private static final Logger LOG = LoggerFactory.getLogger(MonitoringComponent.class);

    @Reference
    private DataStores stores;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile EventAdmin events;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile ModuleManager modules;

    private final Map<MetricSource, Map<String, Object>> metricSources = new ConcurrentHashMap<>();

    /** Other modules' figures for the Zabbix agent (besip.pbx.registrations, …). */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void bindMetricSource(MetricSource source, Map<String, Object> props) {
        metricSources.put(source, props);
    }

    void unbindMetricSource(MetricSource source, Map<String, Object> props) {
        metricSources.remove(source);
    }

    /** The source that answers {@code key}, or null. */
    MetricSource metricSource(String key) {
        for (Map.Entry<MetricSource, Map<String, Object>> e : metricSources.entrySet()) {
            Object keys = e.getValue().get(MetricSource.KEYS);
            for (String k : keys instanceof String[] a ? a : new String[] { String.valueOf(keys) }) {
                if (k.equals(key)) {
                    return e.getKey();
                }
            }
        }
        return null;
    }

    private final Map<Long, Settings> prepared = new ConcurrentHashMap<>();
    private final CallRegistry calls = new CallRegistry();
    private final long started = System.currentTimeMillis();
    private QualityStore store;
    private volatile Settings settings = Settings.defaults();
    private volatile LiveCapture capture;
    private volatile String captureProblem;
    private volatile ZabbixAgent agent;
    private RtpAnalyzer analyzer;
    private ScheduledExecutorService ticker;

    @Reference
    private Handover handover;
    private BundleContext context;
    /** The streams the last version was measuring, until the first configuration starts the capture. */
    private RtpAnalyzer handed;

    @Activate
    void activate(BundleContext ctx) throws SQLException {
        context = ctx;
        store = new QualityStore(stores.dataSource("monitoring"), stores.dialect());
        handover.take().ifPresent(st -> {
            if (st.version() != MonitoringState.VERSION) {
                LOG.warn("the previous version left its state in format {}, this one reads {}: a clean start", st.version(),
                        MonitoringState.VERSION);
                return;
            }
            try {
                handed = MonitoringState.decode(st.data(), calls);
                LOG.info("took over {} calls and {} streams in progress from the previous version", calls.size(),
                        handed == null ? 0 : handed.open());
            } catch (IOException e) {
                LOG.warn("the previous version's state is unreadable ({}): a clean start", e.getMessage());
            }
        });
    }

    @Deactivate
    synchronized void deactivate() {
        boolean shutdown = context.getBundle(0).getState() == org.osgi.framework.Bundle.STOPPING;
        if (shutdown) {
            stop(false); // no next version: the streams are scored where they are
            return;
        }
        stop(true);
        RtpAnalyzer a = analyzer != null ? analyzer : handed;
        try {
            handover.leave(MonitoringState.VERSION, MonitoringState.encode(calls, a));
            LOG.info("handed {} calls and {} streams in progress to the next version", calls.size(), a == null ? 0 : a.open());
        } catch (IOException e) {
            LOG.error("cannot hand the streams over ({}): they are scored now", e.getMessage());
            if (a != null) {
                analyzer = a;
                scoreAll();
            }
        }
        analyzer = null;
    }

    @Override
    public void prepare(long tx, Element config) throws ConfigRejectedException {
        Settings s = Settings.from(config);
        if (s.enabled() && s.zabbix() && (agent == null || agent.port() != s.zabbixPort())) {
            try (ServerSocket probe = new ServerSocket()) {
                probe.setReuseAddress(true);
                probe.bind(new InetSocketAddress(s.zabbixPort()));
            } catch (IOException e) {
                throw new ConfigRejectedException("/besip-monitoring:monitoring/zabbix/port", "port " + s.zabbixPort()
                        + " is in use: " + e.getMessage());
            }
        }
        prepared.put(tx, s);
    }

    @Override
    public synchronized void apply(long tx) {
        Settings s = prepared.remove(tx);
        if (s == null) {
            return;
        }
        stop(s.enabled()); // a new setting keeps the streams in progress; monitoring switched off scores them
        settings = s;
        if (s.enabled()) {
            start(s);
        }
    }

    @Override
    public void abort(long tx) {
        prepared.remove(tx);
    }

    public boolean running() {
        return capture != null;
    }

    public long capturedPackets() {
        LiveCapture c = capture;
        return c == null ? 0 : c.packets();
    }

    public long droppedPackets() {
        LiveCapture c = capture;
        return c == null ? 0 : c.dropped();
    }

    public QualityStore store() {
        return store;
    }

    /** Why monitoring runs without capture (a missing capability, no libpcap, no such interface), or null. */
    public String captureProblem() {
        return captureProblem;
    }

    private void start(Settings s) {
        if (analyzer == null) {
            analyzer = handed != null ? handed : new RtpAnalyzer(calls.dynamicTypes());
            handed = null;
        }
        capture = null;
        captureProblem = org.besip.core.api.system.Capability.NET_RAW.lacking("monitoring: capture on " + s.interfaces(), LOG);
        if (captureProblem == null) {
            try {
                capture = new LiveCapture(s.interfaces(), s.heuristic() ? "udp" : calls.bpf(), analyzer);
            } catch (Exception | LinkageError e) {
                captureProblem = "monitoring cannot capture on " + s.interfaces() + ": " + e.getMessage();
                LOG.error("monitoring cannot capture on {}: {}", s.interfaces(), e.getMessage());
            }
        }
        ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread th = new Thread(r, "monitoring-score");
            th.setDaemon(true);
            return th;
        });
        ticker.scheduleWithFixedDelay(this::scoreIdle, 1, 1, TimeUnit.SECONDS);
        ticker.scheduleWithFixedDelay(this::prune, 1, 3600, TimeUnit.SECONDS);
        if (s.zabbix()) {
            try {
                agent = new ZabbixAgent(new InetSocketAddress(s.zabbixPort()), s.zabbixServers(), new ZabbixKeys(this, modules(), started));
            } catch (IOException e) {
                LOG.error("Zabbix agent cannot listen on {}: {}", s.zabbixPort(), e.getMessage());
            }
        }
        LOG.info("monitoring is running on {}", s.interfaces());
    }

    /** Stops capturing; {@code keepStreams}: the analyser and its streams stay for the next start (or version). */
    private void stop(boolean keepStreams) {
        captureProblem = null;
        if (capture != null) {
            capture.close();
            capture = null;
        }
        if (ticker != null) {
            ticker.shutdownNow();
            ticker = null;
        }
        if (analyzer != null && !keepStreams) {
            scoreAll();
            analyzer = null;
        }
        if (agent != null) {
            try {
                agent.close();
            } catch (IOException e) {
                // closing anyway
            }
            agent = null;
        }
    }

    ModuleManager modules() {
        return modules;
    }

    private void scoreIdle() {
        RtpAnalyzer a = analyzer;
        if (a == null) {
            return;
        }
        List<StreamStats> done;
        synchronized (a) {
            done = a.expire(System.currentTimeMillis() / 1000.0, settings.idleTimeoutS());
        }
        done.forEach(st -> record(st, a));
    }

    private void scoreAll() {
        RtpAnalyzer a = analyzer;
        List<StreamStats> all;
        synchronized (a) {
            all = a.expire(Double.MAX_VALUE, -1);
        }
        all.forEach(st -> record(st, a));
    }

    private void record(StreamStats s, RtpAnalyzer a) {
        Settings st = settings;
        Double rtcp;
        synchronized (a) {
            rtcp = a.oneWayDelayMs(s.key());
        }
        QualityResult q = QualityResult.of(s, st.impairments(), rtcp, st.networkDelayMs(), st.advantage());
        String callId = calls.callOf(s.key().dst());
        if (callId == null) {
            callId = calls.callOf(s.key().src());
        }
        try {
            store.add(q, (long) (s.endS() * 1000), callId);
        } catch (SQLException e) {
            LOG.error("cannot store a stream's quality: {}", e.getMessage());
        }
        EventAdmin ea = events;
        if (ea != null) {
            Map<String, Object> props = new HashMap<>();
            props.put("ssrc", s.key().ssrcHex());
            props.put("src", s.key().src());
            props.put("dst", s.key().dst());
            props.put("codec", s.codec());
            props.put("loss_pct", s.lossPercent());
            props.put("jitter_ms", s.jitterMs());
            if (callId != null) {
                props.put(Topics.PROP_CALL_ID, callId);
            }
            if (q.mos() != null) {
                props.put("r", q.r());
                props.put("mos", q.mos());
            }
            ea.postEvent(new Event(Topics.MONITORING_QUALITY, props));
        }
    }

    /** The PBX's call events: media endpoints and SDP payload types of each call. */
    @Override
    public void handleEvent(Event event) {
        String id = (String) event.getProperty(Topics.PROP_CALL_ID);
        if (Topics.CALL_ENDED.equals(event.getTopic())) {
            calls.ended(id);
        } else {
            Object payloads = event.getProperty(Topics.PROP_PAYLOADS);
            Object relay = event.getProperty(Topics.PROP_MEDIA_RELAY);
            calls.started(id, (String) event.getProperty(Topics.PROP_MEDIA_CALLER), (String) event.getProperty(Topics.PROP_MEDIA_CALLEE),
                    payloads instanceof String[] p ? p : null, relay instanceof String[] r ? r : null);
        }
        LiveCapture c = capture;
        if (c != null && !settings.heuristic()) {
            c.filter(calls.bpf());
        }
    }

    private void prune() {
        Settings s = settings;
        try {
            store.prune(System.currentTimeMillis(), s.maxAgeDays() * 86_400_000L, s.maxStreams());
        } catch (SQLException e) {
            LOG.warn("history retention: {}", e.getMessage());
        }
    }

    static String uptime() {
        try {
            String u = Files.readString(Path.of("/proc/uptime")).trim().split("\\s+")[0];
            return String.valueOf((long) Double.parseDouble(u));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
