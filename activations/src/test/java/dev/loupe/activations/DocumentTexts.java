package dev.loupe.activations;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** All document texts of a dataset, by index (for tracing rows back in tests). */
final class DocumentTexts {
    private DocumentTexts() {}

    static List<String> read(Path dataset) throws IOException {
        List<String> out = new ArrayList<>();
        try (DocumentSource s = DocumentSource.open(dataset, "text")) {
            for (DocumentSource.Document d; (d = s.next()) != null; ) out.add(d.text());
        }
        return out;
    }
}
