package org.besip.netconf.internal.yang;

import java.util.ArrayList;
import java.util.List;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;

import org.besip.netconf.internal.yang.SchemaNode.Kind;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/** Small DOM helpers for data trees, and a hardened XML parser setup. */
public final class DataTrees {

    private DataTrees() {
    }

    /** The factory lookup and setup cost more than a parse of a small message: one per thread. */
    private static final ThreadLocal<DocumentBuilder> BUILDERS = ThreadLocal.withInitial(DataTrees::newBuilder);

    /**
     * A namespace-aware builder that refuses DTDs and external entities (no XXE, no billion
     * laughs); the calling thread's own, reset for reuse.
     */
    public static DocumentBuilder builder() {
        DocumentBuilder b = BUILDERS.get();
        b.reset();
        return b;
    }

    private static DocumentBuilder newBuilder() {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setNamespaceAware(true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setFeature("http://xml.org/sax/features/external-general-entities", false);
            f.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setXIncludeAware(false);
            f.setExpandEntityReferences(false);
            return f.newDocumentBuilder();
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException("the JDK's XML parser lacks a security feature", e);
        }
    }

    public static Document newDocument() {
        return builder().newDocument();
    }

    public static List<Element> children(Element e) {
        List<Element> out = new ArrayList<>();
        for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element el) {
                out.add(el);
            }
        }
        return out;
    }

    public static Element child(Element e, String ns, String name) {
        for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element el && name.equals(el.getLocalName()) && ns.equals(nsOf(el))) {
                return el;
            }
        }
        return null;
    }

    /** Follows a relative path of names ({@code a/b}) in one namespace. */
    static Element descendant(Element e, String ns, String path) {
        Element cur = e;
        for (String seg : path.split("/")) {
            cur = cur == null ? null : child(cur, ns, seg);
        }
        return cur;
    }

    public static String nsOf(Element e) {
        return e.getNamespaceURI() == null ? "" : e.getNamespaceURI();
    }

    /** {@code module:name} for an element whose namespace is a known module, else its local name. */
    static String step(Schema schema, Element e) {
        Schema.ModuleInfo m = schema.moduleByNamespace(nsOf(e));
        return (m == null ? "" : m.name() + ":") + e.getLocalName();
    }

    /** The node's name, module-qualified where it starts a module's subtree (top level or augment). */
    static String qualifiedStep(SchemaNode s) {
        SchemaNode p = s.parent;
        while (p != null && (p.kind == Kind.CHOICE || p.kind == Kind.CASE)) {
            p = p.parent;
        }
        boolean qualify = p == null || p.name.isEmpty() || !p.module.equals(s.module);
        return (qualify ? s.module + ":" : "") + s.name;
    }

    /** {@code [name='x']} for a list entry, else empty. */
    static String predicate(SchemaNode s, Element e) {
        if (s.kind != Kind.LIST) {
            return "";
        }
        StringBuilder sb = new StringBuilder();
        for (String k : s.keys) {
            Element leaf = child(e, s.namespace, k);
            sb.append('[').append(k).append("='").append(leaf == null ? "" : leaf.getTextContent().trim()).append("']");
        }
        return sb.toString();
    }

    /**
     * Adds default leaves (and the non-presence containers that hold them) to a data tree, where
     * their parent exists; inside a choice only in the case present, or the default case.
     */
    public static void fillDefaults(Schema schema, Element root) {
        fill(schema.root(), root);
    }

    /** Defaults of one module's top-level nodes only. */
    public static void fillDefaults(Schema schema, Element root, String namespace) {
        for (SchemaNode s : schema.root().children.values()) {
            if (s.namespace.equals(namespace)) {
                fillNode(s, root);
            }
        }
    }

    private static void fill(SchemaNode schemaParent, Element element) {
        for (SchemaNode s : schemaParent.children.values()) {
            fillNode(s, element);
        }
    }

    private static void fillNode(SchemaNode s, Element element) {
        if (!s.config && s.kind != Kind.CHOICE && s.kind != Kind.CASE) {
            return;
        }
        switch (s.kind) {
            case LEAF -> {
                if (s.defaultValue != null && child(element, s.namespace, s.name) == null && Validator.applies(s, element)) {
                    Element leaf = element.getOwnerDocument().createElementNS(s.namespace, s.name);
                    leaf.setTextContent(s.defaultValue);
                    element.appendChild(leaf);
                }
            }
            case CONTAINER -> {
                Element c = child(element, s.namespace, s.name);
                if (c != null) {
                    fill(s, c);
                } else if (!s.presence && Validator.applies(s, element)) { // RFC 7950 §7.6.1: no default where when is false
                    Element created = element.getOwnerDocument().createElementNS(s.namespace, s.name);
                    fill(s, created);
                    if (created.hasChildNodes()) {
                        element.appendChild(created);
                    }
                }
            }
            case LIST -> {
                for (Element entry : children(element)) {
                    if (s.name.equals(entry.getLocalName()) && s.namespace.equals(nsOf(entry))) {
                        fill(s, entry);
                    }
                }
            }
            case CHOICE -> {
                SchemaNode present = null;
                for (Element k : children(element)) {
                    SchemaNode d = s.dataChild(nsOf(k), k.getLocalName());
                    if (d != null) {
                        present = d.caseUnder(s);
                        break;
                    }
                }
                if (present == null && s.defaultValue != null) {
                    present = s.children.values().stream().filter(c -> c.name.equals(s.defaultValue)).findFirst().orElse(null);
                }
                if (present != null) {
                    fill(present, element);
                }
            }
            default -> {
            }
        }
    }
}
