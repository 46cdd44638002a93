package io.cohortflow.core.config;

/**
 * A setting whose value cannot be used, or a configuration file that cannot be read. The message
 * names the key (and the environment variable, when the value came from one) and what it takes, so
 * it can be shown to an operator as it is.
 */
public final class InvalidSettingException extends IllegalArgumentException {
    public InvalidSettingException(String message) {
        super(message);
    }

    public InvalidSettingException(String message, Throwable cause) {
        super(message, cause);
    }
}
