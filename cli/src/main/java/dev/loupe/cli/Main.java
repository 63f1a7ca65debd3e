package dev.loupe.cli;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.Arrays;
import java.util.List;

/** Entry point of the {@code loupe} command: dispatches to subcommands and turns errors into clear messages. */
public final class Main {
    // One command a line, in the order `loupe --help` lists them.
    static final List<Command> COMMANDS = List.of(
            new GenerateCommand(),
            new RunCommand(),
            new HooksCommand(),
            new TokenizeCommand(),
            new TraceCommand(),
            new DetokenizeCommand(),
            new PatchCommand(),
            new LensCommand(),
            new HeadsCommand(),
            new SteerCommand(),
            new MeansCommand(),
            new SaeCommand(),
            new AttributeCommand(),
            new TrainLmCommand(),
            new ToyCommand(),
            new CollectCommand(),
            new ShuffleCommand(),
            new VerifyCommand(),
            new BenchCommand(),
            new ServeCommand());

    private Main() {}

    public static void main(String[] argv) {
        System.exit(run(argv));
    }

    static int run(String[] argv) {
        if (argv.length == 0 || argv[0].equals("--help") || argv[0].equals("-h") || argv[0].equals("help")) {
            System.out.println(overview());
            return argv.length == 0 ? 2 : 0;
        }
        Command cmd = COMMANDS.stream().filter(c -> c.name().equals(argv[0])).findFirst().orElse(null);
        if (cmd == null) {
            System.err.println("loupe: unknown command '" + argv[0] + "'\n\n" + overview());
            return 2;
        }
        String[] rest = Arrays.copyOfRange(argv, 1, argv.length);
        if (Arrays.asList(rest).contains("--help")) {
            System.out.println(cmd.usage());
            return 0;
        }
        try {
            return cmd.run(rest);
        } catch (Args.UsageException e) {
            System.err.println("loupe " + e.getMessage() + "\n\n" + cmd.usage());
            return 2;
        } catch (NoSuchFileException e) {
            System.err.println("loupe " + cmd.name() + ": file not found: " + e.getFile() + (e.getReason() == null ? "" : " (" + e.getReason() + ")"));
            return 1;
        } catch (IOException | RuntimeException e) {
            System.err.println("loupe " + cmd.name() + ": " + e.getMessage());
            if (System.getenv("LOUPE_DEBUG") != null) e.printStackTrace();
            return 1;
        } catch (Exception e) {
            System.err.println("loupe " + cmd.name() + ": " + e);
            return 1;
        }
    }

    static String overview() {
        StringBuilder sb = new StringBuilder("Loupe: a microscope for transformer language models.\n\nUsage: loupe COMMAND [options]\n\nCommands:\n");
        for (Command c : COMMANDS) sb.append(String.format("  %-10s %s%n", c.name(), c.summary()));
        sb.append("\nloupe COMMAND --help shows a command's options.");
        return sb.toString();
    }
}
