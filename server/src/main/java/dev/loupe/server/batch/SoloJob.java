package dev.loupe.server.batch;

import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/** Work that runs alone on the model thread (a gradient run), completing {@code result} with what it returns. */
public record SoloJob<T>(String id, long deadline, Supplier<T> work, CompletableFuture<T> result) implements Job {
    @Override
    public void fail(RuntimeException e) {
        result.completeExceptionally(e);
    }

    void run() {
        result.complete(work.get());
    }
}
