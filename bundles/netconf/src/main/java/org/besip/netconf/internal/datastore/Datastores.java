package org.besip.netconf.internal.datastore;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;

import javax.xml.transform.OutputKeys;
import javax.xml.transform.Transformer;
import javax.xml.transform.TransformerException;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;

import org.besip.core.api.storage.AtomicFiles;
import org.besip.netconf.internal.ops.EditConfig;
import org.besip.netconf.internal.protocol.RpcError;
import org.besip.netconf.internal.yang.DataTrees;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.xml.sax.SAXException;

/**
 * The running, candidate and startup datastores (RFC 6241 §5), their locks (§7.5), and their
 * files: running and startup are written atomically to {@code data/netconf/}; the box boots with
 * startup (else the last running). Every method is short and synchronized: one datastore change
 * at a time.
 */
public final class Datastores {

    public enum Name {
        RUNNING, CANDIDATE, STARTUP;

        public String xml() {
            return name().toLowerCase();
        }

        public static Name of(String xml) {
            for (Name n : values()) {
                if (n.xml().equals(xml)) {
                    return n;
                }
            }
            return null;
        }
    }

    private final Path dir;
    private final Map<Name, Element> stores = new EnumMap<>(Name.class);
    private final Map<Name, Long> locks = new EnumMap<>(Name.class);
    /** RFC 6241 §8.3.5.1: the candidate holds changes not yet committed, and by whom. */
    private Long candidateChangedBy;

    public Datastores(Path dir) throws IOException {
        this.dir = dir;
        Element startup = load(dir.resolve("startup.xml"));
        Element running = startup != null ? startup : load(dir.resolve("running.xml"));
        stores.put(Name.RUNNING, running != null ? copy(running) : empty());
        stores.put(Name.STARTUP, startup != null ? startup : null);
        stores.put(Name.CANDIDATE, copy(stores.get(Name.RUNNING)));
    }

    public static Element empty() {
        Document d = DataTrees.newDocument();
        Element data = d.createElementNS(EditConfig.NC, "data");
        d.appendChild(data);
        return data;
    }

    public static Element copy(Element data) {
        Document d = DataTrees.newDocument();
        Element c = (Element) d.importNode(data, true);
        d.appendChild(c);
        return c;
    }

    /** A copy of the datastore's contents; an absent startup reads as empty. */
    public synchronized Element snapshot(Name name) {
        Element e = stores.get(name);
        return copy(e == null ? empty() : e);
    }

    public synchronized boolean exists(Name name) {
        return stores.get(name) != null;
    }

    /** Replaces a datastore's contents (already validated by the caller), persisting it. */
    public synchronized void replace(Name name, Element data, long session) throws RpcError {
        checkLock(name, session);
        Element stored = copy(data);
        if (name != Name.CANDIDATE) {
            persist(name, stored);
        }
        stores.put(name, stored);
        if (name == Name.CANDIDATE) {
            candidateChangedBy = session;
        }
    }

    /** After a commit: running has the candidate's content; the candidate is clean again. */
    public synchronized void committed(Element newRunning) throws RpcError {
        Element stored = copy(newRunning);
        persist(Name.RUNNING, stored);
        stores.put(Name.RUNNING, stored);
        stores.put(Name.CANDIDATE, copy(stored));
        candidateChangedBy = null;
    }

    public synchronized void discardChanges(long session) throws RpcError {
        checkLock(Name.CANDIDATE, session);
        stores.put(Name.CANDIDATE, copy(stores.get(Name.RUNNING)));
        candidateChangedBy = null;
    }

    public synchronized void delete(Name name, long session) throws RpcError {
        if (name != Name.STARTUP) {
            throw RpcError.protocol("invalid-value", "only the startup datastore can be deleted (RFC 6241 §7.4)");
        }
        checkLock(name, session);
        try {
            Files.deleteIfExists(dir.resolve("startup.xml"));
        } catch (IOException e) {
            throw RpcError.application("operation-failed", "cannot delete startup: " + e.getMessage());
        }
        stores.put(Name.STARTUP, null);
    }

    public synchronized void lock(Name name, long session) throws RpcError {
        Long holder = locks.get(name);
        if (holder != null) {
            throw new RpcError("protocol", "lock-denied", null, null, String.valueOf(holder),
                    "the " + name.xml() + " datastore is locked by session " + holder);
        }
        if (name == Name.CANDIDATE && candidateChangedBy != null && candidateChangedBy != session) {
            throw new RpcError("protocol", "lock-denied", null, null, "0",
                    "the candidate holds changes not yet committed; commit or discard them first");
        }
        locks.put(name, session);
    }

    public synchronized void unlock(Name name, long session) throws RpcError {
        Long holder = locks.get(name);
        if (holder == null || holder != session) {
            throw RpcError.protocol("operation-failed", "the " + name.xml() + " datastore is not locked by this session");
        }
        locks.remove(name);
    }

    /** A session ended: its locks go; a candidate it changed while holding the lock is discarded (§7.5). */
    public synchronized void sessionEnded(long session) {
        boolean heldCandidate = Long.valueOf(session).equals(locks.get(Name.CANDIDATE));
        locks.values().removeIf(s -> s == session);
        if (heldCandidate && Long.valueOf(session).equals(candidateChangedBy)) {
            stores.put(Name.CANDIDATE, copy(stores.get(Name.RUNNING)));
            candidateChangedBy = null;
        }
    }

    /** Writing to a datastore another session has locked is refused (RFC 6241 §7.5). */
    public synchronized void checkLock(Name name, long session) throws RpcError {
        Long holder = locks.get(name);
        if (holder != null && holder != session) {
            throw new RpcError("protocol", "in-use", null, null, null,
                    "the " + name.xml() + " datastore is locked by session " + holder);
        }
    }

    public synchronized Long lockHolder(Name name) {
        return locks.get(name);
    }

    private void persist(Name name, Element data) throws RpcError {
        try {
            AtomicFiles.write(dir.resolve(name.xml() + ".xml"), serialize(data));
        } catch (IOException e) {
            throw RpcError.application("operation-failed", "cannot save the " + name.xml() + " datastore: " + e.getMessage());
        }
    }

    private static Element load(Path file) throws IOException {
        if (!Files.exists(file)) {
            return null;
        }
        try {
            return DataTrees.builder().parse(file.toFile()).getDocumentElement();
        } catch (SAXException e) {
            throw new IOException(file + " is damaged: " + e.getMessage(), e);
        }
    }

    /** One serializer per thread: creating a TransformerFactory costs more than a small message. */
    private static final ThreadLocal<Transformer> SERIALIZERS = ThreadLocal.withInitial(() -> {
        try {
            Transformer t = TransformerFactory.newInstance().newTransformer();
            t.setOutputProperty(OutputKeys.OMIT_XML_DECLARATION, "yes");
            t.setOutputProperty(OutputKeys.ENCODING, "UTF-8");
            return t;
        } catch (TransformerException ex) {
            throw new IllegalStateException("no XML serializer: " + ex.getMessage(), ex);
        }
    });

    public static byte[] serialize(Element e) {
        try {
            Transformer t = SERIALIZERS.get();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            t.transform(new DOMSource(e), new StreamResult(out));
            return out.toByteArray();
        } catch (TransformerException ex) {
            throw new IllegalStateException("cannot serialize XML: " + ex.getMessage(), ex);
        }
    }
}
