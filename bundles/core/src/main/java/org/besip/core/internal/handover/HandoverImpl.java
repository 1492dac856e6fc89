package org.besip.core.internal.handover;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.util.List;
import java.util.Optional;

import org.besip.core.api.handover.Handover;
import org.besip.core.api.handover.Listeners;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.SynchronousBundleListener;
import org.osgi.service.component.ComponentContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ServiceScope;

/** {@link Handover} for the bundle that got it. */
@Component(service = Handover.class, scope = ServiceScope.BUNDLE)
public final class HandoverImpl implements Handover {
    @Reference
    private Store store;
    private String owner;

    @Activate
    void activate(ComponentContext c) {
        owner = Store.owner(c);
    }

    /** The bundle let go of the service (it stopped, or its activation failed). */
    @Deactivate
    void deactivate() {
        store.held.ended(owner);
    }

    @Override
    public void leave(int version, byte[] data) {
        store.held.leave(owner, version, data);
    }

    @Override
    public Optional<State> take() {
        return store.held.take(owner);
    }
}
