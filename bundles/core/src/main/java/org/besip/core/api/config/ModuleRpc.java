package org.besip.core.api.config;

import java.util.List;

import org.osgi.annotation.versioning.ConsumerType;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * RPCs a module declares in its YANG module (design §4), answered over NETCONF. Register as a
 * service with {@link #NAMESPACE} set to the YANG module's namespace and {@link #NAMES} to the
 * RPC names it answers; the NETCONF server routes an {@code <rpc>} in that namespace here and
 * drops the routes when the service goes away.
 */
@ConsumerType
public interface ModuleRpc {

    /** Service property: the namespace of the YANG module that declares the RPCs. */
    String NAMESPACE = "besip.rpc.namespace";

    /** Service property: the RPC names this service answers ({@code String} or {@code String[]}). */
    String NAMES = "besip.rpc.names";

    /**
     * Answers RPC {@code name}.
     *
     * @param input the RPC element as the client sent it (its children are the input leaves)
     * @param reply the document the output elements are created in (in the module's namespace)
     * @return the output elements, or an empty list for {@code <ok/>}
     * @throws ConfigRejectedException for input the RPC refuses; its path and message go into the
     *                                 {@code <rpc-error>}
     */
    List<Element> invoke(String name, Element input, Document reply) throws ConfigRejectedException;
}
