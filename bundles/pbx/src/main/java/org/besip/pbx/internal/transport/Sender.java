package org.besip.pbx.internal.transport;

import java.net.InetSocketAddress;

/** What the proxy, the B2BUA and the trunk registrations send SIP through. */
public interface Sender {
    void send(byte[] data, InetSocketAddress to);

    /**
     * Sends back to a peer that came over a stream (its Via says TCP): over its connection when
     * the box still has it. By default (and when the connection is gone) over UDP.
     */
    default void sendBack(byte[] data, InetSocketAddress to, boolean stream) {
        send(data, to);
    }
}
