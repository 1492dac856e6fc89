package org.besip.security.internal.component;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

import org.besip.core.api.traffic.TrafficInspector;
import org.besip.core.api.traffic.Transport;
import org.besip.core.api.traffic.Verdict;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The security module as the PBX's {@link TrafficInspector} (core contract): every message the
 * PBX reads is judged by the {@link Guard}'s inspection before the PBX parses it, and dropped
 * when its source is blocked or a drop rule fires.
 */
@Component(service = TrafficInspector.class)
public class SecurityInspector implements TrafficInspector {

    @Reference
    private Guard guard;

    @Override
    public Verdict inspect(InetSocketAddress source, Transport transport, ByteBuffer message) {
        return inspect(source, null, transport, message);
    }

    @Override
    public Verdict inspect(InetSocketAddress source, InetSocketAddress local, Transport transport, ByteBuffer message) {
        byte[] data = new byte[message.remaining()];
        message.get(data);
        InetAddress dst = local == null || local.getAddress().isAnyLocalAddress() ? null : local.getAddress();
        return guard.inspection().drop(source.getAddress(), source.getPort(), dst, local == null ? 0 : local.getPort(), transport == Transport.UDP,
                data, System.currentTimeMillis()) ? Verdict.DROP : Verdict.ACCEPT;
    }
}
