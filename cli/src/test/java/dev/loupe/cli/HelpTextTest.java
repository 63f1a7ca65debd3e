package dev.loupe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every command's {@code --help} names exactly the options the command accepts: each {@code --flag} in the help is
 * one the parser takes (probed with an unknown option, whose error lists the accepted ones), and each accepted
 * option is in the help. Mentions of other commands ({@code 'loupe run --prompt'}, {@code (loupe collect --mlp-pairs)}) are not the command's own.
 */
class HelpTextTest {
    static final Map<String, List<String>> SUBCOMMANDS = Map.of("sae", List.of("train", "eval", "features"), "steer", List.of("build"),
            "toy", List.of("superposition"), "bench", List.of("make-model", "forward", "decode"));
    static final Pattern FLAG = Pattern.compile("(?<![\\w-])--([a-z][a-z0-9-]*)");
    static final Pattern ACCEPTED = Pattern.compile("\\(options: (.*)\\)");

    @Test
    void everyHelpNamesOnlyAcceptedOptionsAndAllOfThem() throws Exception {
        List<String> problems = new ArrayList<>();
        for (Command c : Main.COMMANDS) {
            Set<String> accepted = new TreeSet<>();
            for (String sub : SUBCOMMANDS.getOrDefault(c.name(), List.of(""))) accepted.addAll(accepted(c, sub));
            Set<String> named = new TreeSet<>();
            String own = c.usage().replaceAll("'loupe [^']*'", "").replaceAll("\\(loupe [^)]*\\)", "");
            Matcher m = FLAG.matcher(own);
            while (m.find()) named.add(m.group(1));
            for (String n : named) if (!accepted.contains(n)) problems.add(c.name() + ": --help names --" + n + ", which it does not accept");
            for (String a : accepted) if (!named.contains(a)) problems.add(c.name() + ": accepts --" + a + ", which --help does not name");
        }
        assertEquals(List.of(), problems);
    }

    @Test
    void helpIsPrintedForEveryCommand() {
        for (Command c : Main.COMMANDS) {
            CliRunner r = CliRunner.run(c.name(), "--help");
            assertEquals(0, r.exitCode(), c.name());
            assertTrue(r.out().startsWith("Usage: loupe " + c.name()), c.name() + ": " + r.out());
        }
    }

    @Test
    void readmeCommandTableListsEveryCommand() throws Exception {
        String readme = java.nio.file.Files.readString(java.nio.file.Path.of("README.md"));
        String table = readme.substring(readme.indexOf("## Commands"), readme.indexOf("## ", readme.indexOf("## Commands") + 3));
        List<String> missing = new ArrayList<>();
        for (Command c : Main.COMMANDS) if (!Pattern.compile("`" + Pattern.quote(c.name()) + "[` ]").matcher(table).find()) missing.add(c.name());
        assertEquals(List.of(), missing, "commands missing from README's command table");
    }

    /** Each option a row of README's command table shows (its first cell) is one that command accepts. */
    @Test
    void readmeCommandTableShowsOnlyAcceptedOptions() throws Exception {
        String readme = java.nio.file.Files.readString(java.nio.file.Path.of("README.md"));
        String table = readme.substring(readme.indexOf("## Commands"), readme.indexOf("## ", readme.indexOf("## Commands") + 3));
        Map<String, Command> byName = new java.util.HashMap<>();
        for (Command c : Main.COMMANDS) byName.put(c.name(), c);
        List<String> problems = new ArrayList<>();
        int checked = 0;
        for (String row : table.lines().filter(l -> l.startsWith("| `")).toList()) {
            Matcher cell = Pattern.compile("^\\| (.*?) \\|").matcher(row);
            if (!cell.find()) continue;
            Matcher shown = Pattern.compile("`([^`]*)`").matcher(cell.group(1));
            while (shown.find()) {
                String[] words = shown.group(1).split(" ");
                Command c = byName.get(words[0]);
                if (c == null) {
                    problems.add("README shows `" + shown.group(1) + "`, which names no command");
                    continue;
                }
                List<String> subs = SUBCOMMANDS.getOrDefault(c.name(), List.of(""));
                Set<String> accepted = new TreeSet<>();
                for (String sub : subs) if (words.length < 2 || !subs.contains(words[1]) || words[1].equals(sub)) accepted.addAll(accepted(c, sub));
                Matcher m = FLAG.matcher(shown.group(1));
                while (m.find()) {
                    checked++;
                    if (!accepted.contains(m.group(1))) problems.add("README shows `" + shown.group(1) + "` with --" + m.group(1) + ", which it does not accept");
                }
            }
        }
        assertEquals(List.of(), problems);
        assertTrue(checked > 20, "only " + checked + " options found in the table");
    }

    @Test
    void renamedOptionsNameTheirNewName() {
        CliRunner r = CliRunner.run("train-lm", "--dataset", "x.jsonl");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("--dataset is now --data"), r.err());
        CliRunner f = CliRunner.run("collect", "--text-field", "body");
        assertTrue(f.err().contains("--text-field is now --field"), f.err());
    }

    /** The options {@code loupe NAME [SUB]} accepts, from the error an unknown option gets; none if it takes no options. */
    private static Set<String> accepted(Command c, String sub) throws Exception {
        String[] argv = sub.isEmpty() ? new String[] {"--zz-probe"} : new String[] {sub, "--zz-probe"};
        try {
            c.run(argv);
        } catch (Args.UsageException e) {
            Matcher m = ACCEPTED.matcher(e.getMessage());
            if (m.find()) {
                Set<String> s = new TreeSet<>();
                for (String o : m.group(1).split(", ")) s.add(o.replaceFirst("^--", ""));
                return s;
            }
        } catch (Exception e) {
            // a command without options (verify DIR) fails on the probe as a path; it accepts none
        }
        return Set.of();
    }
}
