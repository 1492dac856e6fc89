package org.besip.core.api.config;

import java.util.ArrayList;
import java.util.List;

import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * Reads what {@link ConfigApplier#prepare} and {@link ModuleRpc#invoke} receive: the child
 * elements of a node in the module's namespace, by local name. A null parent has no children, so
 * absent containers read as defaults. Since 1.3.
 */
public final class ConfigTree {

    private final String namespace;

    /** @param namespace the YANG module's namespace */
    public ConfigTree(String namespace) {
        this.namespace = namespace;
    }

    /** The children named {@code name}, in document order; none when {@code parent} is null. */
    public List<Element> children(Element parent, String name) {
        List<Element> out = new ArrayList<>();
        if (parent == null) {
            return out;
        }
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element c && name.equals(c.getLocalName()) && namespace.equals(c.getNamespaceURI())) {
                out.add(c);
            }
        }
        return out;
    }

    /** The first child named {@code name}, or null. */
    public Element child(Element parent, String name) {
        List<Element> c = children(parent, name);
        return c.isEmpty() ? null : c.get(0);
    }

    /** The trimmed text of the first child named {@code name}, or null when there is none. */
    public String text(Element parent, String name) {
        Element c = child(parent, name);
        return c == null ? null : c.getTextContent().trim();
    }
}
