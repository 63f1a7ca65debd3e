package dev.loupe.server;

import java.util.Set;

/**
 * {@link AttackMixTest}'s measurement for BENCHMARKS.md, one line per attacker set: {@code AttackMixBench SET...}
 * where each SET is a comma-separated list of attacker classes ({@link AttackMixTest#ATTACKS}). Run by
 * {@code bench/run-attack-mix.sh}.
 */
public final class AttackMixBench {
    private AttackMixBench() {}

    public static void main(String[] args) throws Exception {
        for (String set : args) System.out.println(AttackMixTest.measure(Set.of(set.split(","))).line());
    }
}
