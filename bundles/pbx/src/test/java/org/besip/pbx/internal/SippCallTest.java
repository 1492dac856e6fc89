package org.besip.pbx.internal;

import org.besip.pbx.internal.transport.Sender;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.besip.core.api.event.Topics;
import org.besip.pbx.internal.auth.DigestAuthenticator;
import org.besip.pbx.internal.call.CallTracker;
import org.besip.pbx.internal.call.CdrStore;
import org.besip.pbx.internal.call.Prepaid;
import org.besip.pbx.internal.proxy.DialPlan;
import org.besip.pbx.internal.proxy.Proxy;
import org.besip.pbx.internal.registrar.Binding;
import org.besip.pbx.internal.registrar.LocationService;
import org.besip.pbx.internal.registrar.Registrar;
import org.besip.pbx.internal.sip.SipMessage;
import org.besip.pbx.internal.transport.UdpTransport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteDataSource;

/**
 * Two real SIP peers (sipp's built-in uac and uas) call each other through the proxy: INVITE,
 * 180, 200, ACK, BYE, 200 all cross the box, and each call gives its events and one CDR.
 */
class SippCallTest {

    @TempDir
    Path tmp;

    static final java.util.concurrent.ScheduledExecutorService timers = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "test-timers");
        t.setDaemon(true);
        return t;
    });

    /** A box where user bob is registered at 127.0.0.1:{@code uas}: its registrar, CDR store and call tracker. */
    record UserBox(LocationService location, Registrar registrar, SQLiteDataSource ds, CdrStore cdrs, CallTracker calls) {
    }

    UserBox userBox(int uas, CallTracker.Publisher events) throws Exception {
        LocationService location = new LocationService();
        long now = System.currentTimeMillis();
        location.put(new Binding("bob", "sip:bob@127.0.0.1:" + uas, now + 3_600_000, "reg-1", 1, "sipp", "127.0.0.1:" + uas), now);
        Registrar registrar = new Registrar(new DigestAuthenticator("besip", 300_000), Map.<String, DigestAuthenticator.Secret>of()::get,
                location, "besip");
        SQLiteDataSource ds = dataSource();
        CdrStore cdrs = new CdrStore(ds);
        return new UserBox(location, registrar, ds, cdrs, new CallTracker(cdrs, events));
    }

    /**
     * The called phone: answers and copies the Record-Route into its answers, as RFC 3261 §12.1.1
     * asks (sipp's built-in uas does not, so its dialog would never run through the box).
     */
    static final Path PHONE = Path.of("src/test/resources/sipp/uas-record-route.xml").toAbsolutePath();

    /** The box challenges every caller that is not a trunk: alice (password pw) authenticates her calls. */
    static Proxy authenticating(Proxy proxy) {
        Map<String, DigestAuthenticator.Secret> callers = Map.of("alice", new DigestAuthenticator.Secret("pw", Map.of()));
        proxy.outbound(new Proxy.Outbound(DialPlan.EMPTY, new DigestAuthenticator("besip", 300_000, List.of("MD5")), callers::get,
                (s, w) -> { }));
        return proxy;
    }

    /** sipp as alice, answering the box's 407 with her credentials (uac-proxy-auth.xml), calling {@code callee}; more: sipp options. */
    ProcessBuilder aliceCalls(String callee, int box, int calls, String... more) throws Exception {
        java.nio.file.Files.writeString(tmp.resolve("alice.csv"), "SEQUENTIAL\nalice;[authentication username=alice password=pw]\n");
        List<String> cmd = new java.util.ArrayList<>(List.of("sipp", "-sf", Path.of("src/test/resources/sipp/uac-proxy-auth.xml").toAbsolutePath()
                .toString(), "-inf", tmp.resolve("alice.csv").toString(), "-s", callee, "127.0.0.1:" + box, "-i", "127.0.0.1", "-p",
                String.valueOf(SippRegisterTest.freeUdpPort()), "-m", String.valueOf(calls), "-r", "10", "-nostdin", "-timeout", "30s",
                "-recv_timeout", "5000"));
        cmd.addAll(List.of(more));
        return new ProcessBuilder(cmd).directory(tmp.toFile()).redirectErrorStream(true);
    }

    @Test
    void sippCallsARegisteredUserThroughTheProxyAndEveryCallCompletes() throws Exception {
        int box = SippRegisterTest.freeUdpPort();
        int uas = SippRegisterTest.freeUdpPort();
        List<Map<String, Object>> events = new CopyOnWriteArrayList<>();
        UserBox u = userBox(uas, (topic, props) -> {
            Map<String, Object> p = new HashMap<>(props);
            p.put("topic", topic);
            events.add(p);
        });
        LocationService location = u.location();
        Registrar registrar = u.registrar();
        SQLiteDataSource ds = u.ds();
        CdrStore cdrs = u.cdrs();
        CallTracker calls = u.calls();
        AtomicReference<UdpTransport> transport = new AtomicReference<>();
        Proxy proxy = authenticating(new Proxy(location, Set.of("bob")::contains, "127.0.0.1", box, (data, to) -> transport.get().send(data, to),
                calls));
        SipServer server = new SipServer(registrar, (src, why) -> { }, proxy);
        transport.set(new UdpTransport(new InetSocketAddress("127.0.0.1", box), List::of, server::handle));
        Process callee = new ProcessBuilder("sipp", "-sf", PHONE.toString(), "-i", "127.0.0.1", "-p", String.valueOf(uas), "-m", "10", "-nostdin",
                "-timeout", "60s").directory(tmp.toFile()).redirectErrorStream(true).start();
        try (UdpTransport t = transport.get()) {
            SippRegisterTest.awaitUdpListener(uas);
            Process caller = aliceCalls("bob", box, 10).start();
            String out = new String(caller.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(caller.waitFor(60, TimeUnit.SECONDS), out);
            assertEquals(0, caller.exitValue(), "every call through the proxy completed:\n" + out);
            String calleeOut = new String(callee.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(callee.waitFor(30, TimeUnit.SECONDS), calleeOut);
            assertEquals(0, callee.exitValue(), "the callee saw every call:\n" + calleeOut);

            // every call followed: events with both sides' media from sipp's SDP, one answered CDR each
            assertEquals(0, calls.active());
            for (String topic : List.of(Topics.CALL_STARTED, Topics.CALL_ANSWERED, Topics.CALL_ENDED)) {
                assertEquals(10, events.stream().filter(e -> e.get("topic").equals(topic)).count(), topic + " " + events);
            }
            Map<String, Object> answered = events.stream().filter(e -> e.get("topic").equals(Topics.CALL_ANSWERED)).findFirst().get();
            assertTrue(((String) answered.get(Topics.PROP_MEDIA_CALLER)).matches("127\\.0\\.0\\.1:\\d+"), answered.toString());
            assertTrue(((String) answered.get(Topics.PROP_MEDIA_CALLEE)).matches("127\\.0\\.0\\.1:\\d+"), answered.toString());
            assertTrue(List.of((String[]) answered.get(Topics.PROP_PAYLOADS)).contains("0 PCMU/8000"), answered.toString());
            cdrs.close();
            assertCdrs(ds, 10, "[^,]+,sip:alice@127\\.0\\.0\\.1:\\d+,sip:bob@127\\.0\\.0\\.1:\\d+,127\\.0\\.0\\.1:\\d+,"
                        + "\\d+,\\d+,\\d+,0,answered,caller,,,,,,,,,");
        } finally {
            callee.destroyForcibly();
        }
    }


    @Test
    void aCallerOverTcpGetsEveryAnswerOnItsConnectionWhileTheCalleeIsOnUdp() throws Exception {
        int box = SippRegisterTest.freeUdpPort();
        int uas = SippRegisterTest.freeUdpPort();
        UserBox u = userBox(uas, (topic, props) -> { });
        LocationService location = u.location();
        Registrar registrar = u.registrar();
        AtomicReference<UdpTransport> udp = new AtomicReference<>();
        List<org.besip.pbx.internal.transport.TcpTransport> tcp = new CopyOnWriteArrayList<>();
        Sender sender = new org.besip.pbx.internal.transport.UdpAndTcpSender(udp::get, tcp);
        CallTracker calls = u.calls();
        SipServer server = new SipServer(registrar, (s, w) -> { }, authenticating(new Proxy(location, Set.of("bob")::contains, "127.0.0.1", box,
                sender, calls, timers)));
        udp.set(new UdpTransport(new InetSocketAddress("127.0.0.1", box), List::of, server::handle));
        tcp.add(new org.besip.pbx.internal.transport.TcpTransport(new InetSocketAddress("127.0.0.1", box), List::of, server::handle));
        Process callee = new ProcessBuilder("sipp", "-sf", PHONE.toString(), "-i", "127.0.0.1", "-p", String.valueOf(uas), "-m", "5", "-nostdin",
                "-timeout", "60s").directory(tmp.toFile()).redirectErrorStream(true).start();
        try (UdpTransport over = udp.get(); org.besip.pbx.internal.transport.TcpTransport t = tcp.get(0)) {
            SippRegisterTest.awaitUdpListener(uas);
            Process caller = aliceCalls("bob", box, 5, "-t", "t1").start();
            String out = new String(caller.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(caller.waitFor(60, TimeUnit.SECONDS), out);
            assertEquals(0, caller.exitValue(), "every call over TCP completed:\n" + out);
            assertTrue(callee.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, callee.exitValue(), "the callee on UDP saw every call");
            assertEquals(0, calls.active());
        } finally {
            callee.destroyForcibly();
        }
    }

    /** Reads one SIP message off a stream (head, then Content-Length bytes of body). */
    static SipMessage readMessage(java.io.InputStream in) throws Exception {
        java.io.ByteArrayOutputStream head = new java.io.ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int b = in.read();
            if (b < 0) {
                throw new java.io.EOFException("connection closed");
            }
            head.write(b);
            state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
        }
        String text = head.toString(StandardCharsets.UTF_8);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?im)^(?:Content-Length|l)\\s*:\\s*(\\d+)").matcher(text);
        byte[] body = in.readNBytes(m.find() ? Integer.parseInt(m.group(1)) : 0);
        byte[] all = (text + new String(body, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
        return org.besip.pbx.internal.sip.SipParser.parse(all, 0, all.length);
    }

    /**
     * {@code count} TCP connections to {@code port}, each from a loopback address of its own
     * (127.1.x.y), left idle: an attacker who wants the connection table.
     */
    static List<java.net.Socket> idleConnections(int port, int count) throws Exception {
        List<java.net.Socket> out = new java.util.ArrayList<>();
        for (int i = 0; i < count; i++) {
            java.net.Socket s = new java.net.Socket();
            s.bind(new InetSocketAddress("127.1." + (i / 250) + "." + (i % 250 + 1), 0));
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            out.add(s);
        }
        return out;
    }

    @Test
    void aPhoneRegisteredOverTcpIsCalledOnItsConnectionAfter1500IdleConnectionsFromStrangers() throws Exception {
        int box = SippRegisterTest.freeUdpPort();
        LocationService location = new LocationService();
        DigestAuthenticator digest = new DigestAuthenticator("besip", 300_000, List.of("MD5"));
        Map<String, DigestAuthenticator.Secret> users = Map.of("bob", new DigestAuthenticator.Secret("pw", Map.of()));
        Registrar registrar = new Registrar(digest, users::get, location, "besip");
        AtomicReference<UdpTransport> udp = new AtomicReference<>();
        List<org.besip.pbx.internal.transport.TcpTransport> tcp = new CopyOnWriteArrayList<>();
        Sender sender = new org.besip.pbx.internal.transport.UdpAndTcpSender(udp::get, tcp);
        CallTracker calls = new CallTracker(new CdrStore(dataSource()), (topic, props) -> { });
        SipServer server = new SipServer(registrar, (s, w) -> { }, authenticating(new Proxy(location, users::containsKey, "127.0.0.1", box,
                sender, calls, timers)));
        udp.set(new UdpTransport(new InetSocketAddress("127.0.0.1", box), List::of, server::handle));
        server.onAuthenticated(src -> tcp.forEach(t -> t.trust(src)));
        tcp.add(new org.besip.pbx.internal.transport.TcpTransport(new InetSocketAddress("127.0.0.1", box), List::of, server::handle, 3000));
        List<java.net.Socket> strangers = idleConnections(box, 1500); // more than the table's 1024, and they never say a word
        try (UdpTransport over = udp.get(); org.besip.pbx.internal.transport.TcpTransport t = tcp.get(0);
                java.net.Socket phone = new java.net.Socket("127.0.0.1", box)) {
            assertTrue(t.open() <= 1024, "the table stays bounded: " + t.open());
            phone.setSoTimeout(10_000);
            var in = phone.getInputStream();
            var out = phone.getOutputStream();
            int lp = phone.getLocalPort();
            String register = "REGISTER sip:127.0.0.1:" + box + " SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:" + lp + ";branch=z9hG4bKr%d\r\n"
                    + "From: <sip:bob@127.0.0.1>;tag=p1\r\nTo: <sip:bob@127.0.0.1>\r\nCall-ID: reg-tcp\r\nCSeq: %d REGISTER\r\n"
                    + "Contact: <sip:bob@127.0.0.1:" + lp + ";transport=tcp>;expires=600\r\nMax-Forwards: 70\r\n%sContent-Length: 0\r\n\r\n";
            out.write(String.format(register, 1, 1, "").getBytes(StandardCharsets.UTF_8));
            SipMessage challenge = readMessage(in);
            assertEquals(401, challenge.status());
            String auth = DigestAuthenticator.answer(challenge.first("WWW-Authenticate"), "bob", "pw", "REGISTER", "sip:127.0.0.1:" + box, 1,
                    "c1");
            out.write(String.format(register, 2, 2, "Authorization: " + auth + "\r\n").getBytes(StandardCharsets.UTF_8));
            assertEquals(200, readMessage(in).status());

            // a caller over UDP (sipp) calls bob; the box reaches bob on his TCP connection
            Process caller = aliceCalls("bob", box, 1).start();
            SipMessage invite = readMessage(in);
            assertEquals("INVITE", invite.method());
            assertTrue(invite.first("Via").startsWith("SIP/2.0/TCP 127.0.0.1:" + box + ";"), invite.first("Via"));
            for (int status : new int[] {180, 200}) {
                SipMessage r = invite.answer(status, status == 180 ? "Ringing" : "OK", "bob-tag");
                for (String rr : invite.all("Record-Route")) {
                    r.headers().add(new SipMessage.Header("Record-Route", rr));
                }
                r.headers().add(new SipMessage.Header("Contact", "<sip:bob@127.0.0.1:" + lp + ";transport=tcp>"));
                out.write(r.toBytes());
            }
            SipMessage ack = readMessage(in);
            assertEquals("ACK", ack.method(), "the caller's ACK arrives on the connection");
            SipMessage bye = readMessage(in);
            assertEquals("BYE", bye.method());
            out.write(bye.answer(200, "OK", null).toBytes());
            String log = new String(caller.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(caller.waitFor(30, TimeUnit.SECONDS), log);
            assertEquals(0, caller.exitValue(), "the call to the TCP phone completed:\n" + log);

            // the strangers said nothing within the first-message time (3 s here): closed; the phone, which authenticated, stays
            long deadline = System.currentTimeMillis() + 20_000;
            while (t.open() > 1 && System.currentTimeMillis() < deadline) {
                Thread.sleep(100);
            }
            assertEquals(1, t.open(), "only the phone's connection is left");
            assertTrue(t.connected(new InetSocketAddress("127.0.0.1", lp)));
        } finally {
            for (java.net.Socket s : strangers) {
                s.close();
            }
        }
    }

    /** The CDR store as CSV: a header and {@code calls} rows, each matching {@code row}. */
    static void assertCdrs(SQLiteDataSource ds, int calls, String row) throws Exception {
        StringWriter csv = new StringWriter();
        new CdrStore(ds).csv(0, Long.MAX_VALUE, csv);
        String[] rows = csv.toString().split("\r\n");
        assertEquals(calls + 1, rows.length, csv.toString());
        for (int i = 1; i < rows.length; i++) {
            assertTrue(rows[i].matches(row), rows[i]);
        }
    }

    private SQLiteDataSource dataSource() {
        SQLiteDataSource ds = new SQLiteDataSource();
        ds.setUrl("jdbc:sqlite:" + tmp.resolve("pbx.db"));
        return ds;
    }

    /** The box with user alice (password pw) and one trunk to 127.0.0.1:{@code provider} for numbers starting with 9. */
    record TrunkBox(UdpTransport transport, CallTracker calls, CdrStore cdrs, SQLiteDataSource ds, List<String> failures) {
    }

    TrunkBox trunkBox(int box, int provider, int strip, String prepend, Prepaid prepaid) throws Exception {
        LocationService location = new LocationService();
        DigestAuthenticator digest = new DigestAuthenticator("besip", 300_000, List.of("MD5"));
        Map<String, DigestAuthenticator.Secret> users = Map.of("alice", new DigestAuthenticator.Secret("pw", Map.of()));
        Registrar registrar = new Registrar(digest, users::get, location, "besip");
        AtomicReference<UdpTransport> transport = new AtomicReference<>();
        SQLiteDataSource ds = new SQLiteDataSource();
        ds.setUrl("jdbc:sqlite:" + tmp.resolve("pbx.db"));
        CdrStore cdrs = new CdrStore(ds);
        CallTracker calls = new CallTracker(cdrs, (topic, props) -> { }, prepaid);
        List<String> failures = new CopyOnWriteArrayList<>();
        Proxy proxy = new Proxy(location, users::containsKey, "127.0.0.1", box, (data, to) -> transport.get().send(data, to), calls);
        DialPlan.Trunk trunk = new DialPlan.Trunk("provider", new InetSocketAddress("127.0.0.1", provider));
        proxy.outbound(new Proxy.Outbound(new DialPlan(List.of(new DialPlan.Route("9", trunk, strip, prepend))), digest, users::get,
                (src, why) -> failures.add(why), prepaid));
        calls.hangup(proxy::hangup);
        transport.set(new UdpTransport(new InetSocketAddress("127.0.0.1", box), List::of, new SipServer(registrar, (a, b) -> { }, proxy)::handle));
        java.nio.file.Files.writeString(tmp.resolve("caller.csv"), "SEQUENTIAL\nalice;[authentication username=alice password=pw]\n");
        return new TrunkBox(transport.get(), calls, cdrs, ds, failures);
    }

    @Test
    void anAuthenticatedUserCallsOutThroughATrunkWithTheDialPlanApplied() throws Exception {
        int box = SippRegisterTest.freeUdpPort();
        int provider = SippRegisterTest.freeUdpPort();
        TrunkBox b = trunkBox(box, provider, 1, "00", null);
        CdrStore cdrs = b.cdrs();
        SQLiteDataSource ds = b.ds();
        List<String> failures = b.failures();
        Path providerScenario = Path.of("src/test/resources/sipp/uas-record-route.xml").toAbsolutePath();
        Process trunkSide = new ProcessBuilder("sipp", "-sf", providerScenario.toString(), "-i", "127.0.0.1", "-p", String.valueOf(provider), "-m", "5",
                "-nostdin", "-timeout", "60s", "-trace_msg", "-message_file", tmp.resolve("provider.log").toString())
                .directory(tmp.toFile()).redirectErrorStream(true).start();
        try (UdpTransport t = b.transport()) {
            SippRegisterTest.awaitUdpListener(provider);
            Path scenario = Path.of("src/test/resources/sipp/uac-proxy-auth.xml").toAbsolutePath();
            Process caller = new ProcessBuilder("sipp", "-sf", scenario.toString(), "-inf", tmp.resolve("caller.csv").toString(), "-s",
                    "9123456", "127.0.0.1:" + box, "-i", "127.0.0.1", "-p", String.valueOf(SippRegisterTest.freeUdpPort()), "-m", "5",
                    "-r", "5", "-nostdin", "-timeout", "30s", "-recv_timeout", "5000").directory(tmp.toFile()).redirectErrorStream(true)
                    .start();
            String out = new String(caller.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(caller.waitFor(60, TimeUnit.SECONDS), out);
            assertEquals(0, caller.exitValue(), "every authenticated call out completed:\n" + out);
            assertTrue(trunkSide.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, trunkSide.exitValue(), "the provider answered every call");
            String seen = java.nio.file.Files.readString(tmp.resolve("provider.log"));
            assertTrue(seen.contains("INVITE sip:00123456@127.0.0.1:" + provider + " SIP/2.0"), "9 stripped, 00 prepended:\n" + seen);
            assertTrue(!seen.contains("Proxy-Authorization"), "credentials never leave the box:\n" + seen);
            assertEquals(List.of(), failures);
            cdrs.close();
            StringWriter csv = new StringWriter();
            new CdrStore(ds).csv(0, Long.MAX_VALUE, csv);
            String[] rows = csv.toString().split("\r\n");
            assertEquals(6, rows.length, csv.toString());
            for (int i = 1; i < rows.length; i++) {
                assertTrue(rows[i].contains(",answered,caller,provider,"), rows[i]);
            }
        } finally {
            trunkSide.destroyForcibly();
        }
    }

    @Test
    void aPrepaidCallIsEndedByTheBoxWhenItsCreditRunsOutAndCharged() throws Exception {
        int box = SippRegisterTest.freeUdpPort();
        int provider = SippRegisterTest.freeUdpPort();
        SQLiteDataSource prepaidDs = new SQLiteDataSource();
        prepaidDs.setUrl("jdbc:sqlite:" + tmp.resolve("pbx.db"));
        Prepaid prepaid = new Prepaid(prepaidDs);
        prepaid.policy(new Prepaid.Policy(List.of(new Prepaid.Tariff("9", 60.0)), Set.of("alice"), null, Map.of(), Map.of()));
        prepaid.topUp("alice", 2.0); // two seconds at 60 a minute
        TrunkBox b = trunkBox(box, provider, 0, null, prepaid);
        CallTracker calls = b.calls();
        CdrStore cdrs = b.cdrs();
        SQLiteDataSource ds = b.ds();
        calls.startTimer(timers);
        Path providerScenario = Path.of("src/test/resources/sipp/uas-record-route.xml").toAbsolutePath();
        Process trunkSide = new ProcessBuilder("sipp", "-sf", providerScenario.toString(), "-i", "127.0.0.1", "-p", String.valueOf(provider),
                "-m", "1", "-nostdin", "-timeout", "60s").directory(tmp.toFile()).redirectErrorStream(true).start();
        try (UdpTransport t = b.transport()) {
            SippRegisterTest.awaitUdpListener(provider);
            Path scenario = Path.of("src/test/resources/sipp/uac-cut-by-box.xml").toAbsolutePath();
            Process caller = new ProcessBuilder("sipp", "-sf", scenario.toString(), "-inf", tmp.resolve("caller.csv").toString(), "-s",
                    "9123", "127.0.0.1:" + box, "-i", "127.0.0.1", "-p", String.valueOf(SippRegisterTest.freeUdpPort()), "-m", "1",
                    "-nostdin", "-timeout", "30s", "-recv_timeout", "15000").directory(tmp.toFile()).redirectErrorStream(true).start();
            String out = new String(caller.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(caller.waitFor(60, TimeUnit.SECONDS), out);
            assertEquals(0, caller.exitValue(), "the caller got the box's BYE:\n" + out);
            assertTrue(trunkSide.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, trunkSide.exitValue(), "the provider got the box's BYE");
            assertEquals(0.0, prepaid.credits().get("alice"), 1e-9, "the credit is used up, not overdrawn");
            calls.close();
            cdrs.close();
            prepaid.close();
            StringWriter csv = new StringWriter();
            new CdrStore(ds).csv(0, Long.MAX_VALUE, csv);
            System.out.print("CDR of the prepaid call cut by the box:\n" + csv);
            assertTrue(csv.toString().contains(",2,answered,box,provider,2.0,,,,,,,\r\n"), csv.toString());
            assertEquals(402, admitAgain(ds), "no credit: the next call is refused");
        } finally {
            trunkSide.destroyForcibly();
        }
    }

    @Test
    void twoCallsAtOnceOnOneAccountShareItsCreditAndNeverOverdrawIt() throws Exception {
        int box = SippRegisterTest.freeUdpPort();
        int provider = SippRegisterTest.freeUdpPort();
        SQLiteDataSource prepaidDs = new SQLiteDataSource();
        prepaidDs.setUrl("jdbc:sqlite:" + tmp.resolve("pbx.db"));
        Prepaid prepaid = new Prepaid(prepaidDs);
        // 3.0 of credit at 60 a minute (3 s of calls), granted 2 s at a time
        prepaid.policy(new Prepaid.Policy(List.of(new Prepaid.Tariff("9", 60.0)), Set.of("alice"), null, Map.of(), Map.of(), 2000, false));
        prepaid.topUp("alice", 3.0);
        TrunkBox b = trunkBox(box, provider, 0, null, prepaid);
        b.calls().startTimer(timers);
        Process trunkSide = new ProcessBuilder("sipp", "-sf", Path.of("src/test/resources/sipp/uas-record-route.xml").toAbsolutePath().toString(),
                "-i", "127.0.0.1", "-p", String.valueOf(provider), "-m", "2", "-nostdin", "-timeout", "60s").directory(tmp.toFile())
                .redirectErrorStream(true).start();
        try (UdpTransport t = b.transport()) {
            SippRegisterTest.awaitUdpListener(provider);
            // two calls 100 ms apart, both in progress at once, each waiting for the box's BYE
            Process caller = new ProcessBuilder("sipp", "-sf", Path.of("src/test/resources/sipp/uac-cut-by-box.xml").toAbsolutePath().toString(),
                    "-inf", tmp.resolve("caller.csv").toString(), "-s", "9123", "127.0.0.1:" + box, "-i", "127.0.0.1", "-p",
                    String.valueOf(SippRegisterTest.freeUdpPort()), "-m", "2", "-r", "10", "-l", "2", "-nostdin", "-timeout", "30s",
                    "-recv_timeout", "15000").directory(tmp.toFile()).redirectErrorStream(true).start();
            String out = new String(caller.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(caller.waitFor(60, TimeUnit.SECONDS), out);
            assertEquals(0, caller.exitValue(), "both calls were ended by the box:\n" + out);
            assertTrue(trunkSide.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0.0, prepaid.credits().get("alice"), 1e-9, "the credit is used up, not overdrawn");
            assertEquals(0.0, prepaid.reserved("alice"), 1e-9, "nothing held once the calls are over");
            b.calls().close();
            b.cdrs().close();
            prepaid.close();
            StringWriter csv = new StringWriter();
            new CdrStore(b.ds()).csv(0, Long.MAX_VALUE, csv);
            System.out.print("CDRs of two calls at once on one prepaid account:\n" + csv);
            List<String> costs = csv.toString().lines().skip(1).map(l -> l.split(",", -1)[11]).sorted().toList(); // the cost column
            assertEquals(List.of("1.0", "2.0"), costs, "one call got 2 s, the other the 1 s left: 3.0 in all");
            assertEquals(402, admitAgain(b.ds()), "no credit: the next call is refused");
        } finally {
            trunkSide.destroyForcibly();
        }
    }

    @Test
    void aCallerWhoHangsUpWhileItRingsCancelsTheCallAtTheCallee() throws Exception {
        int box = SippRegisterTest.freeUdpPort();
        int uas = SippRegisterTest.freeUdpPort();
        UserBox u = userBox(uas, (topic, props) -> { });
        LocationService location = u.location();
        Registrar registrar = u.registrar();
        SQLiteDataSource ds = u.ds();
        CdrStore cdrs = u.cdrs();
        CallTracker calls = u.calls();
        AtomicReference<UdpTransport> transport = new AtomicReference<>();
        Proxy proxy = new Proxy(location, Set.of("bob")::contains, "127.0.0.1", box, (data, to) -> transport.get().send(data, to), calls,
                timers);
        // the operator's routing/unauthenticated-calls-to-users leaf: anyone may ring a local user
        proxy.policy(new Proxy.Policy(Map.of(), Map.of(), Map.of(), true));
        transport.set(new UdpTransport(new InetSocketAddress("127.0.0.1", box), List::of, new SipServer(registrar, (s, w) -> { }, proxy)::handle));
        Process callee = new ProcessBuilder("sipp", "-sf", Path.of("src/test/resources/sipp/uas-cancelled.xml").toAbsolutePath().toString(),
                "-i", "127.0.0.1", "-p", String.valueOf(uas), "-m", "3", "-nostdin", "-timeout", "60s").directory(tmp.toFile())
                .redirectErrorStream(true).start();
        try (UdpTransport t = transport.get()) {
            SippRegisterTest.awaitUdpListener(uas);
            Process caller = new ProcessBuilder("sipp", "-sf", Path.of("src/test/resources/sipp/uac-cancel.xml").toAbsolutePath().toString(),
                    "-s", "bob", "127.0.0.1:" + box, "-i", "127.0.0.1", "-p", String.valueOf(SippRegisterTest.freeUdpPort()), "-m", "3",
                    "-r", "3", "-nostdin", "-timeout", "30s", "-recv_timeout", "5000").directory(tmp.toFile()).redirectErrorStream(true)
                    .start();
            String out = new String(caller.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(caller.waitFor(60, TimeUnit.SECONDS), out);
            assertEquals(0, caller.exitValue(), "every call was cancelled with 200 and 487:\n" + out);
            String calleeOut = new String(callee.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(callee.waitFor(30, TimeUnit.SECONDS), calleeOut);
            assertEquals(0, callee.exitValue(), "the callee got the CANCEL and the ACK of its 487:\n" + calleeOut);
            assertEquals(0, calls.active());
            cdrs.close();
            assertCdrs(ds, 3, "[^,]+,sip:caller@127\\.0\\.0\\.1:\\d+,sip:bob@127\\.0\\.0\\.1:\\d+,127\\.0\\.0\\.1:\\d+,"
                        + "\\d+,,\\d+,0,cancelled,callee,,,,,,,,,");
        } finally {
            callee.destroyForcibly();
        }
    }

    @Test
    void aCallWithoutCreditIsRefused402AfterAuthenticationAndNeverReachesTheTrunk() throws Exception {
        int box = SippRegisterTest.freeUdpPort();
        int provider = SippRegisterTest.freeUdpPort();
        SQLiteDataSource prepaidDs = new SQLiteDataSource();
        prepaidDs.setUrl("jdbc:sqlite:" + tmp.resolve("pbx.db"));
        Prepaid prepaid = new Prepaid(prepaidDs);
        prepaid.policy(new Prepaid.Policy(List.of(new Prepaid.Tariff("9", 60.0)), Set.of("alice"), null, Map.of(), Map.of()));
        TrunkBox b = trunkBox(box, provider, 0, null, prepaid);
        try (UdpTransport t = b.transport(); java.nio.channels.DatagramChannel trunk = java.nio.channels.DatagramChannel.open()) {
            trunk.bind(new InetSocketAddress("127.0.0.1", provider));
            trunk.configureBlocking(false);
            Process caller = new ProcessBuilder("sipp", "-sf", Path.of("src/test/resources/sipp/uac-no-credit.xml").toAbsolutePath().toString(),
                    "-inf", tmp.resolve("caller.csv").toString(), "-s", "9123", "127.0.0.1:" + box, "-i", "127.0.0.1", "-p",
                    String.valueOf(SippRegisterTest.freeUdpPort()), "-m", "2", "-r", "2", "-nostdin", "-timeout", "30s", "-recv_timeout",
                    "5000").directory(tmp.toFile()).redirectErrorStream(true).start();
            String out = new String(caller.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(caller.waitFor(60, TimeUnit.SECONDS), out);
            assertEquals(0, caller.exitValue(), "both calls refused with 402:\n" + out);
            Thread.sleep(200);
            assertNull(trunk.receive(java.nio.ByteBuffer.allocate(4096)), "nothing reached the trunk, not even an ACK");
            b.calls().close();
            b.cdrs().close();
            prepaid.close();
            assertCdrs(b.ds(), 2, "[^,]+,sip:alice@127\\.0\\.0\\.1:\\d+,sip:9123@127\\.0\\.0\\.1:\\d+,127\\.0\\.0\\.1:\\d+,"
                        + "\\d+,,\\d+,0,refused,box,,,,,,,,,");
        }
    }

    private static int admitAgain(SQLiteDataSource ds) throws Exception {
        Prepaid p = new Prepaid(ds);
        p.policy(new Prepaid.Policy(List.of(new Prepaid.Tariff("9", 60.0)), Set.of("alice"), null, Map.of(), Map.of()));
        return p.admit("next", "alice", "9123", "provider").status();
    }
}
