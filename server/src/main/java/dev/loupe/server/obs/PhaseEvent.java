package dev.loupe.server.obs;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;

/**
 * A JFR event for one phase of one request: {@code queued} (waiting for the model), {@code forward} (the shared
 * pass it rode in, with the batch's rows) or {@code serialize} (encoding the response). Recorded with
 * {@code -XX:StartFlightRecording}; costs nothing when no recording runs.
 */
@Name("dev.loupe.server.Phase")
@Label("Loupe request phase")
@Category({"Loupe", "Server"})
@Description("One phase of one API request")
public final class PhaseEvent extends Event {
    @Label("Request id")
    public String requestId;

    @Label("Phase")
    public String phase;

    @Label("Rows in the batch")
    public int rows;

    @Label("Tokens")
    public int tokens;

    /** Starts timing a phase of {@code requestId}. */
    public static PhaseEvent start(String requestId, String phase) {
        PhaseEvent e = new PhaseEvent();
        e.requestId = requestId;
        e.phase = phase;
        e.begin();
        return e;
    }
}
