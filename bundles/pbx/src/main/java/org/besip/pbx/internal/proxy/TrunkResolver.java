package org.besip.pbx.internal.proxy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a trunk whose host is a DNS name is (RFC 3263 §4, over UDP; NAPTR is optional there and
 * not asked): with a port, the name's A and AAAA records at that port; without one, the SRV
 * records of {@code _sip._udp.<host>}, lowest priority first, each target's addresses, and when the
 * name has no SRV records, its A and AAAA at 5060. An IP literal is used as it is.
 * <p>
 * Lookups run on the resolver's own thread, never on the SIP threads or the module's timer thread.
 * Each answer is kept for the smallest TTL of the records it came from (at least
 * {@value #MIN_TTL_S} s, at most {@value #MAX_TTL_S} s) and asked again when that runs out. A lookup
 * that fails keeps the addresses known before (a DNS outage does not stop calls) and is tried again
 * after {@value #RETRY_S} s; a call through the trunk that fails (408, 503) asks again at once, at
 * most every {@value #MIN_TTL_S} s. Each change of a trunk's addresses goes to the listener, with
 * the addresses of every trunk.
 */
public final class TrunkResolver implements AutoCloseable {

    static final long MIN_TTL_S = 5;
    static final long MAX_TTL_S = 3600;
    static final long RETRY_S = 10;
    static final int DEFAULT_PORT = 5060;
    private static final Logger LOG = LoggerFactory.getLogger(TrunkResolver.class);

    /** The DNS questions the resolver asks; names are absolute (no search list). */
    public interface Dns {
        /** The SRV records of {@code name}, empty when it has none. */
        List<Srv> srv(String name) throws IOException;

        /** The A and AAAA records of {@code name}, empty when it has none. */
        List<Address> addresses(String name) throws IOException;
    }

    public record Srv(int priority, int weight, int port, String target, long ttlS) {
    }

    public record Address(InetAddress address, long ttlS) {
    }

    /** What a host resolved to, in the order to try, and for how long that holds. */
    public record Resolution(List<InetSocketAddress> addresses, long ttlS) {
    }

    /** A trunk as configured: its host (a name or an IP literal) and its port, or null for none. */
    public record Spec(String trunk, String host, Integer port) {
        /** Whether {@code host} is an IP literal (no DNS). */
        public boolean literal() {
            return isLiteral(host);
        }
    }

    /** Whether {@code host} is written as an IPv4 or IPv6 literal (valid or not: such a host is never looked up). */
    public static boolean isLiteral(String host) {
        return host.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}") || host.contains(":");
    }

    /** The address an IPv4 or IPv6 literal names, or null when it is none; never a name lookup. */
    public static InetAddress literalAddress(String host) {
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        try {
            if (h.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}")) {
                String[] p = h.split("\\.");
                byte[] b = new byte[4];
                for (int i = 0; i < 4; i++) {
                    int v = Integer.parseInt(p[i]);
                    if (v > 255) {
                        return null;
                    }
                    b[i] = (byte) v;
                }
                return InetAddress.getByAddress(b);
            }
            return h.contains(":") && h.matches("[0-9a-fA-F:.]+") ? InetAddress.getByName(h) : null; // with ':' Java parses, never looks up
        } catch (java.net.UnknownHostException e) {
            return null;
        }
    }

    /**
     * Resolves {@code host} as RFC 3263 says for UDP. SRV targets of one priority are ordered by
     * weight, heaviest first (RFC 2782's weighted choice made deterministic, so every box with the
     * same records tries the same server first); targets that share an address are listed once.
     */
    public static Resolution resolve(Dns dns, String host, Integer port) throws IOException {
        if (isLiteral(host)) {
            InetAddress a = literalAddress(host);
            if (a == null) {
                throw new IOException("not an IP address: " + host);
            }
            return new Resolution(List.of(new InetSocketAddress(a, port == null ? DEFAULT_PORT : port)), MAX_TTL_S);
        }
        String name = host.endsWith(".") ? host : host + ".";
        List<InetSocketAddress> out = new ArrayList<>();
        long ttl = MAX_TTL_S;
        if (port == null) {
            List<Srv> records = new ArrayList<>(dns.srv("_sip._udp." + name));
            records.removeIf(r -> r.target().equals(".") || r.target().isEmpty()); // "." : the service is not offered here
            records.sort(Comparator.comparingInt(Srv::priority).thenComparing(Comparator.comparingInt(Srv::weight).reversed()));
            for (Srv s : records) {
                ttl = Math.min(ttl, s.ttlS());
                String target = s.target().endsWith(".") ? s.target() : s.target() + ".";
                for (Address a : dns.addresses(target)) {
                    ttl = Math.min(ttl, a.ttlS());
                    InetSocketAddress sa = new InetSocketAddress(bare(a.address()), s.port());
                    if (!out.contains(sa)) {
                        out.add(sa);
                    }
                }
            }
            if (!records.isEmpty()) {
                return new Resolution(List.copyOf(out), clamp(ttl));
            }
        }
        for (Address a : dns.addresses(name)) {
            ttl = Math.min(ttl, a.ttlS());
            InetSocketAddress sa = new InetSocketAddress(bare(a.address()), port == null ? DEFAULT_PORT : port);
            if (!out.contains(sa)) {
                out.add(sa);
            }
        }
        return new Resolution(List.copyOf(out), clamp(ttl));
    }

    /** The address without the name it was found under (a Request-URI and the logs show the address). */
    private static InetAddress bare(InetAddress a) throws IOException {
        return InetAddress.getByAddress(a.getAddress());
    }

    static long clamp(long ttlS) {
        return Math.max(MIN_TTL_S, Math.min(MAX_TTL_S, ttlS));
    }

    private final Dns dns;
    private final ScheduledExecutorService thread;
    private final Consumer<Map<String, List<InetSocketAddress>>> listener;
    private final Map<String, Spec> specs = new HashMap<>();
    private final Map<String, List<InetSocketAddress>> known = new HashMap<>();
    private final Map<String, ScheduledFuture<?>> next = new HashMap<>();
    private final Map<String, Long> askedAtMs = new HashMap<>();
    private volatile boolean closed;

    /**
     * @param thread runs the lookups (one thread of the resolver's own)
     * @param listener gets the addresses of every trunk after each change, on {@code thread}
     */
    public TrunkResolver(Dns dns, ScheduledExecutorService thread, Consumer<Map<String, List<InetSocketAddress>>> listener) {
        this.dns = dns;
        this.thread = thread;
        this.listener = listener;
    }

    /**
     * The trunks to keep resolved (replacing those before): a trunk whose host and port are
     * unchanged keeps its addresses and its schedule; literals are known at once.
     */
    public synchronized Map<String, List<InetSocketAddress>> track(List<Spec> trunks) {
        Map<String, Spec> wanted = new HashMap<>();
        trunks.forEach(s -> wanted.put(s.trunk(), s));
        for (String t : new ArrayList<>(specs.keySet())) {
            if (!specs.get(t).equals(wanted.get(t))) {
                forget(t);
            }
        }
        for (Spec s : trunks) {
            if (specs.containsKey(s.trunk())) {
                continue;
            }
            specs.put(s.trunk(), s);
            if (s.literal()) {
                InetAddress a = literalAddress(s.host());
                known.put(s.trunk(), a == null ? List.of() : List.of(new InetSocketAddress(a, s.port() == null ? DEFAULT_PORT : s.port())));
            } else {
                known.put(s.trunk(), List.of());
                schedule(s.trunk(), 0);
            }
        }
        return Map.copyOf(known);
    }

    private void forget(String trunk) {
        specs.remove(trunk);
        known.remove(trunk);
        askedAtMs.remove(trunk);
        ScheduledFuture<?> f = next.remove(trunk);
        if (f != null) {
            f.cancel(false);
        }
    }

    /** The addresses known now for every tracked trunk (empty for a name not resolved yet). */
    public synchronized Map<String, List<InetSocketAddress>> known() {
        return Map.copyOf(known);
    }

    /** A call through {@code trunk} failed (no answer, 503): its name is asked again now, unless it was just asked. */
    public synchronized void failed(String trunk) {
        Spec s = specs.get(trunk);
        if (s == null || s.literal() || closed) {
            return;
        }
        Long asked = askedAtMs.get(trunk);
        long since = asked == null ? Long.MAX_VALUE : System.currentTimeMillis() - asked;
        schedule(trunk, Math.max(0, MIN_TTL_S * 1000 - since));
    }

    private void schedule(String trunk, long delayMs) {
        ScheduledFuture<?> f = next.remove(trunk);
        if (f != null) {
            f.cancel(false);
        }
        if (!closed) {
            next.put(trunk, thread.schedule(() -> lookup(trunk), delayMs, TimeUnit.MILLISECONDS));
        }
    }

    private void lookup(String trunk) {
        Spec s;
        synchronized (this) {
            s = specs.get(trunk);
            if (s == null || closed) {
                return;
            }
            askedAtMs.put(trunk, System.currentTimeMillis());
        }
        Resolution r;
        try {
            r = resolve(dns, s.host(), s.port());
        } catch (IOException | RuntimeException e) {
            LOG.warn("trunk {}: DNS lookup of {} failed ({}); keeping {}, asking again in {} s", trunk, s.host(), e.getMessage(),
                    known().getOrDefault(trunk, List.of()), RETRY_S);
            synchronized (this) {
                if (s.equals(specs.get(trunk))) {
                    schedule(trunk, RETRY_S * 1000);
                }
            }
            return;
        }
        Map<String, List<InetSocketAddress>> changed = null;
        synchronized (this) {
            if (!s.equals(specs.get(trunk))) {
                return; // reconfigured meanwhile
            }
            if (r.addresses().isEmpty()) {
                LOG.warn("trunk {}: {} has no SIP server in DNS (no SRV, A or AAAA); asking again in {} s", trunk, s.host(), RETRY_S);
                schedule(trunk, RETRY_S * 1000);
                return; // keep what was known: an empty answer is more likely an outage than the provider gone
            }
            if (!r.addresses().equals(known.get(trunk))) {
                known.put(trunk, r.addresses());
                changed = Map.copyOf(known);
                LOG.info("trunk {}: {} is {} (for {} s)", trunk, s.host(), r.addresses(), r.ttlS());
            }
            schedule(trunk, r.ttlS() * 1000);
        }
        if (changed != null) {
            try {
                listener.accept(changed);
            } catch (RuntimeException e) {
                LOG.warn("trunk {}: applying its addresses failed: {}", trunk, e.toString());
            }
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        next.values().forEach(f -> f.cancel(false));
        next.clear();
    }
}
