package org.besip.core.api.config;

import java.util.ArrayList;
import java.util.List;

import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * Reads what {@link ConfigApplier#prepare} and {@link ModuleRpc#invoke} receive: the child
 * elements of a node in the module's namespace, by local name. A null parent has no children, so
 * absent containers read as defaults. Since 1.3.
 *
 * <p>The typed readers (since 1.4) read a leaf the schema gives a default: what {@code prepare}
 * receives has its defaults filled in, so the default lives in the YANG module alone and a
 * component never repeats it. A leaf missing there is a bug of the caller, not bad input:
 * {@link IllegalArgumentException} names it.
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

    /** The leaf {@code name} of {@code parent}, which must be there (the schema gives it a default). */
    public String required(Element parent, String name) {
        String v = text(parent, name);
        if (v == null) {
            throw new IllegalArgumentException("no " + name + (parent == null ? "" : " in " + parent.getLocalName())
                    + ": its schema default was not filled in");
        }
        return v;
    }

    /** A numeric leaf with a default, as an int. */
    public int integer(Element parent, String name) {
        return (int) number(parent, name);
    }

    /** A numeric leaf with a default, as a long. */
    public long number(Element parent, String name) {
        String v = required(parent, name);
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " is not an integer: " + v, e);
        }
    }

    /** A boolean leaf with a default. */
    public boolean bool(Element parent, String name) {
        String v = required(parent, name);
        if (!v.equals("true") && !v.equals("false")) {
            throw new IllegalArgumentException(name + " is not a boolean: " + v);
        }
        return v.equals("true");
    }

    /** A numeric leaf without a default: null when absent. */
    public Long optionalNumber(Element parent, String name) {
        return text(parent, name) == null ? null : number(parent, name);
    }
}
