/** WebRTC plumbing for the receiving side: a peer connection that only receives (video, and the page's sound). */

/** Longest wait for ICE gathering; signalling is non-trickle, so the offer goes with what exists then. */
export const GATHERING_LIMIT_MS = 2000;

export interface ReceivingPeer {
  pc: RTCPeerConnection;
  /** Ordered, reliable: input must arrive in order and complete. */
  input: RTCDataChannel;
}

export function createReceivingPeer(iceServers: RTCIceServer[]): ReceivingPeer {
  const pc = new RTCPeerConnection({ iceServers });
  pc.addTransceiver('video', { direction: 'recvonly' });
  // The runner answers it inactive where the session sends no sound (no sound server, or policy.audio = deny).
  pc.addTransceiver('audio', { direction: 'recvonly' });
  const input = pc.createDataChannel('input', { ordered: true });
  return { pc, input };
}

/** Creates the offer and waits until ICE gathering completes or the limit passes; returns the SDP to send. */
export async function offerWithCandidates(pc: RTCPeerConnection, limitMs = GATHERING_LIMIT_MS): Promise<string> {
  await pc.setLocalDescription(await pc.createOffer());
  if (pc.iceGatheringState !== 'complete') {
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        pc.removeEventListener('icegatheringstatechange', onChange);
        resolve();
      };
      const onChange = () => {
        if (pc.iceGatheringState === 'complete') {
          done();
        }
      };
      const timer = setTimeout(done, limitMs);
      pc.addEventListener('icegatheringstatechange', onChange);
    });
  }
  const sdp = pc.localDescription?.sdp;
  if (!sdp) {
    throw new Error('the browser produced no offer');
  }
  return sdp;
}

/** Calls back once, when the video element shows its first frame of the current stream. */
export function onFirstVideoFrame(video: HTMLVideoElement, callback: () => void): () => void {
  let cancelled = false;
  const fire = () => {
    if (!cancelled) {
      cancelled = true;
      callback();
    }
  };
  if ('requestVideoFrameCallback' in video) {
    const handle = video.requestVideoFrameCallback(() => fire());
    return () => {
      cancelled = true;
      video.cancelVideoFrameCallback(handle);
    };
  }
  const onData = () => fire();
  (video as HTMLVideoElement).addEventListener('loadeddata', onData, { once: true });
  return () => {
    cancelled = true;
    (video as HTMLVideoElement).removeEventListener('loadeddata', onData);
  };
}
