package dev.loupe.server.batch;

/**
 * Work for the model, queued by a request handler and run by the {@link Scheduler}. Forward and generation jobs
 * of equal token counts share passes; solo jobs (gradients) run alone.
 */
public sealed interface Job permits ForwardJob, GenerateJob, SoloJob, TraceJob {
    /** Request id, for logs and JFR events. */
    String id();

    /** System.nanoTime() after which the job is abandoned with a timeout. */
    long deadline();

    /** Fails the job (its request answers with the error). */
    void fail(RuntimeException e);

    /** Whether this job may share a pass with {@code other}. */
    default boolean batchesWith(Job other) {
        return false;
    }
}
