package org.besip.netconf.internal.ops;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

import org.besip.core.api.config.ConfigApplier;
import org.besip.core.api.config.ConfigRejectedException;
import org.besip.netconf.internal.datastore.CommitHistory;
import org.besip.netconf.internal.datastore.Datastores;
import org.besip.netconf.internal.datastore.Datastores.Name;
import org.besip.netconf.internal.protocol.RpcError;
import org.besip.netconf.internal.yang.DataTrees;
import org.besip.netconf.internal.yang.Schema;
import org.besip.netconf.internal.yang.Validator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.xml.sax.SAXException;

/**
 * The NETCONF operations of RFC 6241 (with :candidate, :confirmed-commit, :validate, :startup,
 * :url for file:, :writable-running) and RFC 5277 subscriptions, on the datastores, against the
 * current schema. The commit path is: validate, then every affected module's
 * {@link ConfigApplier#prepare}, then all {@code apply} or all {@code abort}; running changes only
 * when every module agreed.
 */
public final class NetconfServer {

    public static final String NC = EditConfig.NC;
    public static final String NOTIF = "urn:ietf:params:xml:ns:netconf:notification:1.0";
    public static final String MONITORING = "urn:ietf:params:xml:ns:yang:ietf-netconf-monitoring";
    public static final String NC_NOTIFICATIONS = "urn:ietf:params:xml:ns:yang:ietf-netconf-notifications";
    static final String SYS = "urn:besip:params:xml:ns:yang:besip-system";
    static final long DEFAULT_CONFIRM_TIMEOUT_S = 600;

    /** Adds state (config false) nodes to what {@code <get>} returns. */
    public interface StateProvider {
        void contribute(Element data);
    }

    /** An RPC a module defines in YANG (e.g. besip-system:install-module). */
    public interface RpcHandler {
        /** @return the {@code <rpc-reply>} content, or null for {@code <ok/>} */
        List<Element> invoke(Element input, Document replyDoc, Session session) throws RpcError, RpcErrors;
    }

    private static final Logger LOG = LoggerFactory.getLogger(NetconfServer.class);

    private volatile Schema schema;
    private final Datastores datastores;
    private final Function<String, List<ConfigApplier>> appliers;
    private final Path filesDir;
    private final Map<Long, Session> sessions = new ConcurrentHashMap<>();
    private final Set<Long> subscribers = ConcurrentHashMap.newKeySet();
    private final Map<String, RpcHandler> rpcHandlers = new ConcurrentHashMap<>();
    private final List<StateProvider> stateProviders = new java.util.concurrent.CopyOnWriteArrayList<>();
    final Instant started = Instant.now();
    final AtomicLong inSessions = new AtomicLong();
    final AtomicLong inRpcs = new AtomicLong();
    final AtomicLong inBadRpcs = new AtomicLong();
    final AtomicLong outRpcErrors = new AtomicLong();
    final AtomicLong outNotifications = new AtomicLong();
    private final AtomicLong transactions = new AtomicLong();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "netconf-confirmed-commit");
        t.setDaemon(true);
        return t;
    });
    /** A confirmed commit waiting for its confirmation (RFC 6241 §8.4). */
    private PendingConfirm pending;

    private record PendingConfirm(Element rollbackTo, long session, String persistId, ScheduledFuture<?> timeout) {
    }

    public NetconfServer(Schema schema, Datastores datastores, Function<String, List<ConfigApplier>> appliers, Path filesDir) {
        this.schema = schema;
        this.datastores = datastores;
        this.appliers = appliers;
        this.filesDir = filesDir;
    }

    public void setSchema(Schema schema) {
        this.schema = schema;
    }

    public Schema schema() {
        return schema;
    }

    public Datastores datastores() {
        return datastores;
    }

    public void registerRpc(String namespace, String name, RpcHandler handler) {
        rpcHandlers.put(namespace + "|" + name, handler);
    }

    public void unregisterRpc(String namespace, String name) {
        rpcHandlers.remove(namespace + "|" + name);
    }

    public void addStateProvider(StateProvider p) {
        stateProviders.add(p);
    }

    /** RFC 6241 §8 capabilities plus one per loaded YANG module (§8.1, RFC 7950 §5.6.4). */
    public List<String> capabilities() {
        List<String> caps = new ArrayList<>(List.of("urn:ietf:params:netconf:base:1.0", "urn:ietf:params:netconf:base:1.1",
                "urn:ietf:params:netconf:capability:writable-running:1.0",
                "urn:ietf:params:netconf:capability:candidate:1.0",
                "urn:ietf:params:netconf:capability:confirmed-commit:1.1",
                "urn:ietf:params:netconf:capability:rollback-on-error:1.0",
                "urn:ietf:params:netconf:capability:validate:1.1",
                "urn:ietf:params:netconf:capability:startup:1.0",
                "urn:ietf:params:netconf:capability:url:1.0?scheme=file",
                "urn:ietf:params:netconf:capability:xpath:1.0",
                "urn:ietf:params:netconf:capability:notification:1.0",
                "urn:ietf:params:netconf:capability:interleave:1.0"));
        for (Schema.ModuleInfo m : schema.modules()) {
            caps.add(m.namespace() + "?module=" + m.name() + (m.revision() == null ? "" : "&revision=" + m.revision()));
        }
        return caps;
    }

    public void opened(Session s) {
        sessions.put(s.id(), s);
        inSessions.incrementAndGet();
    }

    /** A session ended, however: its locks go; a confirmed commit it made without persist rolls back. */
    public void closed(Session s) {
        sessions.remove(s.id());
        subscribers.remove(s.id());
        datastores.sessionEnded(s.id());
        synchronized (this) {
            if (pending != null && pending.session == s.id() && pending.persistId == null) {
                LOG.info("session {} ended before confirming its commit: rolling back", s.id());
                rollbackPending();
            }
        }
    }

    /** A confirmed commit waiting: the session that made it, whether it has a persist token, and when it rolls back (epoch ms). */
    public record Pending(long session, boolean persisted, long rollsBackAtMs) {
    }

    /** The confirmed commit waiting for its confirmation, if one is. */
    public synchronized java.util.Optional<Pending> pendingConfirm() {
        return pending == null ? java.util.Optional.empty()
                : java.util.Optional.of(new Pending(pending.session, pending.persistId != null,
                        System.currentTimeMillis() + pending.timeout.getDelay(TimeUnit.MILLISECONDS)));
    }

    public Collection<Session> sessions() {
        return sessions.values();
    }

    public void shutdown() {
        timer.shutdownNow();
    }

    // ---- dispatch ----

    /**
     * Answers one {@code <rpc>}. The reply is always an {@code <rpc-reply>}, with the request's
     * attributes, holding data, {@code <ok/>} or {@code <rpc-error>}s.
     */
    public Document handle(Session session, Document request) {
        Element rpc = request.getDocumentElement();
        Document reply = DataTrees.newDocument();
        Element root = reply.createElementNS(NC, "rpc-reply");
        reply.appendChild(root);
        var attrs = rpc.getAttributes();
        for (int i = 0; i < attrs.getLength(); i++) {
            var a = attrs.item(i);
            if (!"http://www.w3.org/2000/xmlns/".equals(a.getNamespaceURI())) {
                root.setAttributeNS(a.getNamespaceURI(), a.getNodeName(), a.getNodeValue());
            }
        }
        try {
            if (!"rpc".equals(rpc.getLocalName()) || !NC.equals(rpc.getNamespaceURI())) {
                throw RpcError.protocol("unknown-element", "expected <rpc> in " + NC);
            }
            if (!rpc.hasAttribute("message-id")) {
                throw new RpcError("rpc", "missing-attribute", null, null, "message-id",
                        "<rpc> needs a message-id attribute (RFC 6241 §4.1)");
            }
            List<Element> ops = DataTrees.children(rpc);
            if (ops.size() != 1) {
                throw RpcError.protocol("malformed-message", "an <rpc> holds exactly one operation, found " + ops.size());
            }
            List<Element> out = dispatch(session, ops.get(0), reply);
            if (out == null || out.isEmpty()) {
                root.appendChild(reply.createElementNS(NC, "ok"));
            } else {
                out.forEach(root::appendChild);
            }
        } catch (RpcError e) {
            root.appendChild(error(reply, e));
            outRpcErrors.incrementAndGet();
            if ("rpc".equals(e.type()) || "malformed-message".equals(e.tag())) {
                inBadRpcs.incrementAndGet();
            }
        } catch (RpcErrors e) {
            e.errors().forEach(err -> root.appendChild(error(reply, err)));
            outRpcErrors.incrementAndGet();
        } catch (RuntimeException e) {
            LOG.error("NETCONF operation failed", e);
            root.appendChild(error(reply, RpcError.application("operation-failed", "internal error: " + e)));
        }
        return reply;
    }

    private List<Element> dispatch(Session s, Element op, Document reply) throws RpcError, RpcErrors {
        inRpcs.incrementAndGet();
        String ns = DataTrees.nsOf(op);
        if (NC.equals(ns)) {
            return switch (op.getLocalName()) {
                case "get" -> List.of(data(reply, get(op, true, Name.RUNNING)));
                case "get-config" -> List.of(data(reply, get(op, false, source(op, "source"))));
                case "edit-config" -> editConfig(s, op);
                case "copy-config" -> copyConfig(s, op);
                case "delete-config" -> deleteConfig(s, op);
                case "lock" -> {
                    datastores.lock(target(op, "target"), s.id());
                    yield null;
                }
                case "unlock" -> {
                    datastores.unlock(target(op, "target"), s.id());
                    yield null;
                }
                case "close-session" -> null; // the session ends after the reply
                case "kill-session" -> killSession(s, op);
                case "validate" -> validateOp(op);
                case "commit" -> commitOp(s, op);
                case "cancel-commit" -> cancelCommit(s, op);
                case "discard-changes" -> {
                    datastores.discardChanges(s.id());
                    yield null;
                }
                default -> throw RpcError.badElement("protocol", "operation-not-supported", op.getLocalName(),
                        "operation '" + op.getLocalName() + "' is not supported");
            };
        }
        if (NOTIF.equals(ns) && "create-subscription".equals(op.getLocalName())) {
            return subscribe(s, op);
        }
        RpcHandler h = rpcHandlers.get(ns + "|" + op.getLocalName());
        if (h == null) {
            throw RpcError.badElement("protocol", "operation-not-supported", op.getLocalName(),
                    "operation '" + op.getLocalName() + "' in namespace " + ns + " is not supported");
        }
        return h.invoke(op, reply, s);
    }

    // ---- reads ----

    private Element get(Element op, boolean withState, Name source) throws RpcError {
        Element data = datastores.snapshot(source);
        if (withState) {
            for (StateProvider p : stateProviders) {
                p.contribute(data);
            }
        }
        Element filter = DataTrees.child(op, NC, "filter");
        if (filter == null) {
            return data;
        }
        String type = filter.getAttribute("type");
        Element out = Datastores.empty();
        if (type.isEmpty() || type.equals("subtree")) {
            SubtreeFilter.apply(schema, data, filter, out);
        } else if (type.equals("xpath")) {
            XPathFilter.apply(schema, filter, data, out);
        } else {
            throw new RpcError("protocol", "bad-attribute", null, null, "type", "filter type must be subtree or xpath");
        }
        return out;
    }

    /** Moves the (throwaway) snapshot into the reply rather than copying it again. */
    private static Element data(Document reply, Element data) {
        return (Element) reply.adoptNode(data);
    }

    // ---- edit-config and friends ----

    private List<Element> editConfig(Session s, Element op) throws RpcError, RpcErrors {
        Name target = target(op, "target");
        if (target == Name.STARTUP) {
            throw RpcError.protocol("invalid-value", "edit-config targets running or candidate; use copy-config for startup");
        }
        EditConfig.Op def = switch (text(op, "default-operation", "merge")) {
            case "merge" -> EditConfig.Op.MERGE;
            case "replace" -> EditConfig.Op.REPLACE;
            case "none" -> EditConfig.Op.NONE;
            default -> throw RpcError.protocol("invalid-value", "default-operation must be merge, replace or none");
        };
        String testOption = text(op, "test-option", "test-then-set");
        if (!List.of("test-then-set", "set", "test-only").contains(testOption)) {
            throw RpcError.protocol("invalid-value", "test-option must be test-then-set, set or test-only");
        }
        String errorOption = text(op, "error-option", "stop-on-error");
        if (!List.of("stop-on-error", "continue-on-error", "rollback-on-error").contains(errorOption)) {
            throw RpcError.protocol("invalid-value", "error-option must be stop-on-error, continue-on-error or rollback-on-error");
        }
        Element config = param(op, "config");
        if (config == null && DataTrees.child(op, NC, "url") != null) {
            config = readUrl(text(op, "url", null));
        }
        if (config == null) {
            throw RpcError.badElement("protocol", "missing-element", "config", "edit-config needs <config> or <url>");
        }
        datastores.checkLock(target, s.id());
        Element work = datastores.snapshot(target);
        if (def == EditConfig.Op.REPLACE) {
            // default-operation replace: the config replaces the modules it names, as a whole
            for (Element top : DataTrees.children(config)) {
                for (Element old : DataTrees.children(work)) {
                    if (old.getLocalName().equals(top.getLocalName()) && DataTrees.nsOf(old).equals(DataTrees.nsOf(top))) {
                        work.removeChild(old);
                    }
                }
            }
        }
        List<RpcError> errors = EditConfig.apply(schema, work, config, def, errorOption.equals("continue-on-error"));
        if (!errors.isEmpty() && !errorOption.equals("continue-on-error")) {
            throw new RpcErrors(errors);
        }
        if (!testOption.equals("set")) {
            validateOrThrow(work);
        }
        if (testOption.equals("test-only")) {
            return errors.isEmpty() ? null : fail(errors);
        }
        if (target == Name.RUNNING) {
            commitToRunning(s, work);
        } else {
            datastores.replace(Name.CANDIDATE, work, s.id());
        }
        return errors.isEmpty() ? null : fail(errors);
    }

    private static List<Element> fail(List<RpcError> errors) throws RpcErrors {
        throw new RpcErrors(errors);
    }

    private List<Element> copyConfig(Session s, Element op) throws RpcError, RpcErrors {
        Element targetEl = required(op, "target");
        Element sourceEl = required(op, "source");
        Element data = sourceData(sourceEl);
        Element urlTarget = DataTrees.child(targetEl, NC, "url");
        if (urlTarget != null) {
            writeUrl(urlTarget.getTextContent().trim(), data);
            return null;
        }
        Name target = datastoreIn(targetEl, "target");
        Element source = DataTrees.child(sourceEl, NC, target.xml());
        if (source != null && DataTrees.children(sourceEl).size() == 1) {
            throw RpcError.protocol("invalid-value", "copy-config source and target are the same datastore");
        }
        validateOrThrow(data);
        switch (target) {
            case RUNNING -> commitToRunning(s, data);
            case CANDIDATE, STARTUP -> datastores.replace(target, data, s.id());
        }
        return null;
    }

    private Element sourceData(Element sourceEl) throws RpcError {
        Element inline = param(sourceEl, "config");
        if (inline != null) {
            Element data = Datastores.empty();
            for (Element c : DataTrees.children(inline)) {
                data.appendChild(data.getOwnerDocument().importNode(c, true));
            }
            return data;
        }
        Element url = DataTrees.child(sourceEl, NC, "url");
        if (url != null) {
            return readUrl(url.getTextContent().trim());
        }
        return datastores.snapshot(datastoreIn(sourceEl, "source"));
    }

    private List<Element> deleteConfig(Session s, Element op) throws RpcError {
        Element t = required(op, "target");
        Element url = DataTrees.child(t, NC, "url");
        if (url != null) {
            try {
                Files.deleteIfExists(urlPath(url.getTextContent().trim()));
            } catch (IOException e) {
                throw RpcError.application("operation-failed", "cannot delete: " + e.getMessage());
            }
            return null;
        }
        datastores.delete(datastoreIn(t, "target"), s.id());
        return null;
    }

    private List<Element> validateOp(Element op) throws RpcError, RpcErrors {
        validateOrThrow(sourceData(required(op, "source")));
        return null;
    }

    private void validateOrThrow(Element data) throws RpcErrors {
        var problems = Validator.validate(schema, data);
        if (!problems.isEmpty()) {
            List<RpcError> errors = new ArrayList<>();
            for (var p : problems) {
                errors.add(new RpcError("application", p.tag(), p.appTag(), p.path(), null, p.message()));
            }
            throw new RpcErrors(errors);
        }
    }

    // ---- commit ----

    private synchronized List<Element> commitOp(Session s, Element op) throws RpcError, RpcErrors {
        boolean confirmed = DataTrees.child(op, NC, "confirmed") != null;
        String persist = text(op, "persist", null);
        String persistId = text(op, "persist-id", null);
        if (pending != null && !confirmed) {
            // a confirming commit (RFC 6241 §8.4.1)
            if (pending.persistId != null ? !pending.persistId.equals(persistId) : pending.session != s.id()) {
                throw RpcError.protocol("invalid-value", pending.persistId != null
                        ? "a confirming commit needs the persist-id of the confirmed commit"
                        : "the confirmed commit belongs to session " + pending.session);
            }
        }
        datastores.checkLock(Name.RUNNING, s.id());
        Element candidate = datastores.snapshot(Name.CANDIDATE);
        validateOrThrow(candidate);
        long timeoutS = DEFAULT_CONFIRM_TIMEOUT_S;
        String t = text(op, "confirm-timeout", null);
        if (t != null) {
            try {
                timeoutS = Long.parseLong(t.trim());
            } catch (NumberFormatException e) {
                throw RpcError.protocol("invalid-value", "confirm-timeout must be a number of seconds");
            }
            if (timeoutS < 1 || timeoutS > 86_400) {
                throw RpcError.protocol("invalid-value", "confirm-timeout must be 1..86400 seconds");
            }
        }
        Element before = datastores.snapshot(Name.RUNNING);
        Map<String, Element> changed = applyToModules(before, candidate);
        datastores.committed(candidate);
        changed(s, candidate, changed, confirmed ? "confirmed commit" : "commit");
        if (confirmed) {
            Element rollbackTo = pending != null ? pending.rollbackTo : before;
            if (pending != null) {
                pending.timeout.cancel(false);
            }
            long session = s.id();
            ScheduledFuture<?> f = timer.schedule(this::confirmTimedOut, timeoutS, TimeUnit.SECONDS);
            pending = new PendingConfirm(rollbackTo, session, persist, f);
        } else if (pending != null) {
            pending.timeout.cancel(false);
            pending = null;
        }
        return null;
    }

    private synchronized List<Element> cancelCommit(Session s, Element op) throws RpcError {
        if (pending == null) {
            throw RpcError.protocol("invalid-value", "there is no confirmed commit to cancel");
        }
        String persistId = text(op, "persist-id", null);
        if (pending.persistId != null ? !pending.persistId.equals(persistId) : pending.session != s.id()) {
            throw RpcError.protocol("invalid-value", "this confirmed commit can be cancelled only by its session or with its persist-id");
        }
        rollbackPending();
        return null;
    }

    private synchronized void confirmTimedOut() {
        if (pending != null) {
            LOG.info("confirmed commit not confirmed in time: rolling back");
            rollbackPending();
        }
    }

    private void rollbackPending() {
        PendingConfirm p = pending;
        pending = null;
        p.timeout.cancel(false);
        try {
            Element current = datastores.snapshot(Name.RUNNING);
            Map<String, Element> changed = applyToModules(current, p.rollbackTo);
            datastores.committed(p.rollbackTo);
            changed(null, p.rollbackTo, changed, "confirmed commit not confirmed: rolled back");
        } catch (RpcError | RpcErrors e) {
            LOG.error("rollback of a confirmed commit failed: {}", e.getMessage());
        }
    }

    /** Edits of running go through the same path as a commit. */
    private void commitToRunning(Session s, Element newRunning) throws RpcError, RpcErrors {
        commitToRunning(s, newRunning, "edit of running");
    }

    private synchronized void commitToRunning(Session s, Element newRunning, String note) throws RpcError, RpcErrors {
        if (pending != null) {
            throw RpcError.protocol("in-use", "a confirmed commit is pending; confirm or cancel it first");
        }
        datastores.checkLock(Name.RUNNING, s.id());
        Element before = datastores.snapshot(Name.RUNNING);
        Map<String, Element> changed = applyToModules(before, newRunning);
        datastores.committed(newRunning);
        changed(s, newRunning, changed, note);
    }

    // ---- the rollback history (besip-system: system/rollback, list-commits, rollback) ----

    private volatile CommitHistory history;

    /** Where the committed configurations are kept; registers list-commits and rollback. */
    public void history(CommitHistory h) {
        this.history = h;
        registerRpc(SYS, "list-commits", (op, reply, s) -> listCommits(reply));
        registerRpc(SYS, "rollback", this::rollback);
    }

    /** Running changed ({@code changed}: the modules whose configuration did): the history keeps it, subscribers are told. */
    private void changed(Session s, Element running, Map<String, Element> changed, String note) {
        CommitHistory h = history;
        if (h != null && !changed.isEmpty()) {
            try {
                h.record(running, System.currentTimeMillis(), s == null ? "" : s.user(), s == null ? 0 : s.id(), List.copyOf(changed.keySet()),
                        note, historyLength(running));
            } catch (java.io.IOException e) {
                LOG.error("the commit stands, but the rollback history could not keep it: {}", e.getMessage());
            }
        }
        configChanged(s, changed);
    }

    /** system/rollback/history of {@code running}, its schema default when not set. */
    private int historyLength(Element running) {
        Element d = Datastores.copy(running);
        DataTrees.fillDefaults(schema, d, SYS);
        Element sys = DataTrees.child(d, SYS, "system");
        Element rb = sys == null ? null : DataTrees.child(sys, SYS, "rollback");
        Element n = rb == null ? null : DataTrees.child(rb, SYS, "history");
        try {
            return n == null ? 20 : Integer.parseInt(n.getTextContent().trim());
        } catch (NumberFormatException e) {
            return 20;
        }
    }

    private List<Element> listCommits(Document reply) {
        CommitHistory h = history;
        List<Element> out = new ArrayList<>();
        for (CommitHistory.Commit c : h == null ? List.<CommitHistory.Commit>of() : h.list()) {
            Element e = reply.createElementNS(SYS, "commit");
            child(reply, e, SYS, "id", String.valueOf(c.id()));
            child(reply, e, SYS, "time", java.time.Instant.ofEpochMilli(c.timeMs()).toString());
            child(reply, e, SYS, "user", c.user().isEmpty() ? "(the box)" : c.user());
            child(reply, e, SYS, "session", String.valueOf(c.session()));
            for (String m : c.modules()) {
                child(reply, e, SYS, "module", m);
            }
            child(reply, e, SYS, "note", c.note());
            out.add(e);
        }
        return out;
    }

    /** The commits kept, newest first (none without a history). */
    public List<CommitHistory.Commit> commits() {
        CommitHistory h = history;
        return h == null ? List.of() : h.list();
    }

    /** A rollback on behalf of {@code user} from inside the box (the console). */
    public void rollback(long id, String user) throws RpcError, RpcErrors {
        rollbackTo(inside(user, "web console"), id);
    }

    /** A session of the box's own (no client): changes it makes are kept and notified as {@code user}'s from {@code source}. */
    public static Session inside(String user, String source) {
        return new Session() {
            @Override
            public long id() {
                return 0;
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
            public void send(byte[] message) {
            }

            @Override
            public void terminate() {
            }
        };
    }

    private List<Element> rollback(Element op, Document reply, Session s) throws RpcError, RpcErrors {
        Element idEl = DataTrees.child(op, SYS, "id");
        String text = idEl == null ? "" : idEl.getTextContent().trim();
        long id;
        try {
            id = Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new RpcError("application", idEl == null ? "missing-element" : "invalid-value", null, "/besip-system:rollback/id", "id",
                    idEl == null ? "rollback needs the id of a commit (list-commits lists them)" : "not a commit id: " + text);
        }
        rollbackTo(s, id);
        return null;
    }

    /** Running becomes commit {@code id}'s configuration, validated and applied like a commit. */
    private void rollbackTo(Session s, long id) throws RpcError, RpcErrors {
        CommitHistory h = history;
        java.util.Optional<Element> config;
        try {
            config = h == null ? java.util.Optional.empty() : h.configuration(id);
        } catch (java.io.IOException e) {
            throw RpcError.application("operation-failed", e.getMessage());
        }
        if (config.isEmpty()) {
            throw new RpcError("application", "invalid-value", null, "/besip-system:rollback/id", "id",
                    "no commit " + id + " in the history (list-commits lists the ones kept)");
        }
        validateOrThrow(config.get());
        commitToRunning(s, config.get(), "rollback to commit " + id);
    }

    /**
     * Two-phase delivery to the modules whose configuration differs: prepare on all, then apply
     * on all, or abort on all prepared if one refuses.
     */
    private Map<String, Element> applyToModules(Element before, Element after) throws RpcErrors {
        long tx = transactions.incrementAndGet();
        Map<String, Element> changed = changedModules(before, after); // once per commit: the notification names the same modules
        List<ConfigApplier> prepared = new ArrayList<>();
        for (var e : changed.entrySet()) {
            for (ConfigApplier a : appliers.apply(e.getKey())) {
                try {
                    a.prepare(tx, e.getValue());
                    prepared.add(a);
                } catch (ConfigRejectedException ex) {
                    abortAll(prepared, tx);
                    throw new RpcErrors(List.of(new RpcError("application", "operation-failed", null, ex.path(), null,
                            "module " + e.getKey() + " refused the configuration"
                                    + (ex.path() == null ? "" : " at " + ex.path()) + ": " + ex.getMessage())));
                } catch (RuntimeException ex) {
                    abortAll(prepared, tx);
                    LOG.error("module {} failed in prepare", e.getKey(), ex);
                    throw new RpcErrors(List.of(RpcError.application("operation-failed",
                            "module " + e.getKey() + " failed while preparing the configuration: " + ex)));
                }
            }
        }
        for (ConfigApplier a : prepared) {
            try {
                a.apply(tx);
            } catch (RuntimeException ex) {
                LOG.error("a module failed to apply a prepared configuration", ex);
            }
        }
        return changed;
    }

    private static void abortAll(List<ConfigApplier> prepared, long tx) {
        for (ConfigApplier a : prepared) {
            try {
                a.abort(tx);
            } catch (RuntimeException ex) {
                LOG.error("a module failed to abort", ex);
            }
        }
    }

    /**
     * An edit of running from inside the box (no session): merged, validated and committed like
     * an edit-config of running.
     */
    public void mergeIntoRunning(Element config) throws RpcError, RpcErrors {
        Session internal = inside("besip", "localhost");
        Element work = datastores.snapshot(Name.RUNNING);
        EditConfig.apply(schema, work, config, EditConfig.Op.MERGE, false);
        validateOrThrow(work);
        commitToRunning(internal, work);
    }

    /**
     * A module was removed from the box: its entry in {@code system/modules} goes from running
     * (a commit of the box's own) and from the candidate, which keeps its other changes. Left
     * there, it would make every later commit of besip-system fail ("there is no module").
     */
    public synchronized void forgetModule(String name) {
        Element running = datastores.snapshot(Name.RUNNING);
        Element candidate = datastores.snapshot(Name.CANDIDATE);
        boolean inRunning = dropModuleEntry(running, name);
        boolean inCandidate = dropModuleEntry(candidate, name);
        if (!inRunning && !inCandidate) {
            return; // the usual case: nothing names it (and the remove-module RPC and its event both come here)
        }
        // the commit makes the candidate running's copy: one with changes of its own gets them back
        boolean candidateEdited = !java.util.Arrays.equals(Datastores.serialize(running), Datastores.serialize(candidate));
        try {
            if (inRunning) {
                commitToRunning(inside("besip", "localhost"), running, "module " + name + " removed");
            }
            if (candidateEdited || !inRunning) {
                datastores.replace(Name.CANDIDATE, candidate, 0);
            }
        } catch (RpcError | RpcErrors e) {
            LOG.warn("module {} was removed but system/modules still names it ({}): remove that entry to commit besip-system again",
                    name, e.getMessage());
        }
    }

    private static boolean dropModuleEntry(Element data, String name) {
        Element system = DataTrees.child(data, SYS, "system");
        Element modules = system == null ? null : DataTrees.child(system, SYS, "modules");
        if (modules == null) {
            return false;
        }
        for (Element m : DataTrees.children(modules)) {
            Element n = DataTrees.child(m, SYS, "name");
            if (n != null && n.getTextContent().trim().equals(name)) {
                modules.removeChild(m);
                if (DataTrees.children(modules).isEmpty()) {
                    system.removeChild(modules);
                }
                return true;
            }
        }
        return false;
    }

    /** Gives a module that just arrived the configuration running holds for it. */
    public synchronized void deliver(String module, ConfigApplier applier) {
        Schema.ModuleInfo m = schema.module(module);
        if (m == null) {
            return;
        }
        Element data = moduleData(datastores.snapshot(Name.RUNNING), m.namespace());
        DataTrees.fillDefaults(schema, data, m.namespace());
        long tx = transactions.incrementAndGet();
        try {
            applier.prepare(tx, data);
            applier.apply(tx);
        } catch (ConfigRejectedException e) {
            applier.abort(tx);
            LOG.error("module {} refused the running configuration{}: {}", module, e.path() == null ? "" : " at " + e.path(),
                    e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("module {} failed on the running configuration", module, e);
        }
    }

    /** Module name to its new configuration ({@code <data>} with its top-level nodes, defaults filled). */
    private Map<String, Element> changedModules(Element before, Element after) {
        Map<String, Element> out = new LinkedHashMap<>();
        Set<String> namespaces = new LinkedHashSet<>();
        DataTrees.children(before).forEach(e -> namespaces.add(DataTrees.nsOf(e)));
        DataTrees.children(after).forEach(e -> namespaces.add(DataTrees.nsOf(e)));
        for (String ns : namespaces) {
            Element a = moduleData(before, ns);
            Element b = moduleData(after, ns);
            if (!Objects.equals(new String(Datastores.serialize(a)), new String(Datastores.serialize(b)))) {
                Schema.ModuleInfo m = schema.moduleByNamespace(ns);
                if (m != null) {
                    DataTrees.fillDefaults(schema, b, ns);
                    out.put(m.name(), b);
                }
            }
        }
        return out;
    }

    private static Element moduleData(Element data, String ns) {
        Element out = Datastores.empty();
        for (Element e : DataTrees.children(data)) {
            if (ns.equals(DataTrees.nsOf(e))) {
                out.appendChild(out.getOwnerDocument().importNode(e, true));
            }
        }
        return out;
    }

    // ---- sessions and notifications ----

    private List<Element> killSession(Session s, Element op) throws RpcError {
        String id = text(op, "session-id", null);
        long target;
        try {
            target = Long.parseLong(id == null ? "" : id.trim());
        } catch (NumberFormatException e) {
            throw RpcError.badElement("protocol", "missing-element", "session-id", "kill-session needs a session-id");
        }
        if (target == s.id()) {
            throw RpcError.protocol("invalid-value", "a session cannot kill itself; use close-session");
        }
        Session victim = sessions.get(target);
        if (victim == null) {
            throw RpcError.protocol("invalid-value", "there is no session " + target);
        }
        victim.terminate();
        closed(victim);
        return null;
    }

    private List<Element> subscribe(Session s, Element op) throws RpcError {
        String stream = text(op, "stream", "NETCONF");
        if (!stream.equals("NETCONF")) {
            throw RpcError.application("invalid-value", "unknown stream '" + stream + "'; there is NETCONF");
        }
        if (DataTrees.child(op, NOTIF, "startTime") != null) {
            throw RpcError.application("operation-failed", "replay is not supported (no startTime)");
        }
        if (!subscribers.add(s.id())) {
            throw RpcError.protocol("operation-failed", "this session already has a subscription");
        }
        return null;
    }

    /** Whether any session subscribed to notifications: none, and an event need not be made into one. */
    public boolean hasSubscribers() {
        return !subscribers.isEmpty();
    }

    /** Sends {@code content} as an RFC 5277 notification to every subscribed session. */
    public void notify(Element content) {
        if (subscribers.isEmpty()) {
            return;
        }
        Document d = DataTrees.newDocument();
        Element n = d.createElementNS(NOTIF, "notification");
        d.appendChild(n);
        Element time = d.createElementNS(NOTIF, "eventTime");
        time.setTextContent(DateTimeFormatter.ISO_INSTANT.format(Instant.now()));
        n.appendChild(time);
        n.appendChild(d.importNode(content, true));
        byte[] bytes = Datastores.serialize(n);
        for (Long id : subscribers) {
            Session s = sessions.get(id);
            if (s != null) {
                try {
                    s.send(bytes);
                    outNotifications.incrementAndGet();
                } catch (IOException e) {
                    subscribers.remove(id);
                }
            }
        }
    }

    /** RFC 6470 netconf-config-change: who changed running, and which top-level nodes. */
    private void configChanged(Session s, Map<String, Element> changed) {
        if (subscribers.isEmpty()) {
            return;
        }
        Document d = DataTrees.newDocument();
        Element change = d.createElementNS(NC_NOTIFICATIONS, "netconf-config-change");
        d.appendChild(change);
        Element by = d.createElementNS(NC_NOTIFICATIONS, "changed-by");
        change.appendChild(by);
        if (s == null) {
            by.appendChild(d.createElementNS(NC_NOTIFICATIONS, "server"));
        } else {
            add(d, by, "username", s.user());
            add(d, by, "session-id", String.valueOf(s.id()));
            add(d, by, "source-host", s.sourceAddress());
        }
        add(d, change, "datastore", "running");
        for (var m : changed.entrySet()) {
            Element edit = d.createElementNS(NC_NOTIFICATIONS, "edit");
            change.appendChild(edit);
            Schema.ModuleInfo info = schema.module(m.getKey());
            Element target = d.createElementNS(NC_NOTIFICATIONS, "target");
            target.setAttribute("xmlns:" + info.prefix(), info.namespace());
            target.setTextContent("/" + info.prefix() + ":*");
            edit.appendChild(target);
            add(d, edit, "operation", "merge");
        }
        notify(change);
    }

    private static void add(Document d, Element parent, String name, String value) {
        Element e = d.createElementNS(NC_NOTIFICATIONS, name);
        e.setTextContent(value);
        parent.appendChild(e);
    }

    // ---- :url (file: only, inside the box's backup folder) ----

    private Path urlPath(String url) throws RpcError {
        if (!url.startsWith("file:")) {
            throw RpcError.protocol("invalid-value", "only file: URLs are supported");
        }
        String name = url.substring("file:".length()).replaceFirst("^//", "");
        Path p = filesDir.resolve(name.startsWith("/") ? name.substring(1) : name).normalize();
        if (!p.startsWith(filesDir) || p.equals(filesDir)) {
            throw RpcError.protocol("invalid-value", "file: URLs name files inside " + filesDir);
        }
        return p;
    }

    private Element readUrl(String url) throws RpcError {
        Path p = urlPath(url);
        try {
            Element root = DataTrees.builder().parse(new ByteArrayInputStream(Files.readAllBytes(p))).getDocumentElement();
            Element data = Datastores.empty();
            // a backup is a <config> or <data> element, as copy-config writes it
            for (Element c : DataTrees.children(root)) {
                data.appendChild(data.getOwnerDocument().importNode(c, true));
            }
            return data;
        } catch (IOException e) {
            throw RpcError.application("operation-failed", "cannot read " + url + ": " + e.getMessage());
        } catch (SAXException e) {
            throw RpcError.application("malformed-message", url + " is not XML: " + e.getMessage());
        }
    }

    private void writeUrl(String url, Element data) throws RpcError {
        Path p = urlPath(url);
        Document d = DataTrees.newDocument();
        Element config = d.createElementNS(NC, "config");
        d.appendChild(config);
        for (Element c : DataTrees.children(data)) {
            config.appendChild(d.importNode(c, true));
        }
        try {
            org.besip.core.api.storage.AtomicFiles.write(p, Datastores.serialize(config));
        } catch (IOException e) {
            throw RpcError.application("operation-failed", "cannot write " + url + ": " + e.getMessage());
        }
    }

    // ---- helpers ----

    /**
     * A {@code <config>} parameter: in the base namespace, or in none, as ncclient sends it
     * (its element is added without a namespace to an rpc that declares a default one).
     */
    private static Element param(Element op, String name) {
        Element e = DataTrees.child(op, NC, name);
        return e != null ? e : DataTrees.child(op, "", name);
    }

    private static Element required(Element op, String name) throws RpcError {
        Element e = DataTrees.child(op, NC, name);
        if (e == null) {
            throw RpcError.badElement("protocol", "missing-element", name, op.getLocalName() + " needs <" + name + ">");
        }
        return e;
    }

    private static Name target(Element op, String which) throws RpcError {
        return datastoreIn(required(op, which), which);
    }

    private static Name source(Element op, String which) throws RpcError {
        return datastoreIn(required(op, which), which);
    }

    private static Name datastoreIn(Element holder, String which) throws RpcError {
        List<Element> c = DataTrees.children(holder);
        Name n = c.size() == 1 && NC.equals(DataTrees.nsOf(c.get(0))) ? Name.of(c.get(0).getLocalName()) : null;
        if (n == null) {
            throw RpcError.badElement("protocol", "invalid-value", which, "<" + which
                    + "> must name one datastore: running, candidate or startup");
        }
        return n;
    }

    private static String text(Element op, String name, String fallback) {
        Element e = DataTrees.child(op, NC, name);
        if (e == null) {
            e = DataTrees.child(op, NOTIF, name);
        }
        return e == null ? fallback : e.getTextContent().trim();
    }

    static Element error(Document reply, RpcError e) {
        Element err = reply.createElementNS(NC, "rpc-error");
        child(reply, err, "error-type", e.type());
        child(reply, err, "error-tag", e.tag());
        child(reply, err, "error-severity", "error");
        if (e.appTag() != null) {
            child(reply, err, "error-app-tag", e.appTag());
        }
        if (e.path() != null) {
            child(reply, err, "error-path", e.path());
        }
        Element msg = child(reply, err, "error-message", e.getMessage());
        msg.setAttributeNS("http://www.w3.org/XML/1998/namespace", "xml:lang", "en");
        if (e.badElement() != null) {
            Element info = reply.createElementNS(NC, "error-info");
            err.appendChild(info);
            boolean sessionInfo = "lock-denied".equals(e.tag());
            child(reply, info, sessionInfo ? "session-id" : "bad-element", e.badElement());
        }
        return err;
    }

    private static Element child(Document d, Element parent, String name, String text) {
        return child(d, parent, NC, name, text);
    }

    private static Element child(Document d, Element parent, String ns, String name, String text) {
        Element e = d.createElementNS(ns, name);
        e.setTextContent(text);
        parent.appendChild(e);
        return e;
    }
}
