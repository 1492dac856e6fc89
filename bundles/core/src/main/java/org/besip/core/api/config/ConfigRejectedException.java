package org.besip.core.api.config;

/** A module's refusal of a configuration, with the path of the offending node if known. */
public class ConfigRejectedException extends Exception {

    private static final long serialVersionUID = 1L;

    private final String path;

    public ConfigRejectedException(String path, String message) {
        super(message);
        this.path = path;
    }

    public String path() {
        return path;
    }
}
