package org.besip.security.internal.rules;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * A Snort address field: {@code any}, an address, a CIDR block, a list {@code [a,b,...]}, any of
 * them negated with {@code !}. An address matches when it is in some positive entry (or there is
 * none) and in no negated entry.
 */
public final class AddressSet {

    /** One CIDR block, IPv4 or IPv6. */
    public record Cidr(byte[] network, int bits) {
        public boolean contains(InetAddress a) {
            byte[] b = a.getAddress();
            if (b.length != network.length) {
                return false;
            }
            int full = bits / 8;
            for (int i = 0; i < full; i++) {
                if (b[i] != network[i]) {
                    return false;
                }
            }
            int rest = bits % 8;
            if (rest == 0) {
                return true;
            }
            int mask = (0xff << (8 - rest)) & 0xff;
            return (b[full] & mask) == (network[full] & mask);
        }

        /** Parses {@code 10.0.0.0/8}, {@code 2001:db8::/32} or a single address; literals only, never a name. */
        public static Cidr parse(String text) {
            String t = text.trim();
            int slash = t.indexOf('/');
            String addr = slash < 0 ? t : t.substring(0, slash);
            if (!addr.matches("\\d{1,3}(\\.\\d{1,3}){3}") && !(addr.contains(":") && addr.matches("[0-9a-fA-F:.]+"))) {
                throw new IllegalArgumentException("not an IP address: " + text);
            }
            if (addr.contains(".") && !addr.contains(":")) {
                for (String part : addr.split("\\.")) {
                    if (Integer.parseInt(part) > 255) {
                        throw new IllegalArgumentException("not an IP address: " + text);
                    }
                }
            }
            byte[] net;
            try {
                net = InetAddress.getByName(addr).getAddress(); // a literal: no lookup
            } catch (java.net.UnknownHostException e) {
                throw new IllegalArgumentException("not an IP address: " + text);
            }
            int bits = net.length * 8;
            if (slash >= 0) {
                try {
                    bits = Integer.parseInt(t.substring(slash + 1));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("bad prefix length: " + text);
                }
                if (bits < 0 || bits > net.length * 8) {
                    throw new IllegalArgumentException("bad prefix length: " + text);
                }
            }
            return new Cidr(net, bits);
        }
    }

    public static final AddressSet ANY = new AddressSet(List.of(), List.of());

    private final List<Cidr> include;
    private final List<Cidr> exclude;

    private AddressSet(List<Cidr> include, List<Cidr> exclude) {
        this.include = include;
        this.exclude = exclude;
    }

    public boolean matches(InetAddress a) {
        if (a == null) {
            return include.isEmpty() && exclude.isEmpty();
        }
        for (Cidr c : exclude) {
            if (c.contains(a)) {
                return false;
            }
        }
        if (include.isEmpty()) {
            return true;
        }
        for (Cidr c : include) {
            if (c.contains(a)) {
                return true;
            }
        }
        return false;
    }

    public boolean isAny() {
        return include.isEmpty() && exclude.isEmpty();
    }

    /** Parses an address field whose variables are already expanded. */
    public static AddressSet parse(String text) {
        List<Cidr> in = new ArrayList<>();
        List<Cidr> out = new ArrayList<>();
        add(text.trim(), false, in, out, 0);
        if (in.isEmpty() && out.isEmpty() && !isAnyText(text)) {
            throw new IllegalArgumentException("empty address list: " + text);
        }
        return new AddressSet(List.copyOf(in), List.copyOf(out));
    }

    private static boolean isAnyText(String text) {
        return text.replaceAll("[\\[\\]\\s]", "").equalsIgnoreCase("any");
    }

    /** One entry of a list field, with whether it is negated (an odd number of enclosing {@code !}). */
    interface Entry {
        void accept(String atom, boolean negated);
    }

    /**
     * Walks a Snort list field ({@code [a,!b,[c,d]]}, {@code !x}) down to its atoms, which
     * {@code entry} takes; shared by address and port fields.
     */
    static void walk(String t, boolean negated, int depth, Entry entry) {
        if (depth > 8) {
            throw new IllegalArgumentException("lists nested too deep");
        }
        t = t.trim();
        if (t.startsWith("!")) {
            walk(t.substring(1), !negated, depth + 1, entry);
        } else if (t.startsWith("[")) {
            if (!t.endsWith("]")) {
                throw new IllegalArgumentException("unclosed list: " + t);
            }
            for (String part : splitTop(t.substring(1, t.length() - 1))) {
                walk(part, negated, depth + 1, entry);
            }
        } else if (t.equalsIgnoreCase("any")) {
            if (negated) {
                throw new IllegalArgumentException("!any matches nothing");
            }
        } else {
            entry.accept(t, negated);
        }
    }

    private static void add(String t, boolean negated, List<Cidr> in, List<Cidr> out, int depth) {
        walk(t, negated, depth, (atom, neg) -> (neg ? out : in).add(Cidr.parse(atom)));
    }

    /** Splits a list's content on commas outside nested brackets. */
    static List<String> splitTop(String s) {
        List<String> parts = new ArrayList<>();
        int depth = 0;
        int start = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '[') {
                depth++;
            } else if (c == ']') {
                depth--;
            } else if (c == ',' && depth == 0) {
                parts.add(s.substring(start, i));
                start = i + 1;
            }
        }
        parts.add(s.substring(start));
        parts.removeIf(p -> p.isBlank());
        return parts;
    }
}
