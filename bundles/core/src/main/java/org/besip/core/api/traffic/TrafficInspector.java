package org.besip.core.api.traffic;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Sees every inbound signalling message before it is parsed. Called on transport threads: it
 * must be cheap and must not block. A {@link Verdict#DROP} is silent: no answer is sent.
 */
@ConsumerType
public interface TrafficInspector {

    /**
     * @param message the raw bytes, read-only; position to limit is the message
     */
    Verdict inspect(InetSocketAddress source, Transport transport, ByteBuffer message);

    /**
     * The same, with the box's address and port the message came in on (since 1.1), so rules can
     * match the destination. Transports call this one; by default it ignores {@code local}.
     *
     * @param local the listening address and port; its address is the wildcard when the
     *              transport listens on every address
     */
    default Verdict inspect(InetSocketAddress source, InetSocketAddress local, Transport transport, ByteBuffer message) {
        return inspect(source, transport, message);
    }
}
