package org.besip.core.api.module;

/** A module operation that did not happen; the message is meant for the operator. */
public class ModuleException extends Exception {

    private static final long serialVersionUID = 1L;

    /** What kind of failure, so that a front end can choose its answer (e.g. HTTP 404 vs 409). */
    public enum Reason { UNKNOWN_MODULE, INVALID_INPUT, CONFLICT, RESOLUTION, INTERNAL }

    private final Reason reason;

    public ModuleException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public ModuleException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
