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
}
