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

/** The store; forgets a bundle's sockets and state when the bundle is uninstalled. */
@Component(service = Store.class, immediate = true)
public final class Store implements SynchronousBundleListener {
    final Held held = new Held();
    private BundleContext ctx;

    @Activate
    void activate(BundleContext c) {
        ctx = c;
        c.addBundleListener(this);
    }

    @Deactivate
    void deactivate() {
        ctx.removeBundleListener(this);
        held.closeAll();
    }

    @Override
    public void bundleChanged(BundleEvent event) {
        if (event.getType() == BundleEvent.UNINSTALLED && event.getBundle().getSymbolicName() != null) {
            held.forget(event.getBundle().getSymbolicName());
        }
    }

    static String owner(ComponentContext c) {
        Bundle b = c.getUsingBundle();
        return b == null || b.getSymbolicName() == null ? "?" : b.getSymbolicName();
    }
}
