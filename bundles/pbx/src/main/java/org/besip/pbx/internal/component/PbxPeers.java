package org.besip.pbx.internal.component;

import java.net.InetAddress;

import org.besip.core.api.traffic.PeerDirectory;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** The PBX's peers, for the security module: the configured trunks' addresses and the sources phones registered from. */
@Component(service = PeerDirectory.class)
public class PbxPeers implements PeerDirectory {

    @Reference
    private PbxView pbx;

    @Override
    public boolean isTrunk(InetAddress address) {
        return pbx.isTrunk(address);
    }

    @Override
    public boolean hasBinding(InetAddress address) {
        return pbx.hasBindingFrom(address);
    }
}
