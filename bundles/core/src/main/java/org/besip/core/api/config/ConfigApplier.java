package org.besip.core.api.config;

import org.osgi.annotation.versioning.ConsumerType;
import org.w3c.dom.Element;

/**
 * Receives a module's validated configuration on commit. The NETCONF server calls
 * {@link #prepare} on every affected module, then {@link #apply} on all of them, or
 * {@link #abort} on all of them if any refused. Register with {@link #YANG_MODULE} set to the
 * YANG module name the applier owns.
 */
@ConsumerType
public interface ConfigApplier {

    /** Service property: the YANG module whose subtree this applier receives. */
    String YANG_MODULE = "besip.yang.module";

    /**
     * Checks that the module can run with {@code config} and reserves what it needs; changes
     * nothing visible yet. {@code config} is a {@code <data>} element (NETCONF base namespace)
     * whose children are the YANG module's top-level data nodes, already schema-valid; it has no
     * children when the module's configuration was deleted. Defaults are filled in.
     */
    void prepare(long transaction, Element config) throws ConfigRejectedException;

    /** Makes the prepared configuration live. Must not fail for a prepared transaction. */
    void apply(long transaction);

    /** Drops what {@link #prepare} reserved. */
    void abort(long transaction);
}
