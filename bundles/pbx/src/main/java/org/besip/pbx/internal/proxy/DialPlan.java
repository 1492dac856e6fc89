package org.besip.pbx.internal.proxy;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Numbers that are not local users go out through a trunk: the route with the longest matching
 * prefix wins, then {@code strip} leading digits are removed and {@code prepend} is put in front.
 */
public final class DialPlan {

    /** A provider's SIP entry point (its outbound proxy). */
    public record Trunk(String name, InetSocketAddress address) {
    }

    /** prefix → trunk, with digit manipulation. */
    public record Route(String prefix, Trunk trunk, int strip, String prepend) {
    }

    /** Where a dialled number goes and what is sent there. */
    public record Target(Trunk trunk, String number) {
    }

    public static final DialPlan EMPTY = new DialPlan(List.of());

    private final List<Route> routes;

    public DialPlan(List<Route> routes) {
        List<Route> sorted = new ArrayList<>(routes);
        sorted.sort(Comparator.comparingInt((Route r) -> r.prefix().length()).reversed());
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
            if (dialled.startsWith(r.prefix())) {
                String rest = r.strip() >= dialled.length() ? "" : dialled.substring(r.strip());
                String number = (r.prepend() == null ? "" : r.prepend()) + rest;
                return number.isEmpty() ? null : new Target(r.trunk(), number);
            }
        }
        return null;
    }
}
