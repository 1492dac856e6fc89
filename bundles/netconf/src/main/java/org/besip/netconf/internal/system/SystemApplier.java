package org.besip.netconf.internal.system;

import java.io.IOException;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.besip.core.api.config.ConfigApplier;
import org.besip.core.api.config.ConfigRejectedException;
import org.besip.core.api.module.ModuleException;
import org.besip.core.api.module.ModuleInfo;
import org.besip.core.api.module.ModuleManager;
import org.besip.core.api.module.ModuleState;
import org.besip.core.api.storage.DataStores;
import org.besip.netconf.internal.yang.DataTrees;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.w3c.dom.Element;

/**
 * besip-system configuration made real: module enablement through the module manager,
 * administrators and their SSH keys for the NETCONF door, the NETCONF and Web Console ports through
 * ConfigAdmin (applied a moment after the commit's reply, as
 * the listener of the session that asked restarts), the host name recorded for the OS backend,
 * and the modules' store (SQLite or a shared PostgreSQL, tried when the commit is validated) through
 * ConfigAdmin to core's data stores.
 */
@Component(service = ConfigApplier.class, property = ConfigApplier.YANG_MODULE + "=besip-system")
public class SystemApplier implements ConfigApplier {

    static final String SYS = "urn:besip:params:xml:ns:yang:besip-system";
    private static final Logger LOG = LoggerFactory.getLogger(SystemApplier.class);

    @Reference
    private ModuleManager modules;

    @Reference
    private NetconfUsers users;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile ConfigurationAdmin configAdmin;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile DataStores stores;

    /** ConfigAdmin's pid of core's data stores. */
    static final String STORAGE_PID = "org.besip.core.storage";
    /** The PostgreSQL settings passed to core, besides {@code backend}: the leaves of storage/postgresql. */
    private static final String[] STORAGE_KEYS = { "url", "user", "password", "pool-size" };

    private final Map<Long, Plan> prepared = new ConcurrentHashMap<>();
    private final ScheduledExecutorService later = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "besip-system-apply");
        t.setDaemon(true);
        return t;
    });

    /** What a transaction will do once applied. */
    record Plan(Map<String, Boolean> enable, Integer netconfPort, Integer httpPort, String hostname,
            Map<String, NetconfUsers.User> users, Map<String, String> storage, String netconfAddress, String httpAddress) {
    }

    @Deactivate
    void deactivate() {
        later.shutdown();
    }

    @Override
    public void prepare(long tx, Element config) throws ConfigRejectedException {
        Element system = DataTrees.child(config, SYS, "system");
        Map<String, Boolean> enable = new LinkedHashMap<>();
        Integer netconfPort = null;
        Integer httpPort = null;
        String netconfAddress = null;
        String httpAddress = null;
        String hostname = null;
        Map<String, NetconfUsers.User> configuredUsers = new LinkedHashMap<>();
        Map<String, String> storage = storage(system == null ? null : DataTrees.child(system, SYS, "storage"));
        if (!storage.equals(current(STORAGE_PID))) {
            DataStores s = stores;
            String problem = s == null ? "the box's data stores are not running" : s.check(storage);
            if (problem != null) {
                throw new ConfigRejectedException("/besip-system:system/storage", problem);
            }
        }
        if (system != null) {
            Element auth = DataTrees.child(system, SYS, "authentication");
            if (auth != null) {
                for (Element u : DataTrees.children(auth)) {
                    String name = text(u, "name");
                    java.util.List<java.security.PublicKey> keys = new java.util.ArrayList<>();
                    for (Element k : DataTrees.children(u)) {
                        if (!"authorized-key".equals(k.getLocalName())) {
                            continue;
                        }
                        try {
                            keys.add(NetconfUsers.parseKey(text(k, "algorithm"), text(k, "key-data")));
                        } catch (Exception e) {
                            throw new ConfigRejectedException("/besip-system:system/authentication/user[name='" + name
                                    + "']/authorized-key[name='" + text(k, "name") + "']/key-data",
                                    "not a valid " + text(k, "algorithm") + " public key: " + e.getMessage());
                        }
                    }
                    configuredUsers.put(name, new NetconfUsers.User(text(u, "password-hash"), keys));
                }
            }
            hostname = text(system, "hostname");
            netconfPort = port(DataTrees.child(system, SYS, "netconf"));
            httpPort = port(DataTrees.child(system, SYS, "http"));
            netconfAddress = address(DataTrees.child(system, SYS, "netconf"), "netconf");
            httpAddress = address(DataTrees.child(system, SYS, "http"), "http");
            Element list = DataTrees.child(system, SYS, "modules");
            if (list != null) {
                for (Element m : DataTrees.children(list)) {
                    String name = text(m, "name");
                    ModuleInfo info = modules.get(name).orElse(null);
                    String path = "/besip-system:system/modules/module[name='" + name + "']";
                    if (info == null) {
                        throw new ConfigRejectedException(path, "there is no module '" + name + "' on this box");
                    }
                    boolean on = !"false".equals(text(m, "enabled"));
                    if (info.required() && !on) {
                        throw new ConfigRejectedException(path, "module '" + name + "' is part of the base system and cannot be disabled");
                    }
                    if (info.state() == ModuleState.AVAILABLE) {
                        throw new ConfigRejectedException(path, "module '" + name + "' is not installed; install it first");
                    }
                    if (!info.required()) {
                        enable.put(name, on);
                    }
                }
            }
        }
        prepared.put(tx, new Plan(enable, netconfPort, httpPort, hostname, configuredUsers, storage, netconfAddress, httpAddress));
    }

    @Override
    public void apply(long tx) {
        Plan plan = prepared.remove(tx);
        if (plan == null) {
            return;
        }
        for (var e : plan.enable.entrySet()) {
            try {
                ModuleInfo info = modules.get(e.getKey()).orElseThrow();
                boolean running = info.state() == ModuleState.ENABLED || info.state() == ModuleState.FAILED;
                if (e.getValue() && !running) {
                    modules.enable(e.getKey());
                } else if (!e.getValue() && running) {
                    modules.disable(e.getKey());
                }
            } catch (ModuleException | RuntimeException ex) {
                LOG.error("module {}: {}", e.getKey(), ex.getMessage());
            }
        }
        if (plan.hostname != null) {
            LOG.info("host name is {}", plan.hostname);
        }
        users.replace(plan.users);
        storage(plan.storage);
        // ports move after the reply has gone out on the old ones
        later.schedule(() -> {
            move("org.besip.netconf", settings("port", plan.netconfPort, "host", plan.netconfAddress));
            move("org.apache.felix.http", settings("org.osgi.service.http.port", plan.httpPort, "org.apache.felix.http.host", plan.httpAddress));
        }, 1, TimeUnit.SECONDS);
    }

    @Override
    public void abort(long tx) {
        prepared.remove(tx);
    }

    /**
     * Moves a door to the ports and addresses configured (a value the configuration leaves out is
     * the one the box was started with, unless an earlier commit set it); one update, so the
     * listener restarts once.
     */
    private void move(String pid, Map<String, Object> wanted) {
        ConfigurationAdmin cm = configAdmin;
        if (cm == null) {
            return;
        }
        try {
            Configuration c = cm.getConfiguration(pid, "?");
            Dictionary<String, Object> props = c.getProperties() == null ? new Hashtable<>() : c.getProperties();
            boolean changed = false;
            for (var e : wanted.entrySet()) {
                if (e.getValue() != null && !e.getValue().equals(props.get(e.getKey()))) {
                    props.put(e.getKey(), e.getValue());
                    changed = true;
                }
            }
            if (changed) {
                c.update(props);
                LOG.info("{} moves to {}", pid, wanted.values().stream().filter(java.util.Objects::nonNull).toList());
            }
        } catch (IOException e) {
            LOG.error("cannot move {} to {}: {}", pid, wanted, e.getMessage());
        }
    }

    /** Keys and values, nulls kept (a value not configured). */
    private static Map<String, Object> settings(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    /** The door's configured address, refused when no interface of the box has it (the door would be lost). */
    private static String address(Element door, String name) throws ConfigRejectedException {
        String a = door == null ? null : text(door, "address");
        if (a == null) {
            return null;
        }
        String problem = notOurs(a);
        if (problem != null) {
            throw new ConfigRejectedException("/besip-system:system/" + name + "/address", problem);
        }
        return a;
    }

    /** Null when the box can listen on {@code address}; else why not. */
    static String notOurs(String address) {
        try {
            java.net.InetAddress ip = java.net.InetAddress.getByName(address); // a literal: no lookup
            if (ip.isAnyLocalAddress() || ip.isLoopbackAddress() || java.net.NetworkInterface.getByInetAddress(ip) != null) {
                return null;
            }
            return "no interface of this box has the address " + address + ": the door would be unreachable";
        } catch (java.io.IOException e) {
            return "'" + address + "' is not an address this box can listen on: " + e.getMessage();
        }
    }

    /** The storage settings as core's data stores take them; backend sqlite alone is the default. */
    static Map<String, String> storage(Element storage) {
        Map<String, String> out = new LinkedHashMap<>();
        String backend = storage == null ? null : text(storage, "backend");
        out.put("backend", backend == null ? "sqlite" : backend);
        Element pg = storage == null ? null : DataTrees.child(storage, SYS, "postgresql");
        if ("postgresql".equals(backend) && pg != null) {
            for (String k : STORAGE_KEYS) {
                String v = text(pg, k);
                if (v != null) {
                    out.put(k, v);
                }
            }
        }
        return out;
    }

    /** What ConfigAdmin holds for {@code pid}, as strings ({@code backend=sqlite} when nothing). */
    private Map<String, String> current(String pid) {
        Map<String, String> out = new LinkedHashMap<>();
        out.put("backend", "sqlite");
        ConfigurationAdmin cm = configAdmin;
        if (cm == null) {
            return out;
        }
        try {
            Configuration[] found = cm.listConfigurations("(service.pid=" + pid + ")");
            Dictionary<String, Object> props = found == null || found.length == 0 ? null : found[0].getProperties();
            if (props != null) {
                out.put("backend", String.valueOf(props.get("backend") == null ? "sqlite" : props.get("backend")));
                for (String k : STORAGE_KEYS) {
                    Object v = props.get(k);
                    if (v != null) {
                        out.put(k, v.toString());
                    }
                }
            }
        } catch (IOException | org.osgi.framework.InvalidSyntaxException e) {
            LOG.warn("cannot read the configuration {}: {}", pid, e.getMessage());
        }
        return out;
    }

    /** Hands the store's settings to core when they changed; the modules that keep data start again on it. */
    private void storage(Map<String, String> wanted) {
        ConfigurationAdmin cm = configAdmin;
        if (cm == null || wanted.equals(current(STORAGE_PID))) {
            return;
        }
        try {
            Configuration c = cm.getConfiguration(STORAGE_PID, "?");
            c.update(new Hashtable<>(wanted));
            LOG.info("the modules' store is now {}{}", wanted.get("backend"),
                    wanted.containsKey("url") ? " at " + wanted.get("url") + " as " + wanted.get("user") : "");
        } catch (IOException e) {
            LOG.error("cannot change the modules' store: {}", e.getMessage());
        }
    }

    private static Integer port(Element container) {
        String p = container == null ? null : text(container, "port");
        return p == null ? null : Integer.valueOf(p);
    }

    private static String text(Element e, String name) {
        Element c = DataTrees.child(e, SYS, name);
        return c == null ? null : c.getTextContent().trim();
    }
}
