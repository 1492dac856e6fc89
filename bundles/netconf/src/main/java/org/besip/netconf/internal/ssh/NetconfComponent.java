package org.besip.netconf.internal.ssh;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import java.time.Duration;

import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.core.CoreModuleProperties;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.config.keys.AuthorizedKeysAuthenticator;
import org.apache.sshd.server.forward.RejectAllForwardingFilter;
import org.apache.sshd.server.keyprovider.SimpleGeneratorHostKeyProvider;
import org.apache.sshd.server.session.ServerSession;
import org.besip.core.api.auth.AdminAuthenticator;
import org.besip.core.api.config.ConfigApplier;
import org.besip.core.api.config.ConfigEditor;
import org.besip.core.api.config.ConfigRejectedException;
import org.besip.core.api.config.ModuleRpc;
import org.besip.core.api.event.Topics;
import org.besip.core.api.module.ModuleManager;
import org.besip.netconf.internal.datastore.Datastores;
import org.besip.netconf.internal.ops.InterfacesState;
import org.besip.netconf.internal.ops.Monitoring;
import org.besip.netconf.internal.ops.NetconfServer;
import org.besip.netconf.internal.protocol.RpcError;
import org.besip.netconf.internal.system.ModuleRpcs;
import org.besip.netconf.internal.system.NetconfUsers;
import org.besip.netconf.internal.yang.SchemaRegistry;
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
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The NETCONF door: an SSH server (Apache MINA SSHD) with the {@code netconf} subsystem,
 * password login with the box's admin credentials or a key from {@code data/netconf/authorized_keys},
 * and the datastores of {@code data/netconf/}. Failed logins are published on
 * {@code besip/netconf/auth/FAILED} with the source address, for the security module.
 */
@Component(immediate = true, configurationPid = "org.besip.netconf", service = { EventHandler.class, ConfigEditor.class },
        property = EventConstants.EVENT_TOPIC + "=besip/*")
@Designate(ocd = NetconfComponent.Config.class)
public class NetconfComponent implements EventHandler, ConfigEditor {

    @ObjectClassDefinition(name = "besip NETCONF server", description = "NETCONF over SSH (RFC 6242)")
    public @interface Config {
        @AttributeDefinition(name = "Port", description = "TCP port; 0 takes besip.netconf.port from the launcher (default 830)",
                min = "0", max = "65535")
        int port() default 0;

        @AttributeDefinition(name = "Listen address", description = "Empty takes besip.netconf.host (default all interfaces)")
        String host() default "";

        @AttributeDefinition(name = "Largest message (KiB)", description = "A bigger message ends the session; "
                + "0 takes besip.netconf.max-message-kib (default: a sixteenth of the heap, at most 16384)", min = "0")
        int max_message_kib() default 0;

        @AttributeDefinition(name = "Idle timeout (s)", description = "A session silent this long, even inside a "
                + "message, is closed and its locks released; 0 takes besip.netconf.idle-timeout-s (default 600)", min = "0")
        int idle_timeout_s() default 0;
    }

    private static final Logger LOG = LoggerFactory.getLogger(NetconfComponent.class);

    @Reference
    private AdminAuthenticator admin;

    @Reference
    private ModuleManager modules;

    @Reference
    private NetconfUsers users;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile EventAdmin events;

    private final Map<String, List<ConfigApplier>> appliers = new ConcurrentHashMap<>();

    private SshServer sshd;
    private volatile NetconfServer server;
    private SchemaRegistry registry;

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void bindApplier(ConfigApplier applier, Map<String, Object> props) {
        Object module = props.get(ConfigApplier.YANG_MODULE);
        if (module != null) {
            appliers.computeIfAbsent(module.toString(), k -> new CopyOnWriteArrayList<>()).add(applier);
            NetconfServer s = server;
            if (s != null) {
                // a module that arrives later gets the configuration running holds for it (design §4)
                s.deliver(module.toString(), applier);
            }
        }
    }

    void unbindApplier(ConfigApplier applier, Map<String, Object> props) {
        Object module = props.get(ConfigApplier.YANG_MODULE);
        if (module != null) {
            appliers.getOrDefault(module.toString(), new ArrayList<>()).remove(applier);
        }
    }

    private final Map<ModuleRpc, Map<String, Object>> moduleRpcs = new ConcurrentHashMap<>();

    /** A module's RPCs (design §4): routed by namespace and name while its service is there. */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void bindModuleRpc(ModuleRpc rpc, Map<String, Object> props) {
        moduleRpcs.put(rpc, props);
        NetconfServer s = server;
        if (s != null) {
            routeModuleRpc(s, rpc, props, true);
        }
    }

    void unbindModuleRpc(ModuleRpc rpc, Map<String, Object> props) {
        moduleRpcs.remove(rpc);
        NetconfServer s = server;
        if (s != null) {
            routeModuleRpc(s, rpc, props, false);
        }
    }

    private static void routeModuleRpc(NetconfServer s, ModuleRpc rpc, Map<String, Object> props, boolean add) {
        Object ns = props.get(ModuleRpc.NAMESPACE);
        Object names = props.get(ModuleRpc.NAMES);
        if (ns == null || names == null) {
            LOG.warn("a ModuleRpc service without {} and {} is ignored", ModuleRpc.NAMESPACE, ModuleRpc.NAMES);
            return;
        }
        for (String name : names instanceof String[] a ? a : new String[] { names.toString() }) {
            if (!add) {
                s.unregisterRpc(ns.toString(), name);
                continue;
            }
            s.registerRpc(ns.toString(), name, (in, reply, session) -> {
                try {
                    return rpc.invoke(name, in, reply);
                } catch (ConfigRejectedException e) {
                    throw new RpcError("application", "invalid-value", null, e.path(), null, e.getMessage());
                } catch (RuntimeException e) {
                    LOG.warn("RPC {} failed: {}", name, e.toString(), e);
                    throw RpcError.application("operation-failed", name + " failed: " + e.getMessage());
                }
            });
        }
    }

    /**
     * The largest message by default: a sixteenth of the heap, at most 16 MiB. A message is held
     * as bytes, then as a DOM several times its size, beside the datastores; past this it is
     * answered too-big instead of running the box out of memory (4 MiB on the small-box 64 MB heap).
     */
    static int defaultMaxMessageKib(long maxHeapBytes) {
        return (int) Math.max(64, Math.min(16384, maxHeapBytes / 16 / 1024));
    }

    /** The Web Console page "Configuration", there while the server runs. */
    private org.osgi.framework.ServiceRegistration<jakarta.servlet.Servlet> configPage;

    @Activate
    void activate(BundleContext ctx, Config config) throws IOException {
        // MINA SSHD looks up security providers with the thread context class loader: make it
        // this bundle's, not whatever the starting thread carries (a host class path may hold
        // another copy of sshd, as under Pax Exam)
        Thread t = Thread.currentThread();
        ClassLoader previous = t.getContextClassLoader();
        t.setContextClassLoader(NetconfComponent.class.getClassLoader());
        try {
            start(ctx, config);
        } catch (IOException | RuntimeException | LinkageError e) {
            // SCR reports this only to the OSGi log; the operator reads besip.log
            LOG.error("NETCONF server not started: {}", e.toString(), e);
            deactivate();
            throw e;
        } finally {
            t.setContextClassLoader(previous);
        }
    }

    private void start(BundleContext ctx, Config config) throws IOException {
        Path data = Path.of(prop(ctx, "besip.data", "data")).resolve("netconf");
        Files.createDirectories(data.resolve("files"));
        Datastores datastores = new Datastores(data);
        registry = new SchemaRegistry(ctx, schema -> {
            if (server != null) {
                server.setSchema(schema);
            }
        });
        server = new NetconfServer(registry.schema(), datastores, m -> appliers.getOrDefault(m, List.of()), data.resolve("files"));
        registry.open();
        server.setSchema(registry.schema());
        new Monitoring(server).register();
        new InterfacesState(server).register();
        new ModuleRpcs(modules, data.resolve("files")).register(server);
        server.history(new org.besip.netconf.internal.datastore.CommitHistory(data.resolve("history")));
        appliers.forEach((module, list) -> list.forEach(a -> server.deliver(module, a)));
        moduleRpcs.forEach((rpc, props) -> routeModuleRpc(server, rpc, props, true));
        configPage = ctx.registerService(jakarta.servlet.Servlet.class, new org.besip.netconf.internal.web.ConfigPage(server),
                org.osgi.framework.FrameworkUtil.asDictionary(java.util.Map.of(
                        org.apache.felix.webconsole.servlet.ServletConstants.PLUGIN_LABEL, org.besip.netconf.internal.web.ConfigPage.LABEL,
                        org.apache.felix.webconsole.servlet.ServletConstants.PLUGIN_TITLE, "Configuration",
                        org.apache.felix.webconsole.servlet.ServletConstants.PLUGIN_CATEGORY, "besip")));

        int port = config.port() > 0 ? config.port() : Integer.parseInt(prop(ctx, "besip.netconf.port", "830"));
        String host = !config.host().isBlank() ? config.host() : prop(ctx, "besip.netconf.host", "0.0.0.0");
        sshd = SshServer.setUpDefaultServer();
        sshd.setHost(host);
        sshd.setPort(port);
        SimpleGeneratorHostKeyProvider keys = new SimpleGeneratorHostKeyProvider(data.resolve("ssh_host_ec_key"));
        keys.setAlgorithm(KeyUtils.EC_ALGORITHM);
        keys.setKeySize(256);
        sshd.setKeyPairProvider(keys);
        sshd.setPasswordAuthenticator((user, password, session) -> {
            boolean ok = admin.authenticate(user, password.toCharArray()) || users.passwordMatches(user, password);
            if (!ok) {
                failed(user, session);
            }
            return ok;
        });
        AuthorizedKeysAuthenticator authorizedKeys = new AuthorizedKeysAuthenticator(data.resolve("authorized_keys"));
        sshd.setPublickeyAuthenticator((String user, PublicKey key, ServerSession session) ->
                ("admin".equals(user) && authorizedKeys.authenticate(user, key, session)) || users.keyMatches(user, key));
        sshd.setKeyboardInteractiveAuthenticator(null);
        sshd.setForwardingFilter(RejectAllForwardingFilter.INSTANCE);
        int maxKib = config.max_message_kib() > 0 ? config.max_message_kib()
                : Integer.parseInt(prop(ctx, "besip.netconf.max-message-kib", String.valueOf(defaultMaxMessageKib(Runtime.getRuntime().maxMemory()))));
        long idle = config.idle_timeout_s() > 0 ? config.idle_timeout_s()
                : Long.parseLong(prop(ctx, "besip.netconf.idle-timeout-s", "600"));
        CoreModuleProperties.IDLE_TIMEOUT.set(sshd, Duration.ofSeconds(idle));
        // request/reply traffic: send each reply at once rather than wait for the previous ACK
        CoreModuleProperties.TCP_NODELAY.set(sshd, true);
        CoreModuleProperties.MAX_AUTH_REQUESTS.set(sshd, 6);
        sshd.setSubsystemFactories(List.of(new NetconfSubsystem(server, server::capabilities, maxKib * 1024)));
        if (port > 0 && port < 1024) {
            // a port below 1024 needs the capability when the box is not root: say so rather than a bare "permission denied"
            org.besip.core.api.system.Capability.NET_BIND_SERVICE.require("NETCONF on port " + port, LOG);
        }
        sshd.start();
        LOG.info("NETCONF over SSH on {}:{}", host, sshd.getPort());
    }

    @Deactivate
    void deactivate() throws IOException {
        if (configPage != null) {
            try {
                configPage.unregister();
            } catch (IllegalStateException e) {
                // the bundle is stopping: the framework has taken it away already
            }
            configPage = null;
        }
        if (sshd != null) {
            sshd.stop(true);
        }
        if (server != null) {
            server.sessions().forEach(s -> s.terminate());
            server.shutdown();
        }
        if (registry != null) {
            registry.close();
        }
    }

    @Override
    public List<ConfigEditor.Commit> commits() {
        NetconfServer s = server;
        return s == null ? List.of() : s.commits().stream()
                .map(c -> new ConfigEditor.Commit(c.id(), c.timeMs(), c.user(), c.modules(), c.note())).toList();
    }

    @Override
    public void rollback(long id, String user) throws ConfigRejectedException {
        NetconfServer s = server;
        if (s == null) {
            throw new ConfigRejectedException(null, "the NETCONF server is not running");
        }
        try {
            s.rollback(id, user);
        } catch (org.besip.netconf.internal.protocol.RpcError e) {
            throw new ConfigRejectedException(e.path(), e.getMessage());
        } catch (org.besip.netconf.internal.ops.RpcErrors e) {
            var first = e.errors().get(0);
            throw new ConfigRejectedException(first.path(), first.getMessage());
        }
    }

    @Override
    public void merge(String config) throws ConfigRejectedException {
        NetconfServer s = server;
        if (s == null) {
            throw new ConfigRejectedException(null, "the NETCONF server is not running");
        }
        try {
            org.w3c.dom.Element root = org.besip.netconf.internal.yang.DataTrees.builder()
                    .parse(new java.io.ByteArrayInputStream(("<config xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\">" + config
                            + "</config>").getBytes(java.nio.charset.StandardCharsets.UTF_8))).getDocumentElement();
            s.mergeIntoRunning(root);
        } catch (org.besip.netconf.internal.protocol.RpcError e) {
            throw new ConfigRejectedException(e.path(), e.getMessage());
        } catch (org.besip.netconf.internal.ops.RpcErrors e) {
            var first = e.errors().get(0);
            throw new ConfigRejectedException(first.path(), first.getMessage());
        } catch (org.xml.sax.SAXException | IOException e) {
            throw new ConfigRejectedException(null, "not well-formed XML: " + e.getMessage());
        }
    }

    /** Every besip event becomes a besip-system:event notification (RFC 5277). */
    @Override
    public void handleEvent(Event event) {
        NetconfServer s = server;
        if (s == null) {
            return;
        }
        if (org.besip.core.api.event.Topics.MODULE_REMOVED.equals(event.getTopic())) {
            // removed on the Modules page or its JSON API: the configuration forgets it too
            s.forgetModule(String.valueOf(event.getProperty(org.besip.core.api.event.Topics.PROP_MODULE)));
        }
        if (!s.hasSubscribers()) {
            return; // every registration is an event: no DOM for it when nobody listens (seen in a JFR profile of REGISTER load)
        }
        org.w3c.dom.Document d = org.besip.netconf.internal.yang.DataTrees.newDocument();
        String ns = "urn:besip:params:xml:ns:yang:besip-system";
        org.w3c.dom.Element e = d.createElementNS(ns, "event");
        d.appendChild(e);
        org.w3c.dom.Element topic = d.createElementNS(ns, "topic");
        topic.setTextContent(event.getTopic());
        e.appendChild(topic);
        for (String name : event.getPropertyNames()) {
            if (name.equals(EventConstants.EVENT_TOPIC)) {
                continue;
            }
            org.w3c.dom.Element p = d.createElementNS(ns, "property");
            org.w3c.dom.Element n = d.createElementNS(ns, "name");
            n.setTextContent(name);
            org.w3c.dom.Element v = d.createElementNS(ns, "value");
            v.setTextContent(String.valueOf(event.getProperty(name)));
            p.appendChild(n);
            p.appendChild(v);
            e.appendChild(p);
        }
        s.notify(e);
    }

    private void failed(String user, ServerSession session) {
        String source = NetconfSubsystem.address(session.getClientAddress());
        LOG.warn("NETCONF login failed for '{}' from {}", user, source);
        EventAdmin ea = events;
        if (ea != null) {
            ea.postEvent(new Event(Topics.NETCONF_AUTH_FAILED, Map.of(Topics.PROP_SOURCE, source, "user", user)));
        }
    }

    private static String prop(BundleContext ctx, String key, String fallback) {
        String v = ctx.getProperty(key);
        return v == null || v.isBlank() ? fallback : v;
    }
}
