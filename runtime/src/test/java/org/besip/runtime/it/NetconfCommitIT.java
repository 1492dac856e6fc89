package org.besip.runtime.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;

import javax.inject.Inject;

import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.channel.ClientChannel;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.client.keyverifier.AcceptAllServerKeyVerifier;
import org.besip.core.api.module.ModuleManager;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;

/**
 * The commit path inside the real runtime: a test bundle with a YANG module and a ConfigApplier
 * that refuses one value; a NETCONF client (MINA SSHD's own client, speaking base:1.0) commits an
 * accepted and a refused configuration. Starts: the base feature (core + netconf).
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class NetconfCommitIT {

    @Inject
    private BundleContext ctx;

    @Inject
    private ModuleManager modules;

    @Configuration
    public Option[] config() throws Exception {
        return BesipOptions.base("netconf-commit");
    }

    @Test
    public void aModuleThatRefusesStopsTheCommitAndRunningKeepsTheOldValue() throws Exception {
        Path fx = Path.of(ctx.getProperty("besip.it.fixtures"));
        try (InputStream in = Files.newInputStream(FixtureBundles.configurable(fx, "lambda", "1.0.0"))) {
            modules.installBundle(in);
        }
        Path applied = Path.of(ctx.getProperty("besip.data"), "applied-fixture-lambda.xml");
        String password = Files.readString(Path.of(ctx.getProperty("besip.data"), "admin-password.txt")).trim();
        int port = Integer.parseInt(ctx.getProperty("besip.netconf.port"));
        try (SshClient client = SshClient.setUpDefaultClient()) {
            client.setServerKeyVerifier(AcceptAllServerKeyVerifier.INSTANCE);
            client.start();
            try (ClientSession session = client.connect("admin", "127.0.0.1", port).verify(Duration.ofSeconds(10)).getSession()) {
                session.addPasswordIdentity(password);
                session.auth().verify(Duration.ofSeconds(10));
                try (ClientChannel ch = session.createSubsystemChannel("netconf")) {
                    ch.open().verify(Duration.ofSeconds(10));
                    Wire wire = new Wire(ch.getInvertedIn(), ch.getInvertedOut());
                    assertTrue(wire.read().contains("urn:besip:it:lambda?module=fixture-lambda"));
                    wire.send("<hello xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\"><capabilities><capability>"
                            + "urn:ietf:params:netconf:base:1.0</capability></capabilities></hello>");
                    String ok = wire.rpc("<edit-config><target><candidate/></target><config><settings xmlns=\"urn:besip:it:lambda\">"
                            + "<greeting>salut</greeting></settings></config></edit-config>");
                    assertTrue(ok, ok.contains("<ok/>"));
                    assertTrue(wire.rpc("<commit/>").contains("<ok/>"));
                    assertTrue(Files.readString(applied).contains(">salut<"));

                    wire.rpc("<edit-config><target><candidate/></target><config><settings xmlns=\"urn:besip:it:lambda\">"
                            + "<greeting>refuse</greeting></settings></config></edit-config>");
                    String refused = wire.rpc("<commit/>");
                    assertTrue(refused, refused.contains("<error-tag>operation-failed</error-tag>"));
                    assertTrue(refused, refused.contains("module fixture-lambda refused the configuration at /greeting"));
                    String running = wire.rpc("<get-config><source><running/></source></get-config>");
                    assertTrue(running, running.contains("<greeting>salut</greeting>"));
                    assertFalse(running, running.contains("refuse"));
                    assertTrue(Files.readString(applied).contains(">salut<"));
                    assertTrue(wire.rpc("<discard-changes/>").contains("<ok/>"));
                    wire.rpc("<close-session/>");
                    ch.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), Duration.ofSeconds(10));
                }
            }
        }
        assertEquals(1, modules.list().stream().filter(m -> m.name().equals("lambda")).count());
    }

    /** End-of-message framing over the channel's streams. */
    private static final class Wire {
        private final OutputStream out;
        private final InputStream in;
        private int id;

        Wire(OutputStream out, InputStream in) {
            this.out = out;
            this.in = in;
        }

        void send(String msg) throws Exception {
            out.write((msg + "]]>]]>").getBytes(StandardCharsets.UTF_8));
            out.flush();
        }

        String read() throws Exception {
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            long deadline = System.currentTimeMillis() + 20_000;
            while (!buf.toString(StandardCharsets.UTF_8).endsWith("]]>]]>")) {
                int b = in.read();
                if (b < 0 || System.currentTimeMillis() > deadline) {
                    throw new AssertionError("no complete message: " + buf);
                }
                buf.write(b);
            }
            String s = buf.toString(StandardCharsets.UTF_8);
            return s.substring(0, s.length() - 6);
        }

        String rpc(String op) throws Exception {
            send("<rpc message-id=\"" + (++id) + "\" xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\">" + op + "</rpc>");
            return read();
        }
    }
}
