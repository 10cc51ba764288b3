package kr.config;

/** An invalid configuration: unknown key, wrong type, value out of range (CLI exit code 2). */
public class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }
}
