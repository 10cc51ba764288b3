package kr.train;

/** A checkpoint that is missing, corrupt or does not fit the model (the CLI exits with code 4). */
public class CheckpointException extends RuntimeException {
    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
