package org.besip.runtime.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;

import java.io.InputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.jar.JarInputStream;

import javax.inject.Inject;

import org.besip.core.api.config.ConfigApplier;
import org.besip.core.api.config.ConfigEditor;
import org.besip.core.api.config.ConfigRejectedException;
import org.besip.core.api.module.ModuleManager;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/**
 * The security module beside a PBX that serves traffic (issue 5 §6): disabling it stops
 * inspection while the PBX keeps answering, enabling it puts its rules and its active blocks back,
 * and upgrading it to a new version loses no block. The PBX is never restarted.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class SecurityHotPlugIT {

    @Inject
    private BundleContext ctx;

    @Inject
    private ModuleManager modules;

    @Inject
    private ConfigEditor editor;

    @Configuration
    public Option[] config() throws Exception {
        Option[] base = BesipOptions.base("security-hot-plug", (features, bundles) -> {
            Files.copy(BesipOptions.dist().resolve("features/pbx.json"), features.resolve("pbx.json"));
            Files.copy(BesipOptions.dist().resolve("features/security.json"), features.resolve("security.json"));
        });
        List<Option> all = new ArrayList<>(Arrays.asList(base));
        all.add(frameworkProperty("besip.sip.host").value("127.0.0.1"));
        all.add(frameworkProperty("besip.sip.port").value("0"));
        return all.toArray(new Option[0]);
    }

    private static int port;

    /** An OPTIONS from {@code s}; the answer's status line, or null when none came within the socket's timeout. */
    private String options(DatagramSocket s) throws Exception {
        send(s, "OPTIONS");
        DatagramPacket in = new DatagramPacket(new byte[4096], 4096);
        while (true) {
            try {
                s.receive(in);
            } catch (SocketTimeoutException e) {
                return null;
            }
            String text = new String(in.getData(), 0, in.getLength(), StandardCharsets.UTF_8);
            if (text.contains("CSeq: 1 OPTIONS")) {
                return text.substring(0, text.indexOf("\r\n"));
            }
        }
    }

    private void send(DatagramSocket s, String method) throws Exception {
        String msg = method + " sip:127.0.0.1:" + port + " SIP/2.0\r\nVia: SIP/2.0/UDP " + s.getLocalAddress().getHostAddress() + ":"
                + s.getLocalPort() + ";branch=z9hG4bK" + System.nanoTime() + "\r\nFrom: <sip:alice@127.0.0.1>;tag=1\r\nTo: <sip:alice@127.0.0.1>\r\n"
                + "Call-ID: hp-" + System.nanoTime() + "\r\nCSeq: 1 " + method + "\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
        byte[] b = msg.getBytes(StandardCharsets.UTF_8);
        s.send(new DatagramPacket(b, b.length, InetAddress.getByName("127.0.0.1"), port));
    }

    /**
     * 60 REGISTERs at once: past BESIP's rule (50 in 5 s). Returns once the box has answered the 50
     * the rule lets through (bounded: 20 s), so it has also seen the ones after them.
     */
    private void flood(DatagramSocket s) throws Exception {
        for (int i = 0; i < 60; i++) {
            send(s, "REGISTER");
        }
        int answered = 0;
        long deadline = System.currentTimeMillis() + 20_000;
        while (answered < 50 && System.currentTimeMillis() < deadline) {
            DatagramPacket in = new DatagramPacket(new byte[4096], 4096);
            try {
                s.receive(in);
            } catch (SocketTimeoutException e) {
                continue;
            }
            if (new String(in.getData(), 0, in.getLength(), StandardCharsets.UTF_8).contains("CSeq: 1 REGISTER")) {
                answered++;
            }
        }
        assertTrue("the box answered the REGISTERs before the rule's count (" + answered + " of 50)", answered >= 50);
        drain(s);
    }

    private static void drain(DatagramSocket s) throws Exception {
        int timeout = s.getSoTimeout();
        s.setSoTimeout(50);
        try {
            while (true) {
                s.receive(new DatagramPacket(new byte[4096], 4096));
            }
        } catch (SocketTimeoutException e) {
            // empty
        } finally {
            s.setSoTimeout(timeout);
        }
    }

    private static DatagramSocket from(String address) throws Exception {
        DatagramSocket s = new DatagramSocket(0, InetAddress.getByName(address));
        s.setSoTimeout(700);
        return s;
    }

    /** Waits until {@code s}'s OPTIONS gets {@code expected} (null: no answer). */
    private void await(DatagramSocket s, String expected, String why) throws Exception {
        long deadline = System.currentTimeMillis() + 20_000;
        String got;
        do {
            got = options(s);
        } while (!java.util.Objects.equals(expected, got) && System.currentTimeMillis() < deadline);
        assertEquals(why, expected, got);
    }

    private void merge(String xml) throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        while (true) { // a module's YANG arrives with its bundle
            try {
                editor.merge(xml);
                return;
            } catch (ConfigRejectedException e) {
                if (System.currentTimeMillis() > deadline) {
                    throw e;
                }
                Thread.sleep(200);
            }
        }
    }

    private long pbxApplier() throws Exception {
        ServiceReference<?>[] refs = ctx.getServiceReferences(ConfigApplier.class.getName(), "(besip.yang.module=besip-pbx)");
        assertTrue("the PBX runs", refs != null && refs.length == 1);
        return (Long) refs[0].getProperty("service.id");
    }

    /** The security bundle's jar with a higher Bundle-Version: "the next release". */
    private Path nextRelease() throws Exception {
        Bundle sec = Arrays.stream(ctx.getBundles()).filter(b -> "org.besip.security".equals(b.getSymbolicName())).findFirst().orElseThrow();
        Path dist = Path.of(ctx.getProperty("besip.home"));
        Path jar;
        try (var files = Files.list(dist.resolve("bundles"))) {
            jar = files.filter(p -> p.getFileName().toString().startsWith("besip-security-")).findFirst().orElseThrow();
        }
        try (JarInputStream in = new JarInputStream(Files.newInputStream(jar))) {
            assertEquals(sec.getVersion().toString(), in.getManifest().getMainAttributes().getValue("Bundle-Version"));
        }
        Path next = FixtureBundles.asVersion(jar, "1.0.1", Files.createTempFile("besip-security-next", ".jar"));
        return next;
    }

    /** Set once for the class: the framework is shared by the tests (PerClass). */
    private static long pbx;

    @Before
    public void pbxServing() throws Exception {
        if (port == 0) {
            modules.enable("pbx");
            port = BesipProcess.freeUdpAndTcpPort();
            merge("<pbx xmlns=\"urn:besip:params:xml:ns:yang:besip-pbx\"><listen><address>127.0.0.1</address><port>" + port
                    + "</port></listen><user><name>alice</name><password>Sup3r-secret-pw</password></user></pbx>");
            merge("<security xmlns=\"urn:besip:params:xml:ns:yang:besip-security\"><firewall>none</firewall></security>");
            pbx = pbxApplier();
        }
        try (DatagramSocket local = from("127.0.0.1")) {
            await(local, "SIP/2.0 200 OK", "the PBX answers");
        }
    }

    @After
    public void pbxNeverRestarted() throws Exception {
        assertEquals("the PBX was never restarted", pbx, pbxApplier());
    }

    @Test
    public void disablingTheModuleStopsInspectionWhileThePbxKeepsAnswering() throws Exception {
        try (DatagramSocket local = from("127.0.0.1"); DatagramSocket a = from("127.0.0.5"); DatagramSocket b = from("127.0.0.6")) {
            assertEquals("SIP/2.0 200 OK", options(a));
            flood(a);
            assertNull("the flooder is blocked by BESIP's rule", options(a));
            modules.disable("security");
            try {
                await(a, "SIP/2.0 200 OK", "security disabled: no inspection, the PBX answers the blocked source");
                flood(b);
                assertEquals("no rules run while disabled", "SIP/2.0 200 OK", options(b));
                assertEquals("SIP/2.0 200 OK", options(local));
            } finally {
                modules.enable("security");
            }
        }
    }

    @Test
    public void enablingTheModuleRestoresItsRulesAndActiveBlocks() throws Exception {
        try (DatagramSocket local = from("127.0.0.1"); DatagramSocket c = from("127.0.0.8"); DatagramSocket d = from("127.0.0.9")) {
            flood(c);
            assertNull("blocked", options(c));
            modules.disable("security");
            await(c, "SIP/2.0 200 OK", "disabled: answered");
            modules.enable("security");
            await(c, null, "enabled again: the saved block is back");
            flood(d);
            assertNull("enabled again: the rules are back", options(d));
            assertEquals("SIP/2.0 200 OK", options(local));
        }
    }

    @Test
    public void anUpgradeToANewVersionLosesNoActiveBlock() throws Exception {
        try (DatagramSocket local = from("127.0.0.1"); DatagramSocket e = from("127.0.0.10"); DatagramSocket f = from("127.0.0.11")) {
            flood(e);
            assertNull("blocked", options(e));
            try (InputStream jar = Files.newInputStream(nextRelease())) {
                modules.upgrade("security", jar);
            }
            Bundle upgraded = Arrays.stream(ctx.getBundles()).filter(x -> "org.besip.security".equals(x.getSymbolicName())).findFirst()
                    .orElseThrow();
            assertEquals("1.0.1", upgraded.getVersion().toString());
            assertEquals(Bundle.ACTIVE, upgraded.getState());
            assertEquals("SIP/2.0 200 OK", options(local));
            await(local, "SIP/2.0 200 OK", "the PBX answers throughout");
            await(e, null, "no block lost in the upgrade (once the new version's component is up)");
            flood(f);
            assertNull("the new version runs the rules", options(f));
        }
    }
}
