package org.besip.security.internal.component;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.besip.core.api.config.ConfigApplier;
import org.besip.core.api.config.ConfigTree;
import org.besip.core.api.config.ConfigRejectedException;
import org.besip.core.api.event.Topics;
import org.besip.core.api.storage.DataStores;
import org.besip.core.api.traffic.PeerDirectory;
import org.besip.security.internal.block.Blocklist;
import org.besip.security.internal.component.SecuritySettings.Email;
import org.besip.security.internal.component.SecuritySettings.Settings;
import org.besip.security.internal.block.SecurityStore;
import org.besip.security.internal.block.SoftFaults;
import org.besip.security.internal.capture.CaptureControl;
import org.besip.security.internal.engine.Engine;
import org.besip.security.internal.engine.Inspection;
import org.besip.security.internal.firewall.Enforcement;
import org.besip.security.internal.mail.Report;
import org.besip.security.internal.mail.SmtpClient;
import org.besip.security.internal.rules.AddressSet;
import org.besip.security.internal.rules.RuleParser;
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
 * The security module: the judgement ({@link Inspection}, through {@link Guard} for the
 * {@link SecurityInspector} the PBX asks for every inbound message and the
 * {@link SoftFaultListener}: a blocked source is dropped first thing, one hash lookup; then the
 * rules), SnortSam-style blocks
 * with a whitelist, enforced in the application and, where the box allows it, in the kernel
 * (nftables), soft-fault blocking from {@code besip/pbx/auth/FAILED} and
 * {@code besip/netconf/auth/FAILED}, and for every alert and block an EventAdmin event (which
 * NETCONF turns into a notification), a log line and a row in SQLite. Blocks are saved with their
 * expiry and put back when the module starts again (restart, update, re-enable).
 */
@Component(service = { ConfigApplier.class, SecurityView.class, Guard.class }, property = ConfigApplier.YANG_MODULE + "=besip-security",
        immediate = true)
public class SecurityComponent implements ConfigApplier, SecurityView, Guard {

    static final String NS = SecuritySettings.NS;
    private static final Logger LOG = LoggerFactory.getLogger(SecurityComponent.class);

    @Reference
    private DataStores stores;

    /** Where the rule and soft-fault counters go for the next version, and come from the last one. */
    @Reference
    private org.besip.core.api.handover.Handover handover;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile EventAdmin events;

    /** The PBX's trunks and registered addresses, when the PBX runs (core contract: no import of the pbx module). */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile PeerDirectory peers;

    private final Blocklist blocks = new Blocklist();
    private final SoftFaults soft = new SoftFaults();
    private final Map<Long, Settings> prepared = new ConcurrentHashMap<>();
    /** The judgement of each packet and soft fault, over the rules in force. */
    private final Inspection inspection = new Inspection(blocks, soft, () -> this.settings.engine(), this::trunk, a -> {
        PeerDirectory pd = peers;
        return pd != null && pd.hasBinding(a);
    }, this::alert);
    private final AtomicLong lostTasks = new AtomicLong();
    private volatile Settings settings;
    /** The kernel backend of the blocks (worker thread only). */
    private final Enforcement enforcement = new Enforcement();
    /** Wire capture as configured (worker thread). */
    private final CaptureControl capture = new CaptureControl(p -> inspection.wire(p, System.currentTimeMillis()));
    private SecurityStore store;
    private ThreadPoolExecutor worker;
    private ScheduledExecutorService ticker;

    /** Where the operator's own rule files live: {@code <data>/security/rules/*.rules}. */
    private java.nio.file.Path rulesDir;

    private org.osgi.framework.BundleContext context;

    @Activate
    void activate(org.osgi.framework.BundleContext ctx) throws SQLException {
        context = ctx;
        String data = ctx.getProperty("besip.data");
        rulesDir = java.nio.file.Path.of(data == null ? "data" : data, "security", "rules");
        store = new SecurityStore(stores.dataSource("security"), stores.dialect());
        worker = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(10_000), r -> {
            Thread t = new Thread(r, "security-worker");
            t.setDaemon(true);
            return t;
        }, (r, pool) -> lostTasks.incrementAndGet());
        try {
            settings = read(null);
        } catch (ConfigRejectedException e) {
            throw new IllegalStateException("the shipped rules do not load: " + e.getMessage(), e);
        }
        blocks.whitelist(settings.whitelist());
        handed();
        long now = System.currentTimeMillis();
        // no store yet: nothing was ever blocked; SQLite stays closed until the first alert
        List<Blocklist.Block> saved = stores.exists("security") ? store.blocks(now) : List.of();
        for (Blocklist.Block b : saved) {
            blocks.restore(b, now);
        }
        blocks.listener(new Blocklist.Listener() {
            @Override
            public void blocked(Blocklist.Block b) {
                onBlocked(b);
            }

            @Override
            public void unblocked(Blocklist.Block b, String why) {
                onUnblocked(b, why);
            }
        });
        submit(() -> enforcement.use(settings.firewall(), blocks.active(System.currentTimeMillis()), System.currentTimeMillis()));
        Settings first = settings;
        submit(() -> capture.use(first.captureInterfaces(), first.captureFilter()));
        ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "security-ticker");
            t.setDaemon(true);
            return t;
        });
        ticker.scheduleWithFixedDelay(() -> {
            try {
                blocks.expire(System.currentTimeMillis());
            } catch (RuntimeException e) {
                LOG.warn("expiring blocks: {}", e.toString());
            }
        }, 1, 1, TimeUnit.SECONDS);
        ticker.scheduleWithFixedDelay(this::periodicReport, 1, 1, TimeUnit.MINUTES);
        ticker.scheduleWithFixedDelay(() -> submit(() -> {
            if (!stores.exists("security")) {
                return;
            }
            long before = System.currentTimeMillis() - settings.retentionDays() * 86_400_000L;
            int n = store.pruneAlerts(before);
            if (n > 0) {
                LOG.info("{} alerts older than {} days removed", n, settings.retentionDays());
            }
        }), 1, 60, TimeUnit.MINUTES);
        LOG.info("security: {} rules, {} blocks restored, whitelist {}", settings.engine().size(), saved.size(),
                settings.whitelist().size());
    }

    /** Takes on the counters the previous version left (format {@link SecurityState#VERSION}); an unknown format starts clean. */
    private void handed() {
        java.util.Optional<org.besip.core.api.handover.Handover.State> left = handover.take();
        if (left.isEmpty()) {
            return;
        }
        if (left.get().version() != SecurityState.VERSION) {
            LOG.warn("security: the previous version left its counters in format {}, this one reads {}: they start from zero",
                    left.get().version(), SecurityState.VERSION);
            return;
        }
        try {
            SecurityState st = SecurityState.decode(left.get().data());
            soft.counters(st.softFaults());
            settings.engine().counters(st.rules());
            LOG.info("security: took over the counters of {} sources and {} rules from the previous version", st.softFaults().size(),
                    st.rules().size());
        } catch (IOException e) {
            LOG.warn("security: the previous version's counters are unreadable ({}): they start from zero", e.getMessage());
        }
    }

    @Deactivate
    void deactivate() throws InterruptedException {
        ticker.shutdownNow();
        worker.shutdown();
        worker.awaitTermination(5, TimeUnit.SECONDS);
        boolean shutdown = context.getBundle(0).getState() == org.osgi.framework.Bundle.STOPPING;
        if (!shutdown) {
            handover.leave(SecurityState.VERSION, new SecurityState(soft.counters(), settings.engine().counters()).encode());
        }
        // at a shutdown the blocks stay saved and the next boot puts them back (kernel included); at an upgrade or a disable
        // the kernel's blocks stay in force (each with its timeout) until the next start takes them over
        if (enforcement.stop(shutdown)) {
            LOG.info("security: the kernel's blocks stay in force for the module's next start");
        }
        capture.close();
    }

    // ---- inspection ----

    @Override
    public Inspection inspection() {
        return inspection;
    }

    /** An alert of the inspection: a log line, an event and a row, on the worker. */
    private void alert(long sid, int rev, String msg, String classtype, String source, String destination, String action, long now) {
        submit(() -> {
            LOG.warn("ALERT [1:{}:{}] {} [Classification: {}] {} -> {}", sid, rev, msg, classtype, source, destination);
            Map<String, Object> p = new HashMap<>();
            p.put("sid", sid);
            p.put("rev", rev);
            p.put("msg", msg);
            p.put("classtype", classtype == null ? "" : classtype);
            p.put(Topics.PROP_SOURCE, source);
            p.put("destination", destination);
            p.put("action", action);
            post(Topics.SECURITY_ALERT, p);
            store.saveAlert(new SecurityStore.Alert(now, sid, msg, classtype, source, destination, action));
        });
    }

    private void onBlocked(Blocklist.Block b) {
        submit(() -> {
            long now = System.currentTimeMillis();
            long seconds = Enforcement.seconds(b, now);
            enforcement.block(b, blocks.active(now), now); // in auto mode the first block opens the kernel backend
            LOG.warn("BLOCKED {} for {} ({}, sid {}) via {}", b.address().getHostAddress(), seconds == 0 ? "ever" : seconds + " s", b.reason(),
                    b.sid(), enforcement.where());
            store.saveBlock(b);
            Map<String, Object> p = new HashMap<>();
            p.put(Topics.PROP_SOURCE, b.address().getHostAddress());
            p.put("until", b.untilMs());
            p.put("reason", b.reason());
            p.put("sid", b.sid());
            post(Topics.SECURITY_BLOCKED, p);
            store.saveAlert(new SecurityStore.Alert(b.sinceMs(), b.sid(), b.reason(), "block", b.address().getHostAddress(), "",
                    "block " + (seconds == 0 ? "until unblocked" : seconds + " s")));
        });
    }

    private void onUnblocked(Blocklist.Block b, String why) {
        submit(() -> {
            LOG.info("UNBLOCKED {} ({})", b.address().getHostAddress(), why);
            store.deleteBlock(b.address());
            enforcement.unblock(b.address());
            post(Topics.SECURITY_UNBLOCKED, Map.of(Topics.PROP_SOURCE, b.address().getHostAddress(), "reason", why));
            store.saveAlert(new SecurityStore.Alert(System.currentTimeMillis(), b.sid(), b.reason(), "unblock", b.address().getHostAddress(),
                    "", "unblock (" + why + ")"));
        });
    }

    /** Work off the transport threads: storage, the kernel, events. A full queue loses the task and counts it. */
    private interface Task {
        void run() throws Exception;
    }

    private void submit(Task t) {
        ThreadPoolExecutor w = worker;
        if (w == null || w.isShutdown()) {
            return;
        }
        w.execute(() -> {
            try {
                t.run();
            } catch (Exception e) {
                LOG.warn("security: {}", e.toString());
            }
        });
    }

    private void post(String topic, Map<String, Object> props) {
        EventAdmin ea = events;
        if (ea != null) {
            ea.postEvent(new Event(topic, props));
        }
    }

    /** Whether {@code a} is one of the PBX's trunks: never blocked, like the whitelist. */
    private boolean trunk(InetAddress a) {
        PeerDirectory pd = peers;
        return pd != null && pd.isTrunk(a);
    }

    /** An IP literal, or null; never a name lookup. */
    static InetAddress literal(String text) {
        if (text == null) {
            return null;
        }
        String t = text.trim();
        if (t.startsWith("[") && t.endsWith("]")) {
            t = t.substring(1, t.length() - 1);
        }
        try {
            AddressSet.Cidr.parse(t);
            return InetAddress.getByName(t);
        } catch (IllegalArgumentException | UnknownHostException e) {
            return null;
        }
    }

    // ---- configuration ----

    /** The configuration in force, for re-reading the rule files with it. */
    private volatile Element current;
    private final Map<Long, Element> preparedElements = new ConcurrentHashMap<>();

    @Override
    public void prepare(long tx, Element config) throws ConfigRejectedException {
        Element sec = TREE.child(config, "security");
        prepared.put(tx, read(sec));
        if (sec != null) {
            preparedElements.put(tx, sec);
        }
    }

    @Override
    public void apply(long tx) {
        Settings s = prepared.remove(tx);
        current = preparedElements.remove(tx);
        if (s == null) {
            return;
        }
        s.engine().counters(settings.engine().counters()); // a commit keeps what the rules counted so far
        settings = s;
        blocks.whitelist(s.whitelist());
        soft.policy(s.soft());
        submit(() -> enforcement.use(s.firewall(), blocks.active(System.currentTimeMillis()), System.currentTimeMillis()));
        submit(() -> capture.use(s.captureInterfaces(), s.captureFilter()));
        LOG.info("security: {} rules active, whitelist {} entries, firewall {}", s.engine().size(), s.whitelist().size(), s.firewall());
    }

    @Override
    public void abort(long tx) {
        prepared.remove(tx);
        preparedElements.remove(tx);
    }

    // ---- the e-mail report ----

    private volatile long lastReportMs = System.currentTimeMillis();

    /** Sends the report of the alerts since the last one and the blocks in force; returns how many alerts it held. */
    int report(boolean evenIfQuiet) throws IOException, SQLException, ConfigRejectedException {
        Email e = settings.email();
        if (e.server() == null || e.to().isEmpty()) {
            throw new ConfigRejectedException("/sec:security/sec:email", "no e-mail report configured (server and to)");
        }
        long now = System.currentTimeMillis();
        long since = lastReportMs;
        List<SecurityStore.Alert> list = store.alertsSince(since, Report.MAX_ALERTS);
        if (list.isEmpty() && !evenIfQuiet) {
            return 0;
        }
        List<Blocklist.Block> active = blocks.active(now);
        SmtpClient.send(e.server(), e.from(), e.to(), Report.subject(list, active), Report.body(since, now, list, active));
        lastReportMs = now;
        LOG.info("security: report with {} alerts sent to {}", list.size(), e.to());
        return list.size();
    }

    private void periodicReport() {
        Email e = settings.email();
        if (e.enabled() && System.currentTimeMillis() - lastReportMs >= e.intervalMin() * 60_000L) {
            try {
                report(false);
            } catch (IOException | SQLException | ConfigRejectedException ex) {
                LOG.warn("security: the e-mail report was not sent: {}", ex.getMessage());
            }
        }
    }

    private Settings read(Element sec) throws ConfigRejectedException {
        Settings s = SecuritySettings.read(sec, ruleFiles());
        for (RuleParser.Problem p : s.problems()) {
            LOG.warn("security: rule not loaded: {}", p);
        }
        return s;
    }

    /** The operator's rule files, in name order (later files replace earlier rules with the same sid; YANG rules win). */
    private List<java.nio.file.Path> ruleFiles() {
        if (rulesDir == null || !java.nio.file.Files.isDirectory(rulesDir)) {
            return List.of();
        }
        try (var files = java.nio.file.Files.list(rulesDir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".rules")).sorted().limit(100).toList();
        } catch (IOException e) {
            LOG.warn("security: cannot list {}: {}", rulesDir, e.getMessage());
            return List.of();
        }
    }

    /** Packets seen by wire capture, or -1 when it is off. */
    public long captured() {
        return capture.packets();
    }

    /** The error path of an RPC's input leaf, or null for the page. */
    private static String path(String rpc, String leaf) {
        return rpc == null ? null : "/sec:" + rpc + "/sec:" + leaf;
    }

    private static InetAddress address(String text, String rpc) throws ConfigRejectedException {
        InetAddress a = literal(text);
        if (a == null) {
            throw new ConfigRejectedException(path(rpc, "address"), "not an IP address: " + text);
        }
        return a;
    }

    // ---- what the page and Zabbix read ----

    @Override
    public List<Blocklist.Block> activeBlocks(long nowMs) {
        return blocks.active(nowMs);
    }

    @Override
    public long alerts() {
        return inspection.alerts();
    }

    @Override
    public Reloaded reloadRules() throws ConfigRejectedException {
        Settings s = read(current);
        s.engine().counters(settings.engine().counters());
        settings = s;
        LOG.info("security: rules reloaded: {} rules, {} problems", s.engine().size(), s.problems().size());
        return new Reloaded(s.engine().size(), s.problems());
    }

    @Override
    public int report() throws IOException, SQLException, ConfigRejectedException {
        return report(true);
    }

    @Override
    public List<Engine.Stats> ruleStats() {
        return settings.engine().stats();
    }

    @Override
    public List<RuleParser.Problem> problems() {
        return settings.problems();
    }

    @Override
    public List<SecurityStore.Alert> recentAlerts(int n) throws SQLException {
        return store.recentAlerts(n);
    }

    @Override
    public String firewallName() {
        return enforcement.name();
    }

    /** What keeps capture or the kernel's blocks from working (e.g. a missing capability), for the page; empty when nothing. */
    @Override
    public java.util.List<String> hostProblems() {
        return java.util.stream.Stream.of(capture.problem(), enforcement.problem()).filter(java.util.Objects::nonNull).toList();
    }

    @Override
    public long dropped() {
        return inspection.dropped();
    }

    /** Blocks an address by hand, from the RPC {@code rpc} or (null) the page: the same checks for both. */
    @Override
    public void blockByHand(String address, long seconds, String reason, String rpc) throws ConfigRejectedException {
        InetAddress a = address(address, rpc);
        if (blocks.whitelisted(a)) {
            throw new ConfigRejectedException(path(rpc, "address"), a.getHostAddress() + " is whitelisted: never blocked");
        }
        if (seconds < 0 || seconds > 31_622_400) {
            throw new ConfigRejectedException(path(rpc, "duration"), "duration must be 0 to 31622400 seconds, not " + seconds);
        }
        blocks.block(a, seconds, reason == null || reason.isBlank() ? "blocked by hand" : reason, 0, System.currentTimeMillis());
    }

    /** Lifts a block by hand, from the RPC {@code rpc} or (null) the page. */
    @Override
    public void unblockByHand(String address, String rpc) throws ConfigRejectedException {
        InetAddress a = address(address, rpc);
        if (!blocks.unblock(a)) {
            throw new ConfigRejectedException(path(rpc, "address"), a.getHostAddress() + " is not blocked");
        }
    }

    // ---- DOM helpers ----

    private static final ConfigTree TREE = new ConfigTree(NS);

}
