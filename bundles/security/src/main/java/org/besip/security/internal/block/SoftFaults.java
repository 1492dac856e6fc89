package org.besip.security.internal.block;

import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * BESIP's "denoting": authentication failures per source within a window; the one that reaches
 * the limit says so. Bounded like the rule counters (least recently seen source evicted).
 */
public final class SoftFaults {

    /** The thresholds, from YANG. */
    public record Policy(boolean enabled, int failures, int windowS, long blockS) {
        public static final Policy DEFAULT = new Policy(true, 10, 60, 600);
    }

    static final int MAX_TRACKED = 4096;

    private static final class Window {
        long startMs;
        int count;
    }

    private final Map<InetAddress, Window> windows = new LinkedHashMap<>(64, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<InetAddress, Window> eldest) {
            return size() > MAX_TRACKED;
        }
    };
    private volatile Policy policy = Policy.DEFAULT;

    public void policy(Policy p) {
        this.policy = p;
    }

    public Policy policy() {
        return policy;
    }

    /** Counts one failure; returns how many in the window when that reaches the limit (the block is due), else 0. */
    public synchronized int failed(InetAddress source, long now) {
        Policy p = policy;
        if (!p.enabled()) {
            return 0;
        }
        Window w = windows.computeIfAbsent(source, k -> new Window());
        if (w.count == 0 || now - w.startMs >= p.windowS() * 1000L) {
            w.startMs = now;
            w.count = 0;
        }
        w.count++;
        if (w.count >= p.failures()) {
            int n = w.count;
            windows.remove(source);
            return n;
        }
        return 0;
    }
}
