package org.besip.netconf.internal.yang;

import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

import javax.xml.XMLConstants;
import javax.xml.namespace.NamespaceContext;
import javax.xml.namespace.QName;
import javax.xml.xpath.XPath;
import javax.xml.xpath.XPathConstants;
import javax.xml.xpath.XPathExpressionException;
import javax.xml.xpath.XPathFactory;
import javax.xml.xpath.XPathFunction;
import javax.xml.xpath.XPathFunctionException;

import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * YANG's XPath 1.0 (RFC 7950 §6.4) on the JDK's XPath engine, over a data tree whose document
 * element is a {@code <data>} wrapper around the top-level nodes: absolute paths are moved under
 * the wrapper, {@code current()} is the context node, and {@code re-match()} is provided.
 */
public final class XPathSupport {

    static final String FN_NS = "urn:besip:xpath-functions";

    private XPathSupport() {
    }

    /** The prefix unprefixed names get: they belong to the module that wrote the expression. */
    static final String DEFAULT_PREFIX = "besip-default";

    /** Evaluates {@code expr} to a boolean with {@code node} as context and current node. */
    public static boolean test(String expr, Map<String, String> prefixes, String defaultNs, Node node)
            throws XPathExpressionException {
        return (Boolean) xpath(prefixes, defaultNs, node).evaluate(rewrite(expr, defaultNs.isEmpty()), node, XPathConstants.BOOLEAN);
    }

    /** The nodes {@code expr} selects from {@code node}. */
    public static NodeList select(String expr, Map<String, String> prefixes, String defaultNs, Node node)
            throws XPathExpressionException {
        return (NodeList) xpath(prefixes, defaultNs, node).evaluate(rewrite(expr, defaultNs.isEmpty()), node, XPathConstants.NODESET);
    }

    private static final ThreadLocal<XPathFactory> FACTORIES = ThreadLocal.withInitial(XPathFactory::newInstance);

    private static XPath xpath(Map<String, String> prefixes, String defaultNs, Node current) {
        XPath xp = FACTORIES.get().newXPath();
        xp.setNamespaceContext(new NamespaceContext() {
            @Override
            public String getNamespaceURI(String prefix) {
                if ("besip-fn".equals(prefix)) {
                    return FN_NS;
                }
                if (DEFAULT_PREFIX.equals(prefix)) {
                    return defaultNs;
                }
                return prefixes.getOrDefault(prefix, XMLConstants.NULL_NS_URI);
            }

            @Override
            public String getPrefix(String uri) {
                return null;
            }

            @Override
            public Iterator<String> getPrefixes(String uri) {
                return List.<String>of().iterator();
            }
        });
        xp.setXPathVariableResolver(name -> "current".equals(name.getLocalPart()) ? new SingleNodeList(current) : null);
        xp.setXPathFunctionResolver((QName name, int arity) -> {
            if (FN_NS.equals(name.getNamespaceURI()) && "re-match".equals(name.getLocalPart()) && arity == 2) {
                return reMatch();
            }
            return null;
        });
        return xp;
    }

    private static XPathFunction reMatch() {
        return args -> {
            String value = text(args.get(0));
            String regex = text(args.get(1));
            try {
                return Pattern.compile(regex).matcher(value).matches();
            } catch (PatternSyntaxException e) {
                throw new XPathFunctionException("re-match: bad pattern " + regex);
            }
        };
    }

    private static String text(Object o) {
        if (o instanceof NodeList nl) {
            return nl.getLength() == 0 ? "" : nl.item(0).getTextContent();
        }
        if (o instanceof Node n) {
            return n.getTextContent();
        }
        return String.valueOf(o);
    }

    /**
     * Moves absolute location paths under the {@code <data>} wrapper, and maps YANG's functions:
     * {@code current()} to the variable {@code $current}, {@code re-match(} to a prefixed function.
     * String literals are left alone.
     */
    /**
     * @param anyNamespace unprefixed names match an element of that name in any namespace (for
     *                     NETCONF xpath filters, where clients such as yangcli write {@code /system})
     */
    static String rewrite(String expr, boolean anyNamespace) {
        StringBuilder out = new StringBuilder();
        char quote = 0;
        for (int i = 0; i < expr.length(); i++) {
            char c = expr.charAt(i);
            if (quote != 0) {
                out.append(c);
                if (c == quote) {
                    quote = 0;
                }
                continue;
            }
            if (c == '"' || c == '\'') {
                quote = c;
                out.append(c);
                continue;
            }
            if (c == '/' && startsPath(out) && !(i + 1 < expr.length() && expr.charAt(i + 1) == '/')) {
                out.append("/*/");
                continue;
            }
            if (Character.isLetter(c) || c == '_') {
                int end = i;
                while (end < expr.length() && isNameChar(expr.charAt(end))) {
                    end++;
                }
                String name = expr.substring(i, end);
                // trailing '.' or '-' belong to the name only inside it
                int after = end;
                while (after < expr.length() && Character.isWhitespace(expr.charAt(after))) {
                    after++;
                }
                boolean function = after < expr.length() && expr.charAt(after) == '(';
                boolean axis = expr.startsWith("::", end) || (name.endsWith(":") && expr.startsWith(":", end));
                if (name.equals("current") && function) {
                    out.append("$current");
                    i = expr.indexOf(')', after);
                    continue;
                }
                if (name.equals("re-match") && function) {
                    out.append("besip-fn:re-match");
                    i = end - 1;
                    continue;
                }
                boolean operator = operatorPosition(out) && (name.equals("and") || name.equals("or")
                        || name.equals("div") || name.equals("mod"));
                boolean variable = out.length() > 0 && out.charAt(out.length() - 1) == '$';
                boolean attribute = out.length() > 0 && out.charAt(out.length() - 1) == '@';
                if (!function && !axis && !operator && !variable && !attribute && name.indexOf(':') < 0
                        && !isNodeType(name, expr, after)) {
                    if (anyNamespace) {
                        out.append("*[local-name()='").append(name).append("']");
                        i = end - 1;
                        continue;
                    }
                    out.append(DEFAULT_PREFIX).append(':');
                }
                out.append(name);
                i = end - 1;
                continue;
            }
            out.append(c);
        }
        return out.toString();
    }

    private static boolean isNodeType(String name, String expr, int after) {
        return after < expr.length() && expr.charAt(after) == '('
                && (name.equals("node") || name.equals("text") || name.equals("comment"));
    }

    /**
     * XPath 1.0 §3.7: a name is an operator when a token precedes it that is not '@', '::', '(',
     * '[', ',' or an operator.
     */
    private static boolean operatorPosition(StringBuilder before) {
        int j = before.length() - 1;
        while (j >= 0 && Character.isWhitespace(before.charAt(j))) {
            j--;
        }
        if (j < 0) {
            return false;
        }
        char p = before.charAt(j);
        if ("@([,/|+-=<>!".indexOf(p) >= 0 || before.toString().endsWith("::")) {
            return false;
        }
        String t = before.substring(0, j + 1);
        return !(t.endsWith(" and") || t.endsWith(" or") || t.endsWith(" div") || t.endsWith(" mod"));
    }

    /** Whether a '/' at this point starts an absolute path rather than continuing a relative one. */
    private static boolean startsPath(StringBuilder before) {
        int j = before.length() - 1;
        while (j >= 0 && Character.isWhitespace(before.charAt(j))) {
            j--;
        }
        if (j < 0) {
            return true;
        }
        char p = before.charAt(j);
        if ("([,|=<>+*-!".indexOf(p) >= 0) {
            return p != '*' || j == 0 || "([,|=<>+!".indexOf(before.charAt(j - 1)) >= 0;
        }
        String tail = before.substring(0, j + 1);
        return (tail.endsWith(" and") || tail.endsWith(" or") || tail.endsWith(" div") || tail.endsWith(" mod"))
                && j + 1 < before.length();
    }

    private static boolean isNameChar(char c) {
        return Character.isLetterOrDigit(c) || c == '-' || c == '_' || c == '.' || c == ':';
    }

    /** A node list of one node, for the $current variable. */
    private record SingleNodeList(Node node) implements NodeList {
        @Override
        public Node item(int index) {
            return index == 0 ? node : null;
        }

        @Override
        public int getLength() {
            return 1;
        }
    }
}
