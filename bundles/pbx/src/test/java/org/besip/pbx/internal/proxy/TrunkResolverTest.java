package org.besip.pbx.internal.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Trunk hosts as DNS names (RFC 3263 for UDP): the order the records give, the TTL they are kept
 * for, what a failed lookup keeps, and a call's failure asking again; then the same questions
 * asked of a real DNS server, Debian's dnsmasq, on loopback.
 */
class TrunkResolverTest {

    /** A DNS whose records the test sets; counts the questions. */
    static final class FakeDns implements TrunkResolver.Dns {
        final Map<String, List<TrunkResolver.Srv>> srv = new HashMap<>();
        final Map<String, List<TrunkResolver.Address>> a = new HashMap<>();
        final AtomicInteger questions = new AtomicInteger();
        volatile boolean down;

        @Override
        public List<TrunkResolver.Srv> srv(String name) throws IOException {
            questions.incrementAndGet();
            if (down) {
                throw new IOException("SERVFAIL");
            }
            return srv.getOrDefault(name, List.of());
        }

        @Override
        public List<TrunkResolver.Address> addresses(String name) throws IOException {
            questions.incrementAndGet();
            if (down) {
                throw new IOException("SERVFAIL");
            }
            return a.getOrDefault(name, List.of());
        }
    }

    static TrunkResolver.Address addr(String ip, long ttl) throws Exception {
        return new TrunkResolver.Address(InetAddress.getByName(ip), ttl);
    }

    static InetSocketAddress at(String ip, int port) {
        return new InetSocketAddress(ip, port);
    }

    @Test
    void srvRecordsGiveTheOrderLowestPriorityThenHeaviestWeightEachTargetsAddressesAtItsPort() throws Exception {
        FakeDns dns = new FakeDns();
        dns.srv.put("_sip._udp.provider.test.", List.of(new TrunkResolver.Srv(20, 10, 5070, "backup.provider.test.", 300),
                new TrunkResolver.Srv(10, 10, 5060, "light.provider.test.", 600), new TrunkResolver.Srv(10, 90, 5062, "heavy.provider.test.", 120)));
        dns.a.put("heavy.provider.test.", List.of(addr("192.0.2.1", 900)));
        dns.a.put("light.provider.test.", List.of(addr("192.0.2.2", 900), addr("2001:db8::2", 60)));
        dns.a.put("backup.provider.test.", List.of(addr("198.51.100.7", 900)));
        TrunkResolver.Resolution r = TrunkResolver.resolve(dns, "provider.test", null);
        assertEquals(List.of(at("192.0.2.1", 5062), at("192.0.2.2", 5060), at("2001:db8::2", 5060), at("198.51.100.7", 5070)), r.addresses());
        assertEquals(60, r.ttlS(), "kept for the smallest TTL of the records used");
    }

    @Test
    void withoutSrvTheNamesAddressesAt5060AndWithAPortNoSrvIsAsked() throws Exception {
        FakeDns dns = new FakeDns();
        dns.a.put("sip.provider.test.", List.of(addr("192.0.2.9", 30)));
        dns.srv.put("_sip._udp.sip.provider.test.", List.of(new TrunkResolver.Srv(1, 1, 5999, "other.test.", 30)));
        assertEquals(List.of(at("192.0.2.9", 5080)), TrunkResolver.resolve(dns, "sip.provider.test", 5080).addresses(),
                "an explicit port: A/AAAA only (RFC 3263 §4.2)");
        dns.srv.clear();
        TrunkResolver.Resolution r = TrunkResolver.resolve(dns, "sip.provider.test", null);
        assertEquals(List.of(at("192.0.2.9", 5060)), r.addresses());
        assertEquals(30, r.ttlS());
        dns.a.put("short.test.", List.of(addr("192.0.2.10", 0)));
        assertEquals(TrunkResolver.MIN_TTL_S, TrunkResolver.resolve(dns, "short.test", null).ttlS(), "a TTL of 0 is asked again in 5 s, not in a loop");
    }

    @Test
    void literalsAreNeverLookedUpAndBadOnesAreRefused() throws Exception {
        FakeDns dns = new FakeDns();
        assertEquals(List.of(at("192.0.2.1", 5060)), TrunkResolver.resolve(dns, "192.0.2.1", null).addresses());
        assertEquals(List.of(at("2001:db8::1", 5070)), TrunkResolver.resolve(dns, "2001:db8::1", 5070).addresses());
        assertThrows(IOException.class, () -> TrunkResolver.resolve(dns, "999.1.1.1", null));
        assertEquals(0, dns.questions.get());
        assertNull(TrunkResolver.literalAddress("256.0.0.1"));
        assertNull(TrunkResolver.literalAddress("provider.test"));
        assertNull(DnsJava.server("dns.example"));
        assertEquals(at("127.0.0.53", 5353), DnsJava.server("127.0.0.53:5353"));
        assertEquals(at("::1", 53), DnsJava.server("::1"));
        assertEquals(at("::1", 5353), DnsJava.server("[::1]:5353"));
    }

    /** Waits (at most 15 s) until {@code seen} holds {@code want} for {@code trunk}. */
    static void await(AtomicReference<Map<String, List<InetSocketAddress>>> seen, String trunk, List<InetSocketAddress> want) throws Exception {
        long deadline = System.currentTimeMillis() + 15_000;
        while (System.currentTimeMillis() < deadline) {
            Map<String, List<InetSocketAddress>> m = seen.get();
            if (m != null && want.equals(m.get(trunk))) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError(trunk + " never became " + want + ": " + seen.get());
    }

    @Test
    void namesAreResolvedOffTheCallersThreadKeptOnAnOutageAndAskedAgainWhenACallFails() throws Exception {
        FakeDns dns = new FakeDns();
        dns.a.put("provider.test.", List.of(addr("192.0.2.1", 3600)));
        ScheduledThreadPoolExecutor thread = new ScheduledThreadPoolExecutor(1);
        AtomicReference<Map<String, List<InetSocketAddress>>> seen = new AtomicReference<>();
        List<String> threads = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (TrunkResolver r = new TrunkResolver(dns, thread, m -> {
            threads.add(Thread.currentThread().getName());
            seen.set(m);
        })) {
            Map<String, List<InetSocketAddress>> first = r.track(List.of(new TrunkResolver.Spec("prov", "provider.test", null),
                    new TrunkResolver.Spec("lit", "198.51.100.1", 5080)));
            assertEquals(List.of(at("198.51.100.1", 5080)), first.get("lit"), "a literal is known at once");
            assertEquals(List.of(), first.get("prov"), "a name is not looked up on the caller's thread");
            await(seen, "prov", List.of(at("192.0.2.1", 5060)));
            assertTrue(threads.stream().noneMatch(n -> n.equals(Thread.currentThread().getName())));
            int asked = dns.questions.get();

            // the TTL is an hour: nothing is asked until a call through the trunk fails
            dns.a.put("provider.test.", List.of(addr("192.0.2.2", 3600)));
            r.failed("prov");
            await(seen, "prov", List.of(at("192.0.2.2", 5060)));
            assertTrue(dns.questions.get() > asked);

            // an outage keeps the addresses known
            dns.down = true;
            long before = dns.questions.get();
            long deadline = System.currentTimeMillis() + 15_000;
            r.failed("prov");
            while (dns.questions.get() == before && System.currentTimeMillis() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(dns.questions.get() > before, "asked again after the failure");
            assertEquals(List.of(at("192.0.2.2", 5060)), r.known().get("prov"), "a failed lookup keeps what was known");

            // reconfigured without the trunk: forgotten
            r.track(List.of(new TrunkResolver.Spec("lit", "198.51.100.1", 5080)));
            assertNull(r.known().get("prov"));
        } finally {
            thread.shutdownNow();
        }
    }

    // ---- against a real DNS server ----

    @TempDir
    Path work;

    static int freeUdpPort(String host) throws Exception {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(host, 0))) {
            return s.getLocalPort();
        }
    }

    @Test
    void dnsmasqAnswersSrvAndAddressesAndAChangedRecordIsSeenWhenItsTtlRunsOut() throws Exception {
        Path dnsmasq = Path.of("/usr/sbin/dnsmasq");
        assertTrue(Files.isExecutable(dnsmasq), "needs Debian's dnsmasq-base: run the README's test command");
        String ip = "127.0.0.53";
        int port = freeUdpPort(ip);
        Path hosts = work.resolve("hosts");
        Files.writeString(hosts, "127.0.0.21 sip1.provider.test\n127.0.0.22 edge.provider.test\n");
        Process p = new ProcessBuilder(dnsmasq.toString(), "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
                "--bind-interfaces", "--user=" + System.getProperty("user.name"), "--local=/provider.test/", "--listen-address=" + ip, "--port=" + port, "--local-ttl=5", "--addn-hosts=" + hosts,
                "--srv-host=_sip._udp.provider.test,sip1.provider.test,5090,10,50",
                "--srv-host=_sip._udp.provider.test,edge.provider.test,5091,20,50", "--log-facility=-", "--log-queries")
                .redirectErrorStream(true).redirectOutput(work.resolve("dnsmasq.out").toFile()).start();
        ScheduledThreadPoolExecutor thread = new ScheduledThreadPoolExecutor(1);
        try {
            awaitListening(ip, port, p);
            DnsJava dns = new DnsJava(List.of(new InetSocketAddress(ip, port)));
            long ready = System.currentTimeMillis() + 10_000; // dnsmasq binds its socket before it reads the hosts file
            while (dns.addresses("edge.provider.test.").isEmpty() && System.currentTimeMillis() < ready) {
                Thread.sleep(20);
            }
            TrunkResolver.Resolution r = TrunkResolver.resolve(dns, "provider.test", null);
            assertEquals(List.of(at("127.0.0.21", 5090), at("127.0.0.22", 5091)), r.addresses(), Files.readString(work.resolve("dnsmasq.out")));
            assertEquals(5, r.ttlS(), "dnsmasq's --local-ttl");
            assertEquals(List.of(), TrunkResolver.resolve(dns, "nowhere.provider.test", null).addresses(), "NXDOMAIN: no address");

            AtomicReference<Map<String, List<InetSocketAddress>>> seen = new AtomicReference<>();
            try (TrunkResolver resolver = new TrunkResolver(dns, thread, seen::set)) {
                resolver.track(List.of(new TrunkResolver.Spec("prov", "edge.provider.test", 5080)));
                await(seen, "prov", List.of(at("127.0.0.22", 5080)));
                // the provider moves: dnsmasq reloads its hosts file on SIGHUP; the box sees it once the 5 s TTL runs out
                Files.writeString(hosts, "127.0.0.21 sip1.provider.test\n127.0.0.23 edge.provider.test\n");
                new ProcessBuilder("kill", "-HUP", String.valueOf(p.pid())).start().waitFor();
                await(seen, "prov", List.of(at("127.0.0.23", 5080)));
            }
        } finally {
            thread.shutdownNow();
            p.destroy();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Waits until dnsmasq listens on {@code ip:port} (/proc/net/udp), at most 10 s. */
    static void awaitListening(String ip, int port, Process p) throws Exception {
        byte[] b = InetAddress.getByName(ip).getAddress();
        String local = String.format("%02X%02X%02X%02X:%04X", b[3], b[2], b[1], b[0], port);
        long deadline = System.currentTimeMillis() + 10_000;
        while (System.currentTimeMillis() < deadline) {
            for (String line : Files.readAllLines(Path.of("/proc/net/udp"))) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 1 && f[1].equalsIgnoreCase(local)) {
                    return;
                }
            }
            if (!p.isAlive()) {
                throw new AssertionError("dnsmasq exited with " + p.exitValue());
            }
            Thread.sleep(20);
        }
        throw new AssertionError("dnsmasq does not listen on " + ip + ":" + port);
    }
}
