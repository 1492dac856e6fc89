package org.besip.security.internal.engine;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Counts per address in fixed windows: a window starts with an address's first count and ends
 * {@code seconds} later. Bounded: beyond {@code max} addresses the least recently counted one is
 * forgotten, so a flood from spoofed sources costs fixed memory. Thread-safe. Serves the rules'
 * {@code detection_filter} and {@code threshold} and the soft-fault counter.
 */
public final class Windows {

    private static final class Window {
        long startMs;
        int count;
    }

    private final Map<InetAddress, Window> windows;

    public Windows(int max) {
        this.windows = new LinkedHashMap<>(64, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<InetAddress, Window> eldest) {
                return size() > max;
            }
        };
    }

    /** Counts one more for {@code key} at {@code now}; returns its count in the current window. */
    public synchronized int count(InetAddress key, int seconds, long now) {
        Window w = windows.computeIfAbsent(key, k -> new Window());
        if (w.count == 0 || now - w.startMs >= seconds * 1000L) {
            w.startMs = now;
            w.count = 0;
        }
        return ++w.count;
    }

    /** Forgets {@code key}: its next count starts a new window. */
    public synchronized void reset(InetAddress key) {
        windows.remove(key);
    }

    /** One address's window as the next version of the module takes it on. */
    public record Entry(InetAddress address, long startMs, int count) {
    }

    /** Every window, least recently counted first. */
    public synchronized List<Entry> entries() {
        List<Entry> out = new ArrayList<>();
        windows.forEach((a, w) -> out.add(new Entry(a, w.startMs, w.count)));
        return out;
    }

    /** Takes on windows another counter (an earlier version, the rule before a commit) had; the bound still holds. */
    public synchronized void restore(List<Entry> entries) {
        for (Entry e : entries) {
            Window w = new Window();
            w.startMs = e.startMs();
            w.count = e.count();
            windows.put(e.address(), w);
        }
    }

    /** How many addresses are tracked. */
    public synchronized int size() {
        return windows.size();
    }
}
