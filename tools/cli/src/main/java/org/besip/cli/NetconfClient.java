package org.besip.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;

import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.channel.ChannelSubsystem;
import org.apache.sshd.client.keyverifier.AcceptAllServerKeyVerifier;
import org.apache.sshd.client.keyverifier.KnownHostsServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.config.keys.FilePasswordProvider;
import org.apache.sshd.common.util.security.SecurityUtils;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.SAXException;

/**
 * A NETCONF session over SSH (RFC 6242) with the box: Apache MINA SSHD's client, the
 * {@code netconf} subsystem, base:1.0 end-of-message framing (the box speaks both; 1.0 keeps
 * this client small). Host keys are checked against a known-hosts file: a host seen for the first
 * time is written down, a host whose key changed is refused.
 */
final class NetconfClient implements AutoCloseable {

    static final String NC = "urn:ietf:params:xml:ns:netconf:base:1.0";
    private static final byte[] EOM = "]]>]]>".getBytes(StandardCharsets.US_ASCII);

    /** What the box answered with {@code <rpc-error>}s: each one's message and path. */
    static final class RpcFailure extends Exception {
        private static final long serialVersionUID = 1L;
        final transient List<Failure> errors;

        RpcFailure(List<Failure> errors) {
            super(errors.isEmpty() ? "the box refused" : errors.get(0).toString());
            this.errors = errors;
        }
    }

    /** One rpc-error: its tag, message and path (null when it has none). */
    record Failure(String tag, String message, String path) {
        @Override
        public String toString() {
            return message + (path == null || path.isEmpty() ? "" : " (at " + path + ")");
        }
    }

    private final SshClient client;
    private final ClientSession session;
    private final ChannelSubsystem channel;
    private final InputStream in;
    private final OutputStream out;
    private final AtomicLong ids = new AtomicLong();

    /**
     * Opens a session as {@code user} with {@code password} or, when it is null, the private key
     * {@code key}; {@code knownHosts} is the file host keys are checked against.
     */
    NetconfClient(String host, int port, String user, String password, Path key, Path knownHosts) throws IOException {
        if (!java.nio.file.Files.exists(knownHosts)) { // the verifier writes new hosts into an existing file
            java.nio.file.Files.createDirectories(knownHosts.toAbsolutePath().getParent());
            java.nio.file.Files.createFile(knownHosts);
        }
        client = SshClient.setUpDefaultClient();
        client.setServerKeyVerifier(new KnownHostsServerKeyVerifier(AcceptAllServerKeyVerifier.INSTANCE, knownHosts));
        client.start();
        try {
            session = client.connect(user, host, port).verify(Duration.ofSeconds(10)).getSession();
            if (password != null) {
                session.addPasswordIdentity(password);
            } else if (key != null) {
                try (InputStream k = java.nio.file.Files.newInputStream(key)) {
                    for (KeyPair kp : SecurityUtils.loadKeyPairIdentities(session, null, k, FilePasswordProvider.EMPTY)) {
                        session.addPublicKeyIdentity(kp);
                    }
                } catch (java.security.GeneralSecurityException e) {
                    throw new IOException("cannot read the key " + key + ": " + e.getMessage(), e);
                }
            }
            session.auth().verify(Duration.ofSeconds(15));
            channel = session.createSubsystemChannel("netconf");
            PipedOutputStream toBox = new PipedOutputStream();
            PipedInputStream fromUs = new PipedInputStream(toBox, 1 << 16);
            PipedInputStream fromBox = new PipedInputStream(1 << 20);
            PipedOutputStream toUs = new PipedOutputStream(fromBox);
            channel.setIn(fromUs);
            channel.setOut(toUs);
            channel.setErr(new ByteArrayOutputStream());
            channel.open().verify(Duration.ofSeconds(10));
            in = fromBox;
            out = toBox;
            send("<hello xmlns=\"" + NC + "\"><capabilities><capability>urn:ietf:params:netconf:base:1.0</capability></capabilities></hello>");
            read(); // the box's hello
        } catch (IOException | RuntimeException e) {
            client.stop();
            throw e;
        }
    }

    /** Sends {@code operation} (one element's XML) as an rpc; returns the rpc-reply. @throws RpcFailure the box answered rpc-errors */
    synchronized Element rpc(String operation) throws IOException, RpcFailure {
        send("<rpc message-id=\"" + ids.incrementAndGet() + "\" xmlns=\"" + NC + "\">" + operation + "</rpc>");
        Element reply = read();
        List<Failure> errors = new ArrayList<>();
        for (Node n = reply.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && "rpc-error".equals(e.getLocalName())) {
                errors.add(new Failure(text(e, "error-tag"), text(e, "error-message"), text(e, "error-path")));
            }
        }
        if (!errors.isEmpty()) {
            throw new RpcFailure(errors);
        }
        return reply;
    }

    private void send(String xml) throws IOException {
        out.write(xml.getBytes(StandardCharsets.UTF_8));
        out.write(EOM);
        out.flush();
    }

    private Element read() throws IOException {
        ByteArrayOutputStream msg = new ByteArrayOutputStream();
        int matched = 0;
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("the box closed the session");
            }
            msg.write(b);
            matched = b == EOM[matched] ? matched + 1 : (b == EOM[0] ? 1 : 0);
            if (matched == EOM.length) {
                byte[] all = msg.toByteArray();
                return parse(java.util.Arrays.copyOf(all, all.length - EOM.length));
            }
            if (msg.size() > (64 << 20)) {
                throw new IOException("a reply of more than 64 MiB");
            }
        }
    }

    static Element parse(byte[] xml) throws IOException {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setNamespaceAware(true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            DocumentBuilder b = f.newDocumentBuilder();
            Document d = b.parse(new ByteArrayInputStream(xml));
            return d.getDocumentElement();
        } catch (ParserConfigurationException | SAXException e) {
            throw new IOException("the box sent bad XML: " + e.getMessage(), e);
        }
    }

    static String text(Element parent, String name) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && name.equals(e.getLocalName())) {
                return e.getTextContent().trim();
            }
        }
        return null;
    }

    @Override
    public void close() {
        try {
            send("<rpc message-id=\"" + ids.incrementAndGet() + "\" xmlns=\"" + NC + "\"><close-session/></rpc>");
        } catch (IOException e) {
            // closing anyway
        }
        channel.close(true);
        session.close(true);
        client.stop();
    }
}
