package org.besip.pbx.internal.proxy;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Numbers that are not local users go out through a trunk: the most specific matching route wins,
 * then {@code strip} leading digits are removed and {@code prepend} is put in front. A route is a
 * prefix ({@code 00420}: numbers starting with it) or, written with a leading {@code _}, an
 * Asterisk-style pattern the whole number must match: {@code X} any digit, {@code Z} 1–9, {@code N}
 * 2–9, {@code [1-5]} a set, {@code .} one or more characters, {@code !} zero or more; e.g.
 * {@code _9NXXXXXX} (9 and a seven-digit local number). Specificity is the count of characters
 * that stand for one digit: longer prefixes and longer patterns first.
 */
public final class DialPlan {

    /** A provider's SIP entry point (its outbound proxy). */
    public record Trunk(String name, InetSocketAddress address) {
    }

    /** prefix or {@code _}pattern → trunk (then the fallbacks, in order), with digit manipulation. */
    public record Route(String prefix, Trunk trunk, int strip, String prepend, List<Trunk> fallbacks) {
        public Route(String prefix, Trunk trunk, int strip, String prepend) {
            this(prefix, trunk, strip, prepend, List.of());
        }

        /** Whether {@code dialled} takes this route. */
        boolean matches(String dialled) {
            return prefix.startsWith("_") ? compile(prefix).matcher(dialled).matches() : dialled.startsWith(prefix);
        }

        int specificity() {
            return prefix.startsWith("_") ? prefix.replaceAll("\\[[^\\]]*\\]", "D").replaceAll("[_.!]", "").length() : prefix.length();
        }
    }

    private static final java.util.Map<String, java.util.regex.Pattern> COMPILED = new java.util.concurrent.ConcurrentHashMap<>();

    /** An Asterisk-style pattern as a regular expression; a malformed one matches nothing. */
    static java.util.regex.Pattern compile(String pattern) {
        return COMPILED.computeIfAbsent(pattern, p -> {
            StringBuilder re = new StringBuilder();
            for (int i = 1; i < p.length(); i++) {
                char c = p.charAt(i);
                switch (c) {
                    case 'X', 'x' -> re.append("[0-9]");
                    case 'Z', 'z' -> re.append("[1-9]");
                    case 'N', 'n' -> re.append("[2-9]");
                    case '.' -> re.append(".+");
                    case '!' -> re.append(".*");
                    case '[' -> {
                        int end = p.indexOf(']', i);
                        if (end < 0 || !p.substring(i + 1, end).matches("[0-9-]+")) {
                            return java.util.regex.Pattern.compile("(?!)");
                        }
                        re.append('[').append(p, i + 1, end).append(']');
                        i = end;
                    }
                    default -> re.append(java.util.regex.Pattern.quote(String.valueOf(c)));
                }
            }
            try {
                return java.util.regex.Pattern.compile(re.toString());
            } catch (java.util.regex.PatternSyntaxException e) {
                return java.util.regex.Pattern.compile("(?!)"); // e.g. [5-1]
            }
        });
    }

    /** Whether {@code prefix} is a route the dial plan accepts (a prefix or a well-formed pattern); for config validation. */
    public static boolean valid(String prefix) {
        if (!prefix.startsWith("_")) {
            return prefix.matches("[0-9*#+]{0,16}");
        }
        return prefix.matches("_(?:[0-9*#+XxZzNn.!]|\\[[0-9-]+\\]){1,32}") && !compile(prefix).pattern().equals("(?!)");
    }

    /** Where a dialled number goes and what is sent there; the trunks to try next, in order, when that one fails. */
    public record Target(Trunk trunk, String number, List<Trunk> fallbacks, String route) {
        public Target(Trunk trunk, String number) {
            this(trunk, number, List.of(), null);
        }

        public Target(Trunk trunk, String number, List<Trunk> fallbacks) {
            this(trunk, number, fallbacks, null);
        }
    }

    public static final DialPlan EMPTY = new DialPlan(List.of());

    private final List<Route> routes;

    public DialPlan(List<Route> routes) {
        List<Route> sorted = new ArrayList<>(routes);
        sorted.sort(Comparator.comparingInt(Route::specificity).reversed());
        this.routes = List.copyOf(sorted);
    }

    public int size() {
        return routes.size();
    }

    /** The target for a dialled number, or null when it is not a number or no route matches. */
    public Target match(String dialled) {
        if (dialled == null || !dialled.matches("[0-9*#+]{1,32}")) {
            return null;
        }
        for (Route r : routes) {
            if (r.matches(dialled)) {
                String rest = r.strip() >= dialled.length() ? "" : dialled.substring(r.strip());
                String number = (r.prepend() == null ? "" : r.prepend()) + rest;
                return number.isEmpty() ? null : new Target(r.trunk(), number, r.fallbacks(), r.prefix());
            }
        }
        return null;
    }
}
