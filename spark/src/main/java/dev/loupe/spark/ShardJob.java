package dev.loupe.spark;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import scala.Function2;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;
import scala.runtime.BoxedUnit;

/**
 * A Spark job whose tasks write shards and whose driver commits each task's shards the moment that task
 * succeeds (Spark's result handler), not only when the whole job ends. Committing means rewriting the
 * store's manifest, so a job killed as a whole keeps every finished task's shards and a rerun does only the
 * rest. Spark reports a task's result once, even when a lost executor made it run twice.
 */
final class ShardJob {
    private ShardJob() {}

    /** What one task does with its partition: writes shards and returns them. Runs on an executor. */
    @FunctionalInterface
    interface Task<T> extends Serializable {
        List<ShardResult> write(int partition, Iterator<T> rows) throws IOException;
    }

    /** Called on the driver, one task at a time, with the shards a finished task wrote. */
    @FunctionalInterface
    interface Commit {
        void commit(int partition, List<ShardResult> shards) throws IOException;
    }

    /** Runs {@code task} over the given partitions of {@code rdd}, committing each task's shards as it finishes. */
    static <T> void run(JavaRDD<T> rdd, List<Integer> partitions, Task<T> task, Commit commit) {
        if (partitions.isEmpty()) return;
        Function2<TaskContext, scala.collection.Iterator<T>, ArrayList<ShardResult>> onExecutor =
                (Function2<TaskContext, scala.collection.Iterator<T>, ArrayList<ShardResult>> & Serializable) (ctx, rows) -> {
                    try {
                        return new ArrayList<>(task.write(ctx.partitionId(), CollectionConverters.asJava(rows)));
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                };
        Function2<Object, ArrayList<ShardResult>, BoxedUnit> onDriver = (i, shards) -> { // i: index into partitions
            try {
                commit.commit(partitions.get((Integer) i), shards);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return BoxedUnit.UNIT;
        };
        @SuppressWarnings("unchecked")
        ClassTag<ArrayList<ShardResult>> tag = (ClassTag<ArrayList<ShardResult>>) (ClassTag<?>) ClassTag$.MODULE$.apply(ArrayList.class);
        List<Object> ids = new ArrayList<>(partitions);
        rdd.context().runJob(rdd.rdd(), onExecutor, CollectionConverters.asScala(ids).toSeq(), onDriver, tag);
    }
}
