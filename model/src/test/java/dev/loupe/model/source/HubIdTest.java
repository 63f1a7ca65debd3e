package dev.loupe.model.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class HubIdTest {
    @Test
    void parsesNamesOrgsAndRevisions() {
        assertEquals(Optional.of(new HubId("gpt2", "main")), HubId.parse("gpt2"));
        assertEquals(Optional.of(new HubId("EleutherAI/pythia-70m", "step1000")), HubId.parse("EleutherAI/pythia-70m@step1000"));
        assertEquals(Optional.of(new HubId("a/b", "refs/pr/1")), HubId.parse("a/b@refs/pr/1"));
        assertEquals("models--EleutherAI--pythia-70m", HubId.parse("EleutherAI/pythia-70m").orElseThrow().cacheFolderName());
        assertTrue(HubId.parse("a/b@0123456789abcdef0123456789abcdef01234567").orElseThrow().isCommit());
    }

    @Test
    void refusesWhatTheHubWouldNotName() {
        for (String bad : new String[] {"", "a/b/c", "/abs", "a--b", "a/..", "a@", "with space", "a/b@"}) {
            assertEquals(Optional.empty(), HubId.parse(bad), bad);
        }
    }
}
