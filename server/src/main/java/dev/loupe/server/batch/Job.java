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

    /**
     * What the job costs the model thread, in token positions passed through the model (a forward of 30 tokens: 30;
     * a gradient: forward and backward). The scheduler runs cheaper jobs first, so one client's long passes cannot
     * hold up everyone's short ones; see {@link Scheduler}.
     */
    long cost();

    /** Whether this job may share a pass with {@code other}. */
    default boolean batchesWith(Job other) {
        return false;
    }
}
