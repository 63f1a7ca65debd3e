package dev.loupe.model.source;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Hugging Face Hub model id with an optional revision, as users write it:
 * {@code gpt2}, {@code EleutherAI/pythia-70m}, {@code EleutherAI/pythia-70m@step1000}.
 *
 * @param repo     "name" or "org/name"
 * @param revision a branch, tag or commit hash; "main" when not given
 */
public record HubId(String repo, String revision) {
    private static final Pattern FORM = Pattern.compile(
            "((?:[A-Za-z0-9][A-Za-z0-9._-]*/)?[A-Za-z0-9][A-Za-z0-9._-]*)(?:@([A-Za-z0-9][A-Za-z0-9._/-]*))?");
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");

    /** The id in {@code text}, or empty if it cannot be one (a path, or a name the Hub would reject). */
    public static Optional<HubId> parse(String text) {
        Matcher m = FORM.matcher(text);
        if (!m.matches() || m.group(1).contains("--") || m.group(1).contains("..") || m.group(1).endsWith(".")) return Optional.empty();
        return Optional.of(new HubId(m.group(1), m.group(2) == null ? "main" : m.group(2)));
    }

    /** True when the revision is a full commit hash rather than a branch or tag name. */
    public boolean isCommit() {
        return COMMIT.matcher(revision).matches();
    }

    /** The cache folder name: {@code models--org--name}. */
    public String cacheFolderName() {
        return "models--" + repo.replace("/", "--");
    }

    @Override
    public String toString() {
        return revision.equals("main") ? repo : repo + "@" + revision;
    }
}
