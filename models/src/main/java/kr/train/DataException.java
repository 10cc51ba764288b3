package kr.train;

/** Data that is missing, unreadable or inconsistent (the CLI exits with code 3). */
public class DataException extends RuntimeException {
    public DataException(String message) {
        super(message);
    }

    public DataException(String message, Throwable cause) {
        super(message, cause);
    }
}
