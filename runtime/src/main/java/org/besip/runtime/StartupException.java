package org.besip.runtime;

/** Why the box cannot start, in one line for the operator; the exit status says what kind. */
final class StartupException extends Exception {

    private static final long serialVersionUID = 1L;

    /** Bad or unreadable configuration. */
    static final int CONFIG = 2;
    /** Something in the environment is in the way (port, data directory, another instance). */
    static final int ENVIRONMENT = 3;
    /** The runtime itself failed to come up. */
    static final int RUNTIME = 4;

    private final int exitCode;

    StartupException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    StartupException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    int exitCode() {
        return exitCode;
    }
}
