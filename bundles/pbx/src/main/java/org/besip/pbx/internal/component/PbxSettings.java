package org.besip.pbx.internal.component;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.besip.core.api.config.ConfigRejectedException;
import org.besip.core.api.config.ConfigTree;
import org.besip.pbx.internal.auth.DigestAuthenticator.Secret;
import org.besip.pbx.internal.auth.PasswordPolicy;
import org.besip.pbx.internal.call.Prepaid;
import org.besip.pbx.internal.media.MediaAnchor;
import org.besip.pbx.internal.media.Recordings;
import org.besip.pbx.internal.proxy.B2bua;
import org.besip.pbx.internal.proxy.DialPlan;
import org.besip.pbx.internal.proxy.DnsJava;
import org.besip.pbx.internal.proxy.Proxy;
import org.besip.pbx.internal.proxy.TrunkRegistration;
import org.besip.pbx.internal.proxy.TrunkResolver;
import org.w3c.dom.Element;

/**
 * The besip-pbx configuration as the module runs it: read from the validated YANG subtree (every
 * default is the schema's, filled in before prepare), checked where the schema cannot (weak
 * passwords, routes to unknown trunks, address literals, the media range), and what follows
 * from it (the dial plan with the trunks' addresses, the trunk registrations). Pure: no sockets,
 * no OSGi.
 */
final class PbxSettings {

    static final String NS = "urn:besip:params:xml:ns:yang:besip-pbx";

    private PbxSettings() {
    }

    /**
     * The challenge offered when none is configured: MD5 alone. RFC 8760 would add SHA-256, but
     * the phones in the wild give up on it: Debian's baresip 1.0 (libre 1.1) stops at the first
     * WWW-Authenticate that is not MD5, in any order ("Function not implemented"), sipp knows MD5
     * only. SHA-256 is configured by listing it (docs/pbx.md).
     */
    static final List<String> DEFAULT_ALGORITHMS = List.of("MD5");
    private static final PasswordPolicy PASSWORDS = PasswordPolicy.shipped();

    /** What a configuration asks for. */
    record Settings(List<InetSocketAddress> listen, String realm, List<String> algorithms, int nonceLifetimeS,
            Map<String, Secret> users, List<RouteSpec> routes, Prepaid.Policy policy, List<AccountSpec> accounts,
            Proxy.Policy routing, int keepaliveS, long firstMessageMs, List<TrunkResolver.Spec> trunks, List<InetSocketAddress> dns,
            Media media, B2bua.Settings b2bua, Recordings.Retention retention) {
    }

    /** The media relay as configured. */
    record Media(MediaAnchor.Policy policy, int minPort, int maxPort, long timeoutMs, byte[] music) {
        /** The same range and timeout, another policy (a B2BUA relays every call: SDP addresses are topology too). */
        Media relaying(MediaAnchor.Policy p) {
            return new Media(p, minPort, maxPort, timeoutMs, music);
        }
    }

    /** A dial-plan route as configured: trunks by name, whose addresses the resolver knows. */
    record RouteSpec(String prefix, String trunk, int strip, String prepend, List<String> fallbacks, boolean record) {
        RouteSpec(String prefix, String trunk, int strip, String prepend, List<String> fallbacks) {
            this(prefix, trunk, strip, prepend, fallbacks, false);
        }

    }

    /** A trunk's registration with its provider as configured. */
    record AccountSpec(String trunk, String user, String password, String domain, int expiresS) {
    }

    /**
     * The dial plan with the trunks' addresses: a route goes to its trunk's first address, then to
     * the trunk's other addresses (SRV targets in order), then to each fallback trunk's. A trunk
     * whose name is not resolved yet is skipped; a route none of whose trunks is resolved keeps its
     * trunk without an address (503 until it is).
     */
    static DialPlan plan(List<RouteSpec> routes, Map<String, List<InetSocketAddress>> resolved) {
        List<DialPlan.Route> out = new ArrayList<>();
        for (RouteSpec r : routes) {
            List<DialPlan.Trunk> chain = new ArrayList<>();
            List<String> names = new ArrayList<>();
            names.add(r.trunk());
            names.addAll(r.fallbacks());
            for (String n : names) {
                for (InetSocketAddress a : resolved.getOrDefault(n, List.of())) {
                    chain.add(new DialPlan.Trunk(n, a));
                }
            }
            DialPlan.Trunk first = chain.isEmpty() ? new DialPlan.Trunk(r.trunk(), null) : chain.remove(0);
            out.add(new DialPlan.Route(r.prefix(), first, r.strip(), r.prepend(), List.copyOf(chain)));
        }
        return new DialPlan(out);
    }

    /** Every address a trunk is known at, for the routing policy (whose requests come from a trunk). */
    static Map<InetSocketAddress, String> peers(Map<String, List<InetSocketAddress>> resolved) {
        Map<InetSocketAddress, String> out = new HashMap<>();
        resolved.forEach((t, list) -> list.forEach(a -> out.put(a, t)));
        return out;
    }

    /**
     * What {@code config} (a {@code <data>} with defaults filled in) asks for, or why it cannot
     * be run; {@code defaultListen} where SIP listens when no listen address is configured.
     */
    static Settings read(Element config, InetSocketAddress defaultListen) throws ConfigRejectedException {
        Element pbx = TREE.child(config, "pbx");
        List<InetSocketAddress> listen = new ArrayList<>();
        if (pbx == null) {
            throw new IllegalArgumentException("no pbx container: the schema's defaults were not filled in");
        }
        // every default below is the YANG module's (besip-pbx.yang), filled in before prepare: none is repeated here
        Element auth = TREE.child(pbx, "authentication");
        String realm = TREE.required(auth, "realm");
        int lifetime = TREE.integer(auth, "nonce-lifetime");
        List<String> algorithms = new ArrayList<>();
        Map<String, Secret> users = new HashMap<>();
        List<RouteSpec> routes = new ArrayList<>();
        List<AccountSpec> accounts = new ArrayList<>();
        List<TrunkResolver.Spec> trunkSpecs = new ArrayList<>();
        List<InetSocketAddress> dnsServers = new ArrayList<>();
        Map<String, String> displayNames = new HashMap<>();
        Map<String, Proxy.Identity> identities = new HashMap<>();
        List<Prepaid.Tariff> tariffs = new ArrayList<>();
        java.util.Set<String> prepaidUsers = new java.util.HashSet<>();
        Map<String, Double> userMax = new HashMap<>();
        Map<String, Double> trunkMax = new HashMap<>();
        Double globalMax = null;
        Map<java.net.InetAddress, String> trunkHosts = new HashMap<>();
        Map<String, String> extensions = new HashMap<>();
        boolean openToUsers = TREE.bool(TREE.child(pbx, "routing"), "unauthenticated-calls-to-users");
        int keepaliveS = TREE.integer(TREE.child(pbx, "nat"), "keepalive-interval");
        long firstMessageMs = TREE.number(TREE.child(pbx, "tcp"), "first-message-timeout") * 1000;
        long grantMs = TREE.number(TREE.child(pbx, "prepaid"), "grant") * 1000;
        boolean untariffed = TREE.bool(TREE.child(pbx, "prepaid"), "untariffed-calls-allowed");
        Map<String, Proxy.Credentials> trunkAccounts = new HashMap<>();
        Map<String, String> dids = new HashMap<>();
        String inboundDefault = null;
        B2bua.Settings b2buaSettings = null;
        java.util.Set<String> recordedUsers = new java.util.HashSet<>();
        Element rec = TREE.child(pbx, "recording");
        Recordings.Retention retention = new Recordings.Retention(TREE.number(rec, "max-age") * 86_400_000L,
                TREE.number(rec, "max-total") * 1024 * 1024);
        Media media;
        {
            if ("b2bua".equals(TREE.text(pbx, "mode"))) {
                Element b = TREE.child(pbx, "b2bua");
                b2buaSettings = new B2bua.Settings(TREE.integer(b, "session-expires"), TREE.number(b, "max-duration") * 1000,
                        TREE.required(b, "pickup-code"));
            }
            Element m = TREE.child(pbx, "media");
            {
                int min = TREE.integer(m, "port-min");
                int max = TREE.integer(m, "port-max");
                if (min < 1024 || max - min + 1 < 4) {
                    throw new ConfigRejectedException("/pbx:pbx/pbx:media", "the media port range must start at 1024 or above and hold at least"
                            + " 4 ports (one call), not " + min + ".." + max);
                }
                long timeout = TREE.number(m, "timeout") * 1000;
                byte[] music = null;
                if (TREE.text(m, "music-on-hold") != null) {
                    try {
                        music = org.besip.pbx.internal.media.MusicOnHold.load(java.nio.file.Path.of(TREE.text(m, "music-on-hold")));
                    } catch (IOException | RuntimeException e) {
                        throw new ConfigRejectedException("/pbx:pbx/pbx:media/pbx:music-on-hold", "music on hold: " + e.getMessage());
                    }
                }
                media = new Media(MediaAnchor.Policy.of(TREE.text(m, "relay")), min, max, timeout, music);
            }
            Element inbound = TREE.child(pbx, "inbound");
            if (inbound != null) {
                for (Element d : TREE.children(inbound, "did")) {
                    dids.put(TREE.text(d, "number"), TREE.text(d, "user").toLowerCase(java.util.Locale.ROOT));
                }
                inboundDefault = TREE.text(inbound, "default-user") == null ? null
                        : TREE.text(inbound, "default-user").toLowerCase(java.util.Locale.ROOT);
            }
            for (Element t : TREE.children(pbx, "tariff")) {
                String prefix = TREE.text(t, "prefix");
                tariffs.add(new Prepaid.Tariff(prefix == null ? "" : prefix, Double.parseDouble(TREE.text(t, "price-per-minute"))));
            }
            globalMax = decimal(TREE.text(pbx, "max-price-per-minute"));
            for (Element l : TREE.children(pbx, "listen")) {
                listen.add(new InetSocketAddress(TREE.text(l, "address"), Integer.parseInt(TREE.text(l, "port"))));
            }
            for (Element a : TREE.children(auth, "algorithm")) {
                algorithms.add(a.getTextContent().trim());
            }
            Element dns = TREE.child(pbx, "dns");
            for (Element d : dns == null ? List.<Element>of() : TREE.children(dns, "server")) {
                InetSocketAddress server = DnsJava.server(d.getTextContent());
                if (server == null) {
                    throw new ConfigRejectedException("/pbx:pbx/pbx:dns/pbx:server", "not an address, address:port or [IPv6]:port: "
                            + d.getTextContent().trim());
                }
                dnsServers.add(server);
            }
            java.util.Set<String> trunks = new java.util.HashSet<>();
            for (Element t : TREE.children(pbx, "trunk")) {
                String name = TREE.text(t, "name");
                String port = TREE.text(t, "port");
                String host = TREE.text(t, "host").trim();
                trunks.add(name);
                if (TREE.text(t, "max-price-per-minute") != null) {
                    trunkMax.put(name, decimal(TREE.text(t, "max-price-per-minute")));
                }
                if (TrunkResolver.isLiteral(host) && TrunkResolver.literalAddress(host) == null) {
                    throw new ConfigRejectedException("/pbx:pbx/pbx:trunk[pbx:name='" + name + "']/pbx:host", "not an IP address: " + host);
                }
                trunkSpecs.add(new TrunkResolver.Spec(name, host, port == null ? null : Integer.valueOf(port)));
                for (Element a : TREE.children(t, "source-address")) {
                    java.net.InetAddress src = TrunkResolver.literalAddress(a.getTextContent().trim());
                    if (src == null) {
                        throw new ConfigRejectedException("/pbx:pbx/pbx:trunk[pbx:name='" + name + "']/pbx:source-address",
                                "not an IP address: " + a.getTextContent().trim());
                    }
                    trunkHosts.put(src, name);
                }
                Element reg = TREE.child(t, "registration");
                String domain = host;
                String account = null;
                if (reg != null) {
                    domain = TREE.text(reg, "domain") == null ? host : TREE.text(reg, "domain");
                    account = TREE.text(reg, "username");
                    trunkAccounts.put(name, new Proxy.Credentials(TREE.text(reg, "username"), TREE.text(reg, "password")));
                    accounts.add(new AccountSpec(name, TREE.text(reg, "username"), TREE.text(reg, "password"), domain,
                            TREE.integer(reg, "expires")));
                }
                String callerId = TREE.text(t, "caller-id");
                identities.put(name, new Proxy.Identity(callerId != null ? callerId.trim() : account, domain));
            }
            Element plan = TREE.child(pbx, "dial-plan");
            if (plan != null) {
                for (Element r : TREE.children(plan, "route")) {
                    String trunk = TREE.text(r, "trunk");
                    if (!trunks.contains(trunk)) {
                        throw new ConfigRejectedException("/pbx:pbx/pbx:dial-plan/pbx:route", "no trunk " + TREE.text(r, "trunk"));
                    }
                    String prefix = TREE.text(r, "prefix");
                    if (prefix != null && !DialPlan.valid(prefix)) {
                        throw new ConfigRejectedException("/pbx:pbx/pbx:dial-plan/pbx:route[pbx:prefix='" + prefix + "']",
                                "not a prefix or a dial pattern (_ then digits, X, Z, N, [1-5], . or !): " + prefix);
                    }
                    List<String> fallbacks = new ArrayList<>();
                    for (Element f : TREE.children(r, "fallback")) {
                        String ft = f.getTextContent().trim();
                        if (!trunks.contains(ft)) {
                            throw new ConfigRejectedException("/pbx:pbx/pbx:dial-plan/pbx:route/pbx:fallback", "no trunk " + ft);
                        }
                        fallbacks.add(ft);
                    }
                    routes.add(new RouteSpec(prefix == null ? "" : prefix, trunk, TREE.integer(r, "strip"), TREE.text(r, "prepend"),
                            List.copyOf(fallbacks), TREE.bool(r, "record")));
                }
            }
            for (Element u : TREE.children(pbx, "user")) {
                if (!TREE.bool(u, "enabled")) {
                    continue;
                }
                String name = TREE.text(u, "name").toLowerCase(java.util.Locale.ROOT);
                if (TREE.bool(u, "prepaid")) {
                    prepaidUsers.add(name);
                }
                if (TREE.bool(u, "record")) {
                    recordedUsers.add(name);
                }
                if (TREE.text(u, "max-price-per-minute") != null) {
                    userMax.put(name, decimal(TREE.text(u, "max-price-per-minute")));
                }
                if (TREE.text(u, "extension") != null) {
                    extensions.put(TREE.text(u, "extension"), name);
                }
                String ha1 = TREE.text(u, "ha1");
                String password = TREE.text(u, "password");
                if (password != null) {
                    String weakness = PASSWORDS.weakness(name, TREE.text(u, "extension"), password);
                    if (weakness != null) {
                        throw new ConfigRejectedException("/pbx:pbx/pbx:user[pbx:name='" + TREE.text(u, "name") + "']/pbx:password",
                                "user " + TREE.text(u, "name") + ": the password " + weakness + " (at least " + PasswordPolicy.MIN_LENGTH
                                        + " characters, not the name or extension, not only digits, not a common password; or give ha1)");
                    }
                }
                String display = TREE.text(u, "display-name");
                if (display != null && !display.isBlank()) {
                    displayNames.put(name, display.trim());
                }
                List<String> own = new ArrayList<>();
                for (Element a : TREE.children(u, "algorithm")) {
                    own.add(a.getTextContent().trim());
                }
                if (password == null && own.contains("SHA-256")) {
                    throw new ConfigRejectedException("/pbx:pbx/pbx:user[pbx:name='" + TREE.text(u, "name") + "']/pbx:algorithm",
                            "user " + TREE.text(u, "name") + ": an ha1 answers MD5 only; give the password to offer SHA-256");
                }
                users.put(TREE.text(u, "name").toLowerCase(java.util.Locale.ROOT),
                        new Secret(TREE.text(u, "password"), ha1 == null ? Map.of() : Map.of("MD5", ha1), List.copyOf(own)));
            }
        }
        if (listen.isEmpty()) {
            listen.add(defaultListen);
        }
        return new Settings(listen, realm, algorithms.isEmpty() ? DEFAULT_ALGORITHMS : algorithms, lifetime, users,
                List.copyOf(routes), new Prepaid.Policy(tariffs, prepaidUsers, globalMax, userMax, trunkMax, grantMs, untariffed),
                List.copyOf(accounts), new Proxy.Policy(Map.of(), Map.copyOf(trunkHosts), Map.copyOf(extensions), openToUsers,
                        Map.copyOf(trunkAccounts), Map.copyOf(dids), inboundDefault).presenting(Map.copyOf(displayNames), Map.copyOf(identities))
                        .recording(java.util.Set.copyOf(recordedUsers), routes.stream().filter(RouteSpec::record).map(RouteSpec::prefix)
                                .collect(java.util.stream.Collectors.toUnmodifiableSet())),
                keepaliveS, firstMessageMs, List.copyOf(trunkSpecs), List.copyOf(dnsServers),
                b2buaSettings != null && media.policy() == MediaAnchor.Policy.NAT_ONLY ? media.relaying(MediaAnchor.Policy.ALWAYS) : media,
                b2buaSettings, retention);
    }

    /** The registrations to keep with providers: each at its trunk's first address, once that is known. */
    static List<TrunkRegistration.Account> accounts(List<AccountSpec> specs, Map<String, List<InetSocketAddress>> resolved) {
        List<TrunkRegistration.Account> out = new ArrayList<>();
        for (AccountSpec a : specs) {
            List<InetSocketAddress> at = resolved.getOrDefault(a.trunk(), List.of());
            if (!at.isEmpty()) {
                out.add(new TrunkRegistration.Account(a.trunk(), at.get(0), a.user(), a.password(), a.domain(), a.expiresS()));
            }
        }
        return out;
    }

    /** The address put in Via and Record-Route: the listen address, or for a wildcard the first non-loopback IPv4. */
    static String advertised(InetSocketAddress listen) {
        if (!listen.getAddress().isAnyLocalAddress()) {
            return listen.getAddress().getHostAddress();
        }
        try {
            for (java.net.NetworkInterface n : java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces())) {
                if (n.isUp() && !n.isLoopback()) {
                    for (java.net.InetAddress a : java.util.Collections.list(n.getInetAddresses())) {
                        if (a instanceof java.net.Inet4Address) {
                            return a.getHostAddress();
                        }
                    }
                }
            }
        } catch (java.net.SocketException e) {
            // fall through
        }
        return "127.0.0.1";
    }

    private static Double decimal(String v) {
        return v == null || v.isBlank() ? null : Double.valueOf(v.trim());
    }

    private static final ConfigTree TREE = new ConfigTree(NS);
}
