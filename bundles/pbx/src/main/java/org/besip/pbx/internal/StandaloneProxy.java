package org.besip.pbx.internal;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

import org.besip.pbx.internal.auth.DigestAuthenticator;
import org.besip.pbx.internal.proxy.Proxy;
import org.besip.pbx.internal.registrar.Binding;
import org.besip.pbx.internal.registrar.LocationService;
import org.besip.pbx.internal.registrar.Registrar;
import org.besip.pbx.internal.transport.UdpTransport;

/**
 * The proxy without the runtime, for the routing micro-benchmark (bench/sip.sh; not the product's
 * figure: no OPTIONS, security, persistence or authentication of callers):
 * {@code java -cp ... StandaloneProxy HOST PORT CALLEE_PORT} routes calls to user {@code bob},
 * bound to {@code 127.0.0.1:CALLEE_PORT}.
 */
public final class StandaloneProxy {

    private StandaloneProxy() {
    }

    public static void main(String[] args) throws Exception {
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        LocationService location = new LocationService();
        long now = System.currentTimeMillis();
        location.put(new Binding("bob", "sip:bob@127.0.0.1:" + args[2], now + 86_400_000L, "bench", 1, "sipp", "127.0.0.1:" + args[2]),
                now);
        Registrar registrar = new Registrar(new DigestAuthenticator("besip", 300_000), Map.<String, DigestAuthenticator.Secret>of()::get,
                location, "besip");
        AtomicReference<UdpTransport> out = new AtomicReference<>();
        Proxy proxy = new Proxy(location, Set.of("bob")::contains, host, port, (data, to) -> out.get().send(data, to));
        // a micro-benchmark of routing, as the Kamailio anchor's t_relay: callers are not challenged (the box's default is deny)
        proxy.policy(new Proxy.Policy(Map.of(), Map.of(), Map.of(), true));
        out.set(new UdpTransport(new InetSocketAddress(host, port), List::of, new SipServer(registrar, (s, w) -> { }, proxy)::handle));
        System.out.println("proxy on " + host + ":" + port + " to bob at 127.0.0.1:" + args[2]);
        Thread.currentThread().join();
    }
}
