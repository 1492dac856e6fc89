package org.besip.security.internal.engine;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import org.besip.security.internal.rules.Rule;

/**
 * Runs rules over packets. For each rule: the header, the contents (Snort's offset/depth and
 * distance/within semantics, with the usual re-search of an earlier content when a later relative
 * one fails), the pcre; then its event options: {@code detection_filter} (the rule fires from the
 * (count+1)-th match within the window, per tracked address) and {@code threshold} (limit,
 * threshold, both). Pass rules go first: a packet a pass rule matches raises nothing. Thread-safe;
 * the per-address tables of each rule are bounded (least recently used address evicted), so a
 * flood from spoofed sources costs a fixed amount of memory.
 */
public final class Engine {

    /**
     * What one packet is, as the rules see it; {@code data[0..len)} is the payload; {@code tcpFlags}
     * the TCP header's flag byte, -1 when unknown (not TCP, or a message off a stream).
     */
    /**
     * A packet; {@code authenticated}: it carries credentials and comes from an address a phone
     * registered from, so the rules' counters (detection_filter, threshold) count it apart from the
     * rest of that address's traffic: an office of phones behind one address refreshing their
     * registrations does not look like a flood from a stranger there.
     */
    public record Packet(InetAddress src, int srcPort, InetAddress dst, int dstPort, String proto, byte[] data, int len, int tcpFlags,
            boolean authenticated) {
        public Packet(InetAddress src, int srcPort, InetAddress dst, int dstPort, String proto, byte[] data, int len) {
            this(src, srcPort, dst, dstPort, proto, data, len, -1);
        }

        public Packet(InetAddress src, int srcPort, InetAddress dst, int dstPort, String proto, byte[] data, int len, int tcpFlags) {
            this(src, srcPort, dst, dstPort, proto, data, len, tcpFlags, false);
        }
    }

    /** An event the filters let through: an alert, and a block when the rule has fwsam. */
    public record Event(Rule rule, InetAddress src, InetAddress dst) {
        /** The address fwsam blocks, or null. */
        public InetAddress blockTarget() {
            return rule.fwsam() == null ? null : rule.fwsam().src() ? src : dst;
        }
    }

    /** The verdict and the events of one packet. */
    public record Result(boolean drop, List<Event> events) {
        static final Result NONE = new Result(false, List.of());
    }

    /** Per rule: matches seen, events raised. */
    public record Stats(Rule rule, long matches, long events) {
    }

    static final int MAX_TRACKED = 4096;
    static final int MAX_ATTEMPTS = 256;

    private final List<Compiled> rules;

    private static final class Compiled {
        final Rule rule;
        final AtomicLong matches = new AtomicLong();
        final AtomicLong events = new AtomicLong();
        final Windows filter;
        final Windows threshold;
        /** The same counts for authenticated packets from registered addresses, apart. */
        final Windows authenticatedFilter;
        final Windows authenticatedThreshold;

        Compiled(Rule rule) {
            this.rule = rule;
            this.filter = rule.detectionFilter() == null ? null : new Windows(MAX_TRACKED);
            this.threshold = rule.threshold() == null ? null : new Windows(MAX_TRACKED);
            this.authenticatedFilter = rule.detectionFilter() == null ? null : new Windows(MAX_TRACKED);
            this.authenticatedThreshold = rule.threshold() == null ? null : new Windows(MAX_TRACKED);
        }
    }

    public Engine(List<Rule> rules) {
        List<Compiled> pass = new ArrayList<>();
        List<Compiled> rest = new ArrayList<>();
        for (Rule r : rules) {
            (r.action() == Rule.Action.PASS ? pass : rest).add(new Compiled(r));
        }
        pass.addAll(rest);
        this.rules = List.copyOf(pass);
    }

    public int size() {
        return rules.size();
    }

    /**
     * The rules' counters (detection_filter and threshold windows, apart for authenticated
     * packets), by sid: four lists each, empty where the rule counts nothing.
     */
    public Map<Long, List<List<Windows.Entry>>> counters() {
        Map<Long, List<List<Windows.Entry>>> out = new java.util.LinkedHashMap<>();
        for (Compiled c : rules) {
            if (c.filter != null || c.threshold != null) {
                out.put(c.rule.sid(), List.of(entries(c.filter), entries(c.threshold), entries(c.authenticatedFilter),
                        entries(c.authenticatedThreshold)));
            }
        }
        return out;
    }

    /** Takes on the counters of the rules with the same sid that count the same way (a commit, the module's previous version). */
    public void counters(Map<Long, List<List<Windows.Entry>>> before) {
        for (Compiled c : rules) {
            List<List<Windows.Entry>> w = before.get(c.rule.sid());
            if (w != null && w.size() == 4) {
                restore(c.filter, w.get(0));
                restore(c.threshold, w.get(1));
                restore(c.authenticatedFilter, w.get(2));
                restore(c.authenticatedThreshold, w.get(3));
            }
        }
    }

    private static List<Windows.Entry> entries(Windows w) {
        return w == null ? List.of() : w.entries();
    }

    private static void restore(Windows w, List<Windows.Entry> e) {
        if (w != null) {
            w.restore(e);
        }
    }

    public List<Stats> stats() {
        return rules.stream().map(c -> new Stats(c.rule, c.matches.get(), c.events.get())).toList();
    }

    public Result evaluate(Packet p, long nowMs) {
        List<Event> events = null;
        boolean drop = false;
        for (Compiled c : rules) {
            Rule r = c.rule;
            if (!header(r, p) || !detect(r, p)) {
                continue;
            }
            c.matches.incrementAndGet();
            if (r.action() == Rule.Action.PASS) {
                return events == null ? Result.NONE : new Result(drop, events);
            }
            if (!passesFilter(c, p, nowMs)) {
                continue;
            }
            if (r.action() == Rule.Action.DROP) {
                drop = true; // a drop rule drops every packet past its detection_filter, alert or not
            }
            if (!passesThreshold(c, p, nowMs)) {
                continue;
            }
            c.events.incrementAndGet();
            if (events == null) {
                events = new ArrayList<>(2);
            }
            events.add(new Event(r, p.src(), p.dst()));
        }
        return events == null && !drop ? Result.NONE : new Result(drop, events == null ? List.of() : events);
    }

    static boolean header(Rule r, Packet p) {
        if (!r.proto().equals("ip") && !r.proto().equals(p.proto())) {
            return false;
        }
        if (r.src().matches(p.src()) && r.srcPorts().matches(p.srcPort()) && r.dst().matches(p.dst()) && r.dstPorts().matches(p.dstPort())) {
            return true;
        }
        return r.bidirectional() && r.src().matches(p.dst()) && r.srcPorts().matches(p.dstPort()) && r.dst().matches(p.src())
                && r.dstPorts().matches(p.srcPort());
    }

    static boolean detect(Rule r, Packet p) {
        if (r.flags() != null && !r.flags().matches(p.tcpFlags())) {
            return false;
        }
        if (!r.contents().isEmpty() && !contents(r.contents(), 0, p.data(), p.len(), 0, new int[] {MAX_ATTEMPTS})) {
            return false;
        }
        if (r.pcre() != null) {
            boolean found = r.pcre().pattern().matcher(new String(p.data(), 0, p.len(), StandardCharsets.ISO_8859_1)).find();
            return found != r.pcre().negated();
        }
        return true;
    }

    /** Whether contents {@code i..} match with the previous match ending at {@code prevEnd}; {@code budget} bounds re-searches. */
    private static boolean contents(List<Rule.Content> cs, int i, byte[] d, int len, int prevEnd, int[] budget) {
        if (i == cs.size()) {
            return true;
        }
        Rule.Content c = cs.get(i);
        int from;
        int limit;
        if (c.relative()) {
            from = prevEnd + (c.distance() == Rule.Content.NO_DISTANCE ? 0 : c.distance());
            limit = c.within() >= 0 ? from + c.within() : len; // within counts from where distance starts the search
        } else {
            from = Math.max(c.offset(), 0);
            limit = c.depth() >= 0 ? from + c.depth() : len;
        }
        from = Math.max(from, 0);
        limit = Math.min(limit, len);
        if (c.negated()) {
            return find(c, d, from, limit) < 0 && contents(cs, i + 1, d, len, prevEnd, budget);
        }
        for (int at = find(c, d, from, limit); at >= 0; at = find(c, d, at + 1, limit)) {
            if (contents(cs, i + 1, d, len, at + c.bytes().length, budget)) {
                return true;
            }
            if (--budget[0] <= 0) {
                return false;
            }
        }
        return false;
    }

    /** The first position in {@code [from, limit)} where the whole content fits and matches, or -1. */
    static int find(Rule.Content c, byte[] d, int from, int limit) {
        byte[] b = c.bytes();
        for (int at = from; at + b.length <= limit; at++) {
            int k = 0;
            while (k < b.length && (d[at + k] == b[k] || c.nocase() && lower(d[at + k]) == lower(b[k]))) {
                k++;
            }
            if (k == b.length) {
                return at;
            }
        }
        return -1;
    }

    private static int lower(byte b) {
        return b >= 'A' && b <= 'Z' ? b + 32 : b;
    }

    private static boolean passesFilter(Compiled c, Packet p, long now) {
        Rule.Filter f = c.rule.detectionFilter();
        return f == null || (p.authenticated() ? c.authenticatedFilter : c.filter).count(f.bySrc() ? p.src() : p.dst(), f.seconds(), now)
                > f.count();
    }

    private static boolean passesThreshold(Compiled c, Packet p, long now) {
        Rule.Threshold t = c.rule.threshold();
        if (t == null) {
            return true;
        }
        int n = (p.authenticated() ? c.authenticatedThreshold : c.threshold).count(t.bySrc() ? p.src() : p.dst(), t.seconds(), now);
        return switch (t.type()) {
            case LIMIT -> n <= t.count();
            case THRESHOLD -> n % t.count() == 0;
            case BOTH -> n == t.count();
        };
    }
}
