package org.besip.security.internal.capture;

import java.util.List;
import java.util.function.Consumer;

import org.besip.core.api.system.Capability;
import org.besip.core.api.system.MissingCapabilityException;
import org.besip.security.internal.engine.Engine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wire capture as configured: started, restarted or stopped when its interfaces or filter
 * change, kept when a commit leaves them as they were. A capture that cannot open (no libpcap,
 * no CAP_NET_RAW, no such interface) is logged and the module goes on without it.
 */
public final class CaptureControl implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CaptureControl.class);

    /** Opens a capture on interfaces with a filter, delivering to a sink. */
    public interface Opener {
        AutoCloseable open(List<String> interfaces, String filter, Consumer<Engine.Packet> sink) throws Exception;
    }

    private final Opener opener;
    private final Consumer<Engine.Packet> sink;
    private AutoCloseable capture;
    private String key = "";
    private volatile String problem;

    /** Capture with libpcap ({@link WireCapture}), when the box holds CAP_NET_RAW (root has it). */
    public CaptureControl(Consumer<Engine.Packet> sink) {
        this((i, f, s) -> {
            Capability.NET_RAW.require("security: capture on " + i, LOG);
            return new WireCapture(i, f, s);
        }, sink);
    }

    /** Why capture is not running though interfaces are configured, or null. */
    public String problem() {
        return problem;
    }

    public CaptureControl(Opener opener, Consumer<Engine.Packet> sink) {
        this.opener = opener;
        this.sink = sink;
    }

    /** Captures on {@code interfaces} (none: off) with {@code filter}; nothing happens when both are as before. Returns whether it runs. */
    public synchronized boolean use(List<String> interfaces, String filter) {
        String k = interfaces + "|" + filter;
        if (k.equals(key)) {
            return capture != null;
        }
        key = k;
        close();
        problem = null;
        if (interfaces.isEmpty()) {
            return false;
        }
        try {
            capture = opener.open(interfaces, filter, sink);
            LOG.info("security: capturing on {} ({})", interfaces, filter);
        } catch (MissingCapabilityException e) {
            problem = e.getMessage(); // said once, as a warning, where it was found
        } catch (Exception | UnsatisfiedLinkError e) {
            problem = "no wire capture on " + interfaces + ": " + e.getMessage();
            LOG.error("security: no wire capture on {}: {} (needs libpcap and root or CAP_NET_RAW)", interfaces, e.getMessage());
        }
        return capture != null;
    }

    /** Packets captured, or -1 when capture is off. */
    public synchronized long packets() {
        return capture instanceof WireCapture w ? w.packets() : capture == null ? -1 : 0;
    }

    @Override
    public synchronized void close() {
        if (capture != null) {
            try {
                capture.close();
            } catch (Exception e) {
                // closing anyway
            }
            capture = null;
        }
    }
}
