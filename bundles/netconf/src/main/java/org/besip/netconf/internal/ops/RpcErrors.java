package org.besip.netconf.internal.ops;

import java.util.List;

import org.besip.netconf.internal.protocol.RpcError;

/** Several {@code <rpc-error>}s in one reply, e.g. every validation problem of a commit. */
public class RpcErrors extends Exception {

    private static final long serialVersionUID = 1L;

    private final transient List<RpcError> errors;

    public RpcErrors(List<RpcError> errors) {
        super(errors.isEmpty() ? "no errors" : errors.get(0).getMessage());
        this.errors = List.copyOf(errors);
    }

    public List<RpcError> errors() {
        return errors;
    }
}
