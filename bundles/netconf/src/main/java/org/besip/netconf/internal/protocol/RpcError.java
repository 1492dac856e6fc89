package org.besip.netconf.internal.protocol;

/**
 * An {@code <rpc-error>} (RFC 6241 §4.3, Appendix A): what went wrong, in terms a NETCONF client
 * understands, and in words an operator understands.
 */
public class RpcError extends Exception {

    private static final long serialVersionUID = 1L;

    private final String type;
    private final String tag;
    private final String appTag;
    private final String path;
    private final String badElement;

    public RpcError(String type, String tag, String message) {
        this(type, tag, null, null, null, message);
    }

    public RpcError(String type, String tag, String appTag, String path, String badElement, String message) {
        super(message);
        this.type = type;
        this.tag = tag;
        this.appTag = appTag;
        this.path = path;
        this.badElement = badElement;
    }

    public static RpcError protocol(String tag, String message) {
        return new RpcError("protocol", tag, message);
    }

    public static RpcError application(String tag, String message) {
        return new RpcError("application", tag, message);
    }

    public static RpcError badElement(String type, String tag, String element, String message) {
        return new RpcError(type, tag, null, null, element, message);
    }

    public String type() {
        return type;
    }

    public String tag() {
        return tag;
    }

    public String appTag() {
        return appTag;
    }

    public String path() {
        return path;
    }

    public String badElement() {
        return badElement;
    }
}
