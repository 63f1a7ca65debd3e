package dev.loupe.server.batch;

import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Work that runs alone on the model thread (a gradient run, the logit lens, dictionary encoding), completing
 * {@code result} with what it returns; {@code cost} estimates its size in token positions (see {@link Job#cost}).
 */
public record SoloJob<T>(String id, long deadline, long cost, Supplier<T> work, CompletableFuture<T> result) implements Job {
    @Override
    public void fail(RuntimeException e) {
        result.completeExceptionally(e);
    }

    void run() {
        result.complete(work.get());
    }
}
