package dev.loupe.server.http;

/**
 * A request the server refuses, with the HTTP status and a message for the researcher that names what was
 * wrong and what was expected. {@code retryAfterSeconds} > 0 adds a Retry-After header (back-pressure).
 */
public final class ApiError extends RuntimeException {
    private final int status;
    private final int retryAfterSeconds;

    public ApiError(int status, String message) {
        this(status, message, 0);
    }

    public ApiError(int status, String message, int retryAfterSeconds) {
        super(message);
        this.status = status;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public int status() {
        return status;
    }

    public int retryAfterSeconds() {
        return retryAfterSeconds;
    }

    public static ApiError badRequest(String message) {
        return new ApiError(400, message);
    }

    public static ApiError tooLarge(String message) {
        return new ApiError(413, message);
    }
}
