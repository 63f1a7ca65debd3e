package dev.loupe.server.batch;

import dev.loupe.interp.trace.TracePlan;
import dev.loupe.interp.trace.TraceRunner;
import java.util.concurrent.CompletableFuture;

/**
 * A validated trace waiting for the model. Traces that can share a forward pass ({@link TraceRunner#canShare}: one
 * pass each, one length, the same kernel path) run as rows of one batch, each with its own edits.
 */
public record TraceJob(String id, long deadline, TracePlan plan, long maxBytes, CompletableFuture<TraceRunner.Result> result) implements Job {
    @Override
    public void fail(RuntimeException e) {
        result.completeExceptionally(e);
    }

    @Override
    public long cost() {
        long c = 0;
        for (int[] pass : plan.passes()) for (int invoke : pass) c += plan.tokens(invoke);
        return plan.hasBackward() ? 3 * c : c;
    }

    @Override
    public boolean batchesWith(Job other) {
        return other instanceof TraceJob t && TraceRunner.canShare(plan, t.plan);
    }
}
