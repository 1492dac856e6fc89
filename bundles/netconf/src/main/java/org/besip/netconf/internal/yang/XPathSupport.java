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
        Existence simple = node instanceof org.w3c.dom.Element && !defaultNs.isEmpty() ? EXISTENCE.computeIfAbsent(expr, Existence::parse)
                : null;
        if (simple != null && simple != Existence.NOT_SIMPLE) {
            return simple.test((org.w3c.dom.Element) node, prefixes, defaultNs);
        }
        return jdkTest(expr, prefixes, defaultNs, node);
    }

    /** {@link #test} by the JDK's XPath alone. */
    static boolean jdkTest(String expr, Map<String, String> prefixes, String defaultNs, Node node) throws XPathExpressionException {
        return (Boolean) xpath(prefixes, defaultNs, node).evaluate(rewrite(expr, defaultNs.isEmpty()), node, XPathConstants.BOOLEAN);
    }

    /** Parsed existence tests by expression text: one entry per must/when text of the schemas, so bounded by them. */
    private static final java.util.concurrent.ConcurrentMap<String, Existence> EXISTENCE = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * An expression that only asks whether relative paths of names exist, joined by and, or,
     * not() and parentheses ({@code password or ha1}, {@code not(a/b) or c}): evaluated on the
     * DOM directly. The JDK's XPath sets up a context of its own for every evaluation, which for
     * a must on each of 10 000 list entries costs seconds. Anything else is {@link #NOT_SIMPLE}.
     */
    @FunctionalInterface
    interface Existence {
        Existence NOT_SIMPLE = (e, prefixes, defaultNs) -> {
            throw new IllegalStateException("not an existence test");
        };

        boolean test(org.w3c.dom.Element e, Map<String, String> prefixes, String defaultNs);

        static Existence parse(String expr) {
            java.util.List<String> tokens = new java.util.ArrayList<>();
            java.util.regex.Matcher m = TOKEN.matcher(expr);
            int at = 0;
            while (at < expr.length()) {
                if (!m.find(at) || m.start() != at) {
                    return NOT_SIMPLE;
                }
                if (!m.group().isBlank()) {
                    tokens.add(m.group());
                }
                at = m.end();
            }
            int[] pos = { 0 };
            Existence e = chain(tokens, pos, "or");
            return e == null || pos[0] != tokens.size() ? NOT_SIMPLE : e;
        }

        Pattern TOKEN = Pattern.compile("\\s+|\\(|\\)|[A-Za-z_][\\w.-]*(:[A-Za-z_][\\w.-]*)?(/[A-Za-z_][\\w.-]*(:[A-Za-z_][\\w.-]*)?)*");

        /** Operands joined by {@code op}: "or" joins "and" chains, "and" joins terms (and binds tighter). Null: not ours. */
        private static Existence chain(java.util.List<String> t, int[] pos, String op) {
            boolean or = op.equals("or");
            Existence left = or ? chain(t, pos, "and") : term(t, pos);
            while (left != null && pos[0] < t.size() && t.get(pos[0]).equals(op)) {
                pos[0]++;
                Existence a = left;
                Existence b = or ? chain(t, pos, "and") : term(t, pos);
                if (b == null) {
                    return null;
                }
                left = or ? (e, p, d) -> a.test(e, p, d) || b.test(e, p, d) : (e, p, d) -> a.test(e, p, d) && b.test(e, p, d);
            }
            return left;
        }

        private static Existence term(java.util.List<String> t, int[] pos) {
            if (pos[0] >= t.size()) {
                return null;
            }
            String tok = t.get(pos[0]);
            boolean not = tok.equals("not") && pos[0] + 1 < t.size() && t.get(pos[0] + 1).equals("(");
            if (not || tok.equals("(")) {
                pos[0] += not ? 2 : 1;
                Existence inner = chain(t, pos, "or");
                if (inner == null || pos[0] >= t.size() || !t.get(pos[0]).equals(")")) {
                    return null;
                }
                pos[0]++;
                return not ? (e, p, d) -> !inner.test(e, p, d) : inner;
            }
            if (tok.equals(")") || tok.equals("and") || tok.equals("or") || tok.equals("not")
                    || (pos[0] + 1 < t.size() && t.get(pos[0] + 1).equals("("))) { // a function call: not ours
                return null;
            }
            pos[0]++;
            String[] steps = tok.split("/");
            return (e, p, d) -> exists(e, steps, 0, p, d);
        }

        private static boolean exists(org.w3c.dom.Element e, String[] steps, int i, Map<String, String> prefixes, String defaultNs) {
            if (i == steps.length) {
                return true;
            }
            String step = steps[i];
            int colon = step.indexOf(':');
            String ns = colon < 0 ? defaultNs : prefixes.get(step.substring(0, colon));
            String name = step.substring(colon + 1);
            for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
                if (n instanceof org.w3c.dom.Element c && name.equals(c.getLocalName())
                        && (ns == null ? "" : ns).equals(c.getNamespaceURI() == null ? "" : c.getNamespaceURI())
                        && exists(c, steps, i + 1, prefixes, defaultNs)) {
                    return true;
                }
            }
            return false;
        }
    }

    /** The nodes {@code expr} selects from {@code node}. */
    public static NodeList select(String expr, Map<String, String> prefixes, String defaultNs, Node node)
            throws XPathExpressionException {
        return (NodeList) xpath(prefixes, defaultNs, node).evaluate(rewrite(expr, defaultNs.isEmpty()), node, XPathConstants.NODESET);
    }

    /** An absolute path (a / that starts a path), a parent step, or a reverse, sideways or namespace axis: looks outside its node. */
    private static final Pattern NON_LOCAL = Pattern.compile("(^|[\\s(\\[,=!<>|+*-])/|\\.\\.|ancestor|parent::|preceding|following|namespace::");

    /**
     * Whether {@code expr} looks only at its context node and what that holds: then it is
     * evaluated the same on a copy of that node alone. String literals are not looked into, so
     * "a/b = '../x'" stays local; anything unclear counts as not local.
     */
    public static boolean isLocal(String expr) {
        return !NON_LOCAL.matcher(expr.replaceAll("'[^']*'|\"[^\"]*\"", "''")).find();
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
