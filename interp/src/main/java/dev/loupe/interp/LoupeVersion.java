package dev.loupe.interp;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The Loupe version that wrote a file, recorded in saved vectors and means so results can be traced. */
public final class LoupeVersion {
    private static final String VERSION = read();

    private LoupeVersion() {}

    public static String get() {
        return VERSION;
    }

    private static String read() {
        try (InputStream in = LoupeVersion.class.getResourceAsStream("loupe.properties")) {
            Properties p = new Properties();
            if (in != null) p.load(in);
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }
}
