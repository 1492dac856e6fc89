package org.besip.core.api.traffic;

import java.net.InetAddress;

import org.osgi.annotation.versioning.ProviderType;

/**
 * What the PBX knows of remote addresses, for the security module's judgement: the addresses of
 * its trunks (providers the operator configured: never to be blocked) and the addresses its
 * phones registered from (their authenticated traffic is counted apart from strangers').
 * Implementations answer from memory, without blocking: they are asked for every message.
 */
@ProviderType
public interface PeerDirectory {

    /** Whether {@code address} is a configured trunk's (its host, or a source address configured for it). */
    boolean isTrunk(InetAddress address);

    /** Whether a phone holds a live registration made from {@code address}. */
    boolean hasBinding(InetAddress address);
}
