package dev.loupe.cli;

/** Entry point of the {@code loupe} command. */
public final class Main {
    public static void main(String[] args) {
        System.out.println("loupe");
    }
}
