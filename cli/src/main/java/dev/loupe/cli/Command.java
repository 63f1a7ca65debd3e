package dev.loupe.cli;

/** One {@code loupe} subcommand. */
interface Command {
    String name();

    /** One line for the command list. */
    String summary();

    /** Full usage text shown by {@code loupe NAME --help}. */
    String usage();

    /** Runs with the arguments after the command name; returns the exit code. */
    int run(String[] args) throws Exception;
}
