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
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ServiceScope;

/** {@link Listeners} for the bundle that got it. */
@Component(service = Listeners.class, scope = ServiceScope.BUNDLE)
public final class ListenersImpl implements Listeners {
    @Reference
    private Store store;
    private String owner;

    @Activate
    void activate(ComponentContext c) {
        owner = Store.owner(c);
    }

    @Override
    public DatagramChannel udp(String name, InetSocketAddress bind) throws IOException {
        return store.held.udp(owner, name, bind);
    }

    @Override
    public ServerSocketChannel tcp(String name, InetSocketAddress bind) throws IOException {
        return store.held.tcp(owner, name, bind);
    }

    @Override
    public void park(String name, List<Parked> connections) {
        store.held.park(owner, name, connections);
    }

    @Override
    public List<Parked> unpark(String name) {
        return store.held.unpark(owner, name);
    }

    @Override
    public void release(String name) {
        store.held.release(owner, name);
    }

    @Override
    public List<String> names() {
        return store.held.names(owner);
    }
}
