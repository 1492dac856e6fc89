package org.besip.netconf.internal.protocol;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.besip.netconf.internal.datastore.Datastores;
import org.besip.netconf.internal.ops.NetconfServer;
import org.besip.netconf.internal.ops.Session;
import org.besip.netconf.internal.yang.DataTrees;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.xml.sax.SAXException;

/**
 * One NETCONF session over an SSH channel: hello exchange and framing negotiation (RFC 6241
 * §8.1, RFC 6242 §4.1), then one reply per {@code <rpc>} until close-session, kill-session or the
 * channel closing.
 */
public final class NetconfSession implements Session, Runnable {

    public static final String BASE_10 = "urn:ietf:params:netconf:base:1.0";
    public static final String BASE_11 = "urn:ietf:params:netconf:base:1.1";
    private static final Logger LOG = LoggerFactory.getLogger(NetconfSession.class);

    private final long id;
    private final String user;
    private final String source;
    private final InputStream in;
    private final OutputStream out;
    private final NetconfServer server;
    private final List<String> capabilities;
    private final Runnable onExit;
    private final MessageReader reader;
    private final MessageWriter writer;
    private volatile boolean running = true;

    public NetconfSession(long id, String user, String source, InputStream in, OutputStream out, NetconfServer server,
            List<String> capabilities, int maxMessageBytes, Runnable onExit) {
        this.id = id;
        this.user = user;
        this.source = source;
        this.in = in;
        this.out = out;
        this.server = server;
        this.capabilities = capabilities;
        this.onExit = onExit;
        this.reader = new MessageReader(in, maxMessageBytes);
        this.writer = new MessageWriter(out);
    }

    @Override
    public void run() {
        boolean opened = false;
        try {
            writer.write(hello());
            byte[] first = reader.nextHello();
            if (first == null) {
                return;
            }
            Set<String> theirs = clientCapabilities(first);
            if (!theirs.contains(BASE_10) && !theirs.contains(BASE_11)) {
                LOG.info("session {}: client hello has no base capability; closing", id);
                return;
            }
            if (reader.helloWasChunked() && !theirs.contains(BASE_11)) {
                LOG.info("session {}: client hello came in chunked framing without base:1.1; closing", id);
                return;
            }
            if (reader.helloWasChunked()) {
                LOG.info("session {}: client hello came in chunked framing (RFC 6242 wants ]]>]]>; ncclient issue #524); accepted", id);
            }
            if (theirs.contains(BASE_11)) {
                reader.useChunkedFraming();
                writer.useChunkedFraming();
            }
            server.opened(this);
            opened = true;
            while (running) {
                byte[] msg;
                try {
                    msg = reader.next();
                } catch (MessageReader.TooBig e) {
                    LOG.warn("session {}: a message of {} bytes refused (the limit is {} bytes)", id, e.size(), e.limit());
                    writer.write(error("rpc", "too-big", "the message is " + e.size() + " bytes, more than this box takes ("
                            + e.limit() / 1024 + " KiB, besip.netconf.max-message-kib); nothing was done: send the change in parts"));
                    continue;
                }
                if (msg == null) {
                    break;
                }
                Document request;
                Document reply;
                try {
                    try {
                        request = DataTrees.builder().parse(new ByteArrayInputStream(msg));
                    } catch (SAXException e) {
                        writer.write(malformed(e.getMessage()));
                        continue;
                    }
                    msg = null;
                    reply = server.handle(this, request);
                } catch (OutOfMemoryError e) {
                    // the last resort: the request's tree is garbage now; the box and the session go on
                    msg = null;
                    LOG.error("session {}: out of memory handling a request; refused", id);
                    writer.write(error("application", "resource-denied", "the box ran out of memory handling this request, which was not "
                            + "completed: send the change in parts"));
                    continue;
                }
                writer.write(Datastores.serialize(reply.getDocumentElement()));
                if (isCloseSession(request)) {
                    break;
                }
            }
        } catch (FramingException e) {
            LOG.info("session {}: {}; closing", id, e.getMessage());
        } catch (IOException e) {
            LOG.debug("session {} ended: {}", id, e.getMessage());
        } catch (SAXException e) {
            LOG.info("session {}: bad hello ({}); closing", id, e.getMessage());
        } finally {
            running = false;
            if (opened) {
                server.closed(this);
            }
            onExit.run();
        }
    }

    private byte[] hello() {
        Document d = DataTrees.newDocument();
        Element hello = d.createElementNS(NetconfServer.NC, "hello");
        d.appendChild(hello);
        Element caps = d.createElementNS(NetconfServer.NC, "capabilities");
        hello.appendChild(caps);
        for (String c : capabilities) {
            Element cap = d.createElementNS(NetconfServer.NC, "capability");
            cap.setTextContent(c);
            caps.appendChild(cap);
        }
        Element sid = d.createElementNS(NetconfServer.NC, "session-id");
        sid.setTextContent(String.valueOf(id));
        hello.appendChild(sid);
        return Datastores.serialize(hello);
    }

    /** The client's capabilities; RFC 6241 §8.1: a client hello with a session-id is an error. */
    private static Set<String> clientCapabilities(byte[] msg) throws SAXException, IOException {
        Element hello = DataTrees.builder().parse(new ByteArrayInputStream(msg)).getDocumentElement();
        Set<String> caps = new HashSet<>();
        if (!"hello".equals(hello.getLocalName()) || !NetconfServer.NC.equals(hello.getNamespaceURI())
                || DataTrees.child(hello, NetconfServer.NC, "session-id") != null) {
            return caps;
        }
        Element list = DataTrees.child(hello, NetconfServer.NC, "capabilities");
        if (list != null) {
            for (Element c : DataTrees.children(list)) {
                caps.add(c.getTextContent().trim());
            }
        }
        return caps;
    }

    private static boolean isCloseSession(Document request) {
        Element rpc = request.getDocumentElement();
        List<Element> ops = DataTrees.children(rpc);
        return ops.size() == 1 && "close-session".equals(ops.get(0).getLocalName())
                && NetconfServer.NC.equals(ops.get(0).getNamespaceURI());
    }

    private static byte[] malformed(String why) {
        return error("rpc", "malformed-message", "the message is not well-formed XML: " + why);
    }

    /** An rpc-reply with one rpc-error, for a message that could not be read as an rpc (so it has no message-id). */
    private static byte[] error(String type, String tag, String message) {
        Document d = DataTrees.newDocument();
        Element reply = d.createElementNS(NetconfServer.NC, "rpc-reply");
        d.appendChild(reply);
        Element err = d.createElementNS(NetconfServer.NC, "rpc-error");
        reply.appendChild(err);
        for (String[] kv : new String[][] { { "error-type", type }, { "error-tag", tag },
                { "error-severity", "error" }, { "error-message", message } }) {
            Element e = d.createElementNS(NetconfServer.NC, kv[0]);
            e.setTextContent(kv[1]);
            err.appendChild(e);
        }
        return Datastores.serialize(reply);
    }

    @Override
    public long id() {
        return id;
    }

    @Override
    public String user() {
        return user;
    }

    @Override
    public String sourceAddress() {
        return source;
    }

    @Override
    public void send(byte[] message) throws IOException {
        writer.write(message);
    }

    @Override
    public void terminate() {
        running = false;
        try {
            in.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        try {
            out.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
