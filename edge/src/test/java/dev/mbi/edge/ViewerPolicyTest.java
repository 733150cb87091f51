package dev.mbi.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The edge's reading of an SDP answer: whether it sends the page's sound. */
class ViewerPolicyTest {
    private static String answer(String audioSection) {
        return String.join("\r\n", "v=0", "o=- 1 2 IN IP4 127.0.0.1", "s=-", "t=0 0", "a=group:BUNDLE 0 1",
                "m=video 9 UDP/TLS/RTP/SAVPF 96", "a=mid:0", "a=sendonly", "a=rtpmap:96 VP8/90000")
                + "\r\n" + audioSection + "\r\n";
    }

    @Test
    void anAnswerSendsAudioOnlyWithAnAcceptedAudioLineThatSends() {
        assertTrue(ViewerPolicy.sendsAudio(answer("m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:1\r\na=sendonly\r\na=rtpmap:111 opus/48000/2")));
        // No direction attribute means sendrecv.
        assertTrue(ViewerPolicy.sendsAudio(answer("m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:1")));
        assertFalse(ViewerPolicy.sendsAudio(answer("m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:1\r\na=inactive")));
        assertFalse(ViewerPolicy.sendsAudio(answer("m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:1\r\na=recvonly")));
        // Port 0: the line is rejected, whatever it says.
        assertFalse(ViewerPolicy.sendsAudio(answer("m=audio 0 UDP/TLS/RTP/SAVPF 111\r\na=mid:1\r\na=sendonly")));
        // The video line's sendonly is not audio's.
        assertFalse(ViewerPolicy.sendsAudio(answer("m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:1")));
        assertFalse(ViewerPolicy.sendsAudio("not an sdp"));
    }

    @Test
    void countsMediaSectionsOfAKind() {
        String sdp = answer("m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:1");
        assertEquals(1, ViewerPolicy.mediaSections(sdp, "audio"));
        assertEquals(1, ViewerPolicy.mediaSections(sdp, "video"));
        assertEquals(0, ViewerPolicy.mediaSections(sdp, "application"));
    }
}
