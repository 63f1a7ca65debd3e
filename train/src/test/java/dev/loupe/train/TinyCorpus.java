package dev.loupe.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** A small self-contained training corpus for fast tests: sentences from a tiny grammar, as JSON lines. */
final class TinyCorpus {
    private static final String[] SUBJECTS = {"the cat", "a dog", "my friend", "the old man", "her sister", "the teacher"};
    private static final String[] VERBS = {"sees", "likes", "finds", "calls", "helps", "follows"};
    private static final String[] OBJECTS = {"the ball", "a red house", "the garden", "his brother", "the small boat", "a book"};

    private TinyCorpus() {}

    /** Writes {@code docs} documents of a few sentences each to {@code dir/corpus.jsonl}. */
    static Path write(Path dir, int docs) throws IOException {
        SplittableRandom rng = new SplittableRandom(7);
        List<String> lines = new ArrayList<>();
        for (int d = 0; d < docs; d++) {
            StringBuilder sb = new StringBuilder();
            for (int s = 0; s < 6; s++) {
                String subject = SUBJECTS[rng.nextInt(SUBJECTS.length)];
                sb.append(Character.toUpperCase(subject.charAt(0))).append(subject.substring(1)).append(' ')
                        .append(VERBS[rng.nextInt(VERBS.length)]).append(' ').append(OBJECTS[rng.nextInt(OBJECTS.length)]).append(". ");
            }
            lines.add("{\"text\": \"" + sb.toString().trim() + "\"}");
        }
        Path file = dir.resolve("corpus.jsonl");
        Files.write(file, lines);
        return file;
    }
}
