package org.besip.pbx.internal;

import org.besip.pbx.internal.auth.AuthFailures;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.besip.pbx.internal.auth.DigestAuthenticator;
import org.besip.pbx.internal.registrar.LocationService;
import org.besip.pbx.internal.registrar.Registrar;
import org.besip.pbx.internal.transport.UdpTransport;

/**
 * The registrar without the runtime, for the sipp tests and the stack benchmark:
 * {@code java -cp ... StandaloneRegistrar HOST PORT USERS PASSWORD} registers users
 * {@code user0..user<USERS-1>} with one password.
 */
public final class StandaloneRegistrar {

    private StandaloneRegistrar() {
    }

    public static UdpTransport start(String host, int port, int users, String password) throws Exception {
        return start(host, port, users, password, (src, why) -> { });
    }

    public static UdpTransport start(String host, int port, int users, String password, AuthFailures failures)
            throws Exception {
        return start(host, port, users, password, failures, new LocationService());
    }

    /** The same, with the bindings kept in {@code location}. */
    public static UdpTransport start(String host, int port, int users, String password, AuthFailures failures,
            LocationService location) throws Exception {
        return new UdpTransport(new InetSocketAddress(host, port), List::of, server(users, password, failures, location)::handle);
    }

    /** The SIP handling for users {@code user0..user<users-1>}, to put behind any transport. */
    public static SipServer server(int users, String password, AuthFailures failures) {
        return server(users, password, failures, new LocationService());
    }

    /** The same, with the bindings kept in {@code location}. */
    public static SipServer server(int users, String password, AuthFailures failures, LocationService location) {
        Map<String, DigestAuthenticator.Secret> secrets = new HashMap<>();
        for (int i = 0; i < users; i++) {
            secrets.put("user" + i, new DigestAuthenticator.Secret(password, Map.of()));
        }
        // MD5 first: sipp takes the first challenge and knows MD5 only
        Registrar registrar = new Registrar(new DigestAuthenticator("besip", 300_000, List.of("MD5", "SHA-256")), secrets::get,
                location, "besip");
        return new SipServer(registrar, failures);
    }

    public static void main(String[] args) throws Exception {
        UdpTransport t = start(args[0], Integer.parseInt(args[1]), Integer.parseInt(args[2]), args[3]);
        System.out.println("registrar on " + args[0] + ":" + t.port());
        Thread.currentThread().join();
    }
}
