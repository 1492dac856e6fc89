package org.besip.netconf.internal.ops;

import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.List;

import org.besip.netconf.internal.datastore.Datastores.Name;
import org.besip.netconf.internal.protocol.RpcError;
import org.besip.netconf.internal.yang.DataTrees;
import org.besip.netconf.internal.yang.Schema;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * ietf-netconf-monitoring (RFC 6022: capabilities, datastores, schemas, sessions, statistics and
 * the get-schema RPC) and ietf-yang-library (RFC 7895 modules-state) from the server's own state.
 */
public final class Monitoring implements NetconfServer.StateProvider, NetconfServer.RpcHandler {

    static final String NCM = NetconfServer.MONITORING;
    static final String YANGLIB = "urn:ietf:params:xml:ns:yang:ietf-yang-library";

    private final NetconfServer server;

    public Monitoring(NetconfServer server) {
        this.server = server;
    }

    public void register() {
        server.addStateProvider(this);
        server.registerRpc(NCM, "get-schema", this);
    }

    @Override
    public void contribute(Element data) {
        Document d = data.getOwnerDocument();
        Schema schema = server.schema();
        if (schema.module("ietf-netconf-monitoring") != null) {
            Element state = el(d, data, NCM, "netconf-state");
            Element caps = el(d, state, NCM, "capabilities");
            server.capabilities().forEach(c -> text(d, caps, NCM, "capability", c));
            Element stores = el(d, state, NCM, "datastores");
            for (Name n : Name.values()) {
                if (n == Name.STARTUP && !server.datastores().exists(n)) {
                    continue;
                }
                Element ds = el(d, stores, NCM, "datastore");
                text(d, ds, NCM, "name", n.xml());
                Long holder = server.datastores().lockHolder(n);
                if (holder != null) {
                    Element locks = el(d, ds, NCM, "locks");
                    Element global = el(d, locks, NCM, "global-lock");
                    text(d, global, NCM, "locked-by-session", String.valueOf(holder));
                    text(d, global, NCM, "locked-time", time(server.started));
                }
            }
            Element schemas = el(d, state, NCM, "schemas");
            for (Schema.ModuleInfo m : schema.modules()) {
                Element sc = el(d, schemas, NCM, "schema");
                text(d, sc, NCM, "identifier", m.name());
                text(d, sc, NCM, "version", m.revision() == null ? "" : m.revision());
                text(d, sc, NCM, "format", "ncm:yang").setAttribute("xmlns:ncm", NCM);
                text(d, sc, NCM, "namespace", m.namespace());
                text(d, sc, NCM, "location", "NETCONF");
            }
            Element sessions = el(d, state, NCM, "sessions");
            for (Session s : server.sessions()) {
                Element se = el(d, sessions, NCM, "session");
                text(d, se, NCM, "session-id", String.valueOf(s.id()));
                text(d, se, NCM, "transport", "ncm:netconf-ssh").setAttribute("xmlns:ncm", NCM);
                text(d, se, NCM, "username", s.user());
                text(d, se, NCM, "source-host", s.sourceAddress());
                text(d, se, NCM, "login-time", time(server.started));
            }
            Element stats = el(d, state, NCM, "statistics");
            text(d, stats, NCM, "netconf-start-time", time(server.started));
            text(d, stats, NCM, "in-bad-hellos", "0");
            text(d, stats, NCM, "in-sessions", String.valueOf(server.inSessions.get()));
            text(d, stats, NCM, "dropped-sessions", "0");
            text(d, stats, NCM, "in-rpcs", String.valueOf(server.inRpcs.get()));
            text(d, stats, NCM, "in-bad-rpcs", String.valueOf(server.inBadRpcs.get()));
            text(d, stats, NCM, "out-rpc-errors", String.valueOf(server.outRpcErrors.get()));
            text(d, stats, NCM, "out-notifications", String.valueOf(server.outNotifications.get()));
        }
        if (schema.module("ietf-yang-library") != null) {
            Element ms = el(d, data, YANGLIB, "modules-state");
            text(d, ms, YANGLIB, "module-set-id", Integer.toHexString(schema.modules().stream()
                    .map(m -> m.name() + "@" + m.revision()).toList().hashCode()));
            for (Schema.ModuleInfo m : schema.modules()) {
                Element mod = el(d, ms, YANGLIB, "module");
                text(d, mod, YANGLIB, "name", m.name());
                text(d, mod, YANGLIB, "revision", m.revision() == null ? "" : m.revision());
                text(d, mod, YANGLIB, "namespace", m.namespace());
                text(d, mod, YANGLIB, "conformance-type", "implement");
            }
        }
    }

    /** RFC 6022 §3.1: the text of a schema the server knows. */
    @Override
    public List<Element> invoke(Element input, Document reply, Session session) throws RpcError {
        String id = child(input, "identifier");
        String version = child(input, "version");
        String format = child(input, "format");
        if (id == null) {
            throw RpcError.badElement("protocol", "missing-element", "identifier", "get-schema needs an identifier");
        }
        if (format != null && !format.endsWith("yang")) {
            throw RpcError.application("invalid-value", "only the yang format is available");
        }
        Schema.ModuleInfo m = server.schema().module(id);
        if (m == null || (version != null && !version.isEmpty() && !version.equals(m.revision()))) {
            throw RpcError.application("invalid-value", "no schema '" + id + "'" + (version == null ? "" : " revision " + version));
        }
        Element data = reply.createElementNS(NCM, "data");
        data.setTextContent(m.text());
        return List.of(data);
    }

    private static String child(Element e, String name) {
        Element c = DataTrees.child(e, NCM, name);
        return c == null ? null : c.getTextContent().trim();
    }

    private static Element el(Document d, Element parent, String ns, String name) {
        Element e = d.createElementNS(ns, name);
        parent.appendChild(e);
        return e;
    }

    private static Element text(Document d, Element parent, String ns, String name, String value) {
        Element e = el(d, parent, ns, name);
        e.setTextContent(value);
        return e;
    }

    private static String time(Instant t) {
        return DateTimeFormatter.ISO_INSTANT.format(t);
    }
}
