package org.besip.security.internal.firewall;

import java.net.InetAddress;

/**
 * Where blocks are enforced besides the application (which always drops a blocked source's
 * messages first thing): the kernel, so a blocked flood costs the box nothing. Called off the
 * transport threads; may take milliseconds.
 */
public interface Firewall extends AutoCloseable {

    String name();

    /** Blocks {@code address} for {@code seconds} (0: until {@link #unblock}). */
    void block(InetAddress address, long seconds);

    void unblock(InetAddress address);

    /** Removes everything this backend put in the kernel. */
    @Override
    void close();

    /** Application only. */
    Firewall NONE = new Firewall() {
        @Override
        public String name() {
            return "none";
        }

        @Override
        public void block(InetAddress address, long seconds) {
        }

        @Override
        public void unblock(InetAddress address) {
        }

        @Override
        public void close() {
        }
    };
}
