package dev.loupe.server.api;

/** Names by which requests refer to things loaded at start-up (models, SAEs): never paths. */
public final class ModelNames {
    private ModelNames() {}

    /** Whether {@code name} looks like a file path or tries to escape one (separators, "..", "~", a drive letter, a NUL). */
    public static boolean pathLike(String name) {
        return name.contains("/") || name.contains("\\") || name.contains("..") || name.startsWith("~") || name.startsWith(".")
                || name.indexOf('\0') >= 0 || name.matches("^[A-Za-z]:.*");
    }
}
