package org.besip.runtime.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import javax.inject.Inject;

import org.besip.core.api.config.ConfigEditor;
import org.besip.core.api.config.ConfigRejectedException;
import org.besip.core.api.module.ModuleManager;
import org.besip.core.api.traffic.TrafficInspector;
import org.besip.core.api.traffic.Transport;
import org.besip.core.api.traffic.Verdict;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

/**
 * The security hook inside the runtime (issue 4 §7): a {@link TrafficInspector} service that some
 * bundle registers sees every SIP datagram the PBX receives before it is parsed, its DROP is
 * silent, and when the service goes away the PBX accepts everything again, without a restart.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class PbxInspectorIT {

    @Inject
    private BundleContext ctx;

    @Inject
    private ModuleManager modules;

    @Inject
    private ConfigEditor editor;

    @Configuration
    public Option[] config() throws Exception {
        Option[] base = BesipOptions.base("pbx-inspector",
                (features, bundles) -> Files.copy(BesipOptions.dist().resolve("features/pbx.json"), features.resolve("pbx.json")));
        List<Option> all = new ArrayList<>(Arrays.asList(base));
        all.add(frameworkProperty("besip.sip.host").value("127.0.0.1"));
        all.add(frameworkProperty("besip.sip.port").value("0")); // the test configures the listen port when it runs
        return all.toArray(new Option[0]);
    }

    /** The SIP port, chosen when the test runs (a port chosen at configuration time may be taken by then). */
    private int port;

    /** Sends an OPTIONS to the box; its answer's status line, or null when none came. */
    private String options(DatagramSocket s, String extraHeader) throws Exception {
        String msg = "OPTIONS sip:127.0.0.1:" + port + " SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:" + s.getLocalPort()
                + ";branch=z9hG4bK" + System.nanoTime() + "\r\nFrom: <sip:it@127.0.0.1>;tag=1\r\nTo: <sip:127.0.0.1>\r\n"
                + "Call-ID: it-" + System.nanoTime() + "\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n" + extraHeader
                + "Content-Length: 0\r\n\r\n";
        byte[] b = msg.getBytes(StandardCharsets.UTF_8);
        s.send(new DatagramPacket(b, b.length, InetAddress.getByName("127.0.0.1"), port));
        DatagramPacket in = new DatagramPacket(new byte[4096], 4096);
        try {
            s.receive(in);
        } catch (SocketTimeoutException e) {
            return null;
        }
        String text = new String(in.getData(), 0, in.getLength(), StandardCharsets.UTF_8);
        return text.substring(0, text.indexOf("\r\n"));
    }

    @Test
    public void anInspectorServiceSeesEveryMessageFirstItsDropIsSilentAndItsLeavingAcceptsAgain() throws Exception {
        modules.enable("pbx");
        port = BesipProcess.freeUdpAndTcpPort();
        long deadline = System.currentTimeMillis() + 30_000;
        while (true) { // the module's YANG arrives with its bundle
            try {
                editor.merge("<pbx xmlns=\"urn:besip:params:xml:ns:yang:besip-pbx\"><listen><address>127.0.0.1</address><port>" + port
                        + "</port></listen><user><name>alice</name><password>Sup3r-secret-pw</password></user></pbx>");
                break;
            } catch (ConfigRejectedException e) {
                if (System.currentTimeMillis() > deadline) {
                    throw e;
                }
                Thread.sleep(200);
            }
        }
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getByName("127.0.0.1"))) {
            s.setSoTimeout(1000);
            String answer = null;
            while (answer == null && System.currentTimeMillis() < deadline) {
                answer = options(s, "");
            }
            assertEquals("the PBX answers on 127.0.0.1:" + port, "SIP/2.0 200 OK", answer);

            List<String> seen = new CopyOnWriteArrayList<>();
            TrafficInspector inspector = (source, transport, bytes) -> {
                String text = StandardCharsets.UTF_8.decode(bytes).toString();
                seen.add(transport + " " + source.getPort() + " " + text.substring(0, text.indexOf(' ')));
                return transport == Transport.UDP && text.contains("X-Test: drop-me") ? Verdict.DROP : Verdict.ACCEPT;
            };
            ServiceRegistration<TrafficInspector> reg = ctx.registerService(TrafficInspector.class, inspector, null);
            try {
                assertNull("dropped silently", options(s, "X-Test: drop-me\r\n"));
                assertEquals("SIP/2.0 200 OK", options(s, ""));
                assertEquals(List.of("UDP " + s.getLocalPort() + " OPTIONS", "UDP " + s.getLocalPort() + " OPTIONS"), seen);
            } finally {
                reg.unregister();
            }
            assertEquals("no inspector: accepted", "SIP/2.0 200 OK", options(s, "X-Test: drop-me\r\n"));
            assertTrue(seen.size() == 2);
        }
    }
}
