package dev.loupe.train;

import java.nio.file.Path;

/** Child-process entry point for {@link ResumeAfterKillTest}: trains the test's tiny model into a folder. */
public final class TrainLmMain {
    private TrainLmMain() {}

    /** Arguments: DATA OUT. */
    public static void main(String[] args) throws Exception {
        TrainLm.run(ResumeAfterKillTest.options(Path.of(args[0]), Path.of(args[1])), "child", System.err, null);
    }
}
