package org.besip.pbx.internal.registrar;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Where each address of record can be reached (RFC 3261 §10): bindings with expiry, bounded per
 * AOR and in total so that no remote peer can grow the table without limit.
 */
public final class LocationService {

    /** Told of every change, e.g. to persist it and to publish registration events. */
    public interface Listener {
        void added(Binding b);

        void removed(String aor, String contact);
    }

    public static final int MAX_PER_AOR = 10;
    public static final int MAX_TOTAL = 100_000;

    private final Map<String, List<Binding>> byAor = new HashMap<>();
    /** The same bindings by their Contact without parameters: a dialog's remote target is the phone's Contact. */
    private final Map<String, Binding> byContact = new HashMap<>();
    /** How many bindings were registered from each source address (without port): who is a phone's address. */
    private final Map<String, Integer> bySource = new HashMap<>();
    private int total;
    private volatile Listener listener = new Listener() {
        @Override
        public void added(Binding b) {
        }

        @Override
        public void removed(String aor, String contact) {
        }
    };

    /** The bindings other boxes sharing the store hold, by AOR: read from the store now and then. */
    private volatile Map<String, List<Binding>> fleet = Map.of();

    public void listener(Listener l) {
        this.listener = l;
    }

    /**
     * Replaces what is known of the other boxes' bindings (a fleet sharing one store): they are
     * rung too, after this box's own; they are not this box's to refresh, expire or remove.
     */
    public void fleet(Map<String, List<Binding>> others) {
        this.fleet = Map.copyOf(others);
    }

    /**
     * Where {@code aor} can be reached at {@code now}: this box's bindings, then those other boxes
     * of the fleet registered (a contact this box has too counts once).
     */
    public List<Binding> lookup(String aor, long now) {
        List<Binding> mine = local(aor, now);
        List<Binding> theirs = fleet.get(aor);
        if (theirs == null) {
            return mine;
        }
        List<Binding> out = new ArrayList<>(mine);
        for (Binding b : theirs) {
            if (b.expiresAtMs() > now && mine.stream().noneMatch(m -> m.contact().equals(b.contact()))) {
                out.add(b);
            }
        }
        return List.copyOf(out);
    }

    /** This box's bindings of {@code aor} at {@code now} (the ones it registered), expired ones dropped. */
    public synchronized List<Binding> local(String aor, long now) {
        List<Binding> list = byAor.get(aor);
        if (list == null) {
            return List.of();
        }
        int before = list.size();
        list.removeIf(b -> {
            if (b.expiresAtMs() <= now) {
                byContact.remove(key(b.contact()), b);
                unsourced(b);
                listener.removed(b.aor(), b.contact());
                return true;
            }
            return false;
        });
        total -= before - list.size();
        if (list.isEmpty()) {
            byAor.remove(aor);
        }
        return List.copyOf(list);
    }

    /** Adds or refreshes a binding (same contact URI); false when a bound is reached. */
    public synchronized boolean put(Binding b, long now) {
        local(b.aor(), now);
        List<Binding> list = byAor.computeIfAbsent(b.aor(), k -> new ArrayList<>());
        for (int i = 0; i < list.size(); i++) {
            if (list.get(i).contact().equals(b.contact())) {
                unsourced(list.get(i));
                list.set(i, b);
                sourced(b);
                byContact.put(key(b.contact()), b);
                listener.added(b);
                return true;
            }
        }
        if (list.size() >= MAX_PER_AOR || total >= MAX_TOTAL) {
            if (list.isEmpty()) {
                byAor.remove(b.aor());
            }
            return false;
        }
        list.add(b);
        sourced(b);
        byContact.put(key(b.contact()), b);
        total++;
        listener.added(b);
        return true;
    }

    /** The binding whose Contact is {@code uri} (parameters aside), valid at {@code now}; null when none. */
    public synchronized Binding byContact(String uri, long now) {
        Binding b = byContact.get(key(uri));
        return b != null && b.expiresAtMs() > now ? b : null;
    }

    /** Whether a live binding was registered from {@code address}. */
    public synchronized boolean hasSource(java.net.InetAddress address) {
        return bySource.containsKey(address.getHostAddress());
    }

    private void sourced(Binding b) {
        java.net.InetSocketAddress flow = b.flow();
        if (flow != null) {
            bySource.merge(flow.getAddress().getHostAddress(), 1, Integer::sum);
        }
    }

    private void unsourced(Binding b) {
        java.net.InetSocketAddress flow = b.flow();
        if (flow != null) {
            bySource.computeIfPresent(flow.getAddress().getHostAddress(), (k, n) -> n > 1 ? n - 1 : null);
        }
    }

    private static String key(String contact) {
        String u = contact.trim();
        int semi = u.indexOf(';');
        return (semi < 0 ? u : u.substring(0, semi)).toLowerCase(java.util.Locale.ROOT);
    }

    public synchronized void remove(String aor, String contact) {
        List<Binding> list = byAor.get(aor);
        Binding gone = list == null ? null : list.stream().filter(b -> b.contact().equals(contact)).findFirst().orElse(null);
        if (gone != null) {
            list.remove(gone);
            byContact.remove(key(gone.contact()), gone);
            unsourced(gone);
            total--;
            listener.removed(aor, contact);
            if (list.isEmpty()) {
                byAor.remove(aor);
            }
        }
    }

    public synchronized void removeAll(String aor) {
        List<Binding> list = byAor.remove(aor);
        if (list != null) {
            total -= list.size();
            list.forEach(b -> {
                byContact.remove(key(b.contact()), b);
                unsourced(b);
                listener.removed(aor, b.contact());
            });
        }
    }

    /** The other boxes' bindings valid at {@code now} (a fleet sharing one store), for display. */
    public List<Binding> fleet(long now) {
        return live(fleet.values(), now);
    }

    /** Every binding valid at {@code now}, for display. */
    public synchronized List<Binding> all(long now) {
        return live(byAor.values(), now);
    }

    /** The bindings still valid at {@code now}, by AOR then contact. */
    private static List<Binding> live(java.util.Collection<List<Binding>> lists, long now) {
        List<Binding> out = new ArrayList<>();
        for (List<Binding> l : lists) {
            for (Binding b : l) {
                if (b.expiresAtMs() > now) {
                    out.add(b);
                }
            }
        }
        out.sort(java.util.Comparator.comparing(Binding::aor).thenComparing(Binding::contact));
        return out;
    }

    public synchronized int size() {
        return total;
    }
}
