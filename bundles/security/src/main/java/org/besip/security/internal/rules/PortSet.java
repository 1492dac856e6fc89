package org.besip.security.internal.rules;

import java.util.ArrayList;
import java.util.List;

/** A Snort port field: {@code any}, {@code 5060}, ranges {@code 5060:5070}, {@code :1024}, {@code 1024:}, lists, negation. */
public final class PortSet {

    private record Range(int from, int to) {
        boolean contains(int p) {
            return p >= from && p <= to;
        }
    }

    public static final PortSet ANY = new PortSet(List.of(), List.of());

    private final List<Range> include;
    private final List<Range> exclude;

    private PortSet(List<Range> include, List<Range> exclude) {
        this.include = include;
        this.exclude = exclude;
    }

    public boolean matches(int port) {
        for (Range r : exclude) {
            if (r.contains(port)) {
                return false;
            }
        }
        if (include.isEmpty()) {
            return true;
        }
        for (Range r : include) {
            if (r.contains(port)) {
                return true;
            }
        }
        return false;
    }

    public static PortSet parse(String text) {
        List<Range> in = new ArrayList<>();
        List<Range> out = new ArrayList<>();
        add(text.trim(), false, in, out, 0);
        return in.isEmpty() && out.isEmpty() ? ANY : new PortSet(List.copyOf(in), List.copyOf(out));
    }

    private static void add(String t, boolean negated, List<Range> in, List<Range> out, int depth) {
        AddressSet.walk(t, negated, depth, (atom, neg) -> {
            int colon = atom.indexOf(':');
            int from;
            int to;
            if (colon < 0) {
                from = to = port(atom);
            } else {
                from = colon == 0 ? 0 : port(atom.substring(0, colon));
                to = colon == atom.length() - 1 ? 65535 : port(atom.substring(colon + 1));
            }
            if (from > to) {
                throw new IllegalArgumentException("empty port range: " + atom);
            }
            (neg ? out : in).add(new Range(from, to));
        });
    }

    private static int port(String s) {
        try {
            int p = Integer.parseInt(s.trim());
            if (p >= 0 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new IllegalArgumentException("not a port: " + s);
    }
}
