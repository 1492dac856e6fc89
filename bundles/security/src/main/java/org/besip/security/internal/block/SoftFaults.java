package org.besip.security.internal.block;

import java.net.InetAddress;
import java.util.List;

import org.besip.security.internal.engine.Windows;

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

    private final Windows windows = new Windows(MAX_TRACKED);
    private volatile Policy policy = Policy.DEFAULT;

    public void policy(Policy p) {
        this.policy = p;
    }

    public Policy policy() {
        return policy;
    }

    /** The failures counted per source, for the module's next version. */
    public List<Windows.Entry> counters() {
        return windows.entries();
    }

    /** Takes on the failures a previous version counted. */
    public void counters(List<Windows.Entry> before) {
        windows.restore(before);
    }

    /** Counts one failure; returns how many in the window when that reaches the limit (the block is due), else 0. */
    public synchronized int failed(InetAddress source, long now) {
        Policy p = policy;
        if (!p.enabled()) {
            return 0;
        }
        int n = windows.count(source, p.windowS(), now);
        if (n >= p.failures()) {
            windows.reset(source);
            return n;
        }
        return 0;
    }
}
