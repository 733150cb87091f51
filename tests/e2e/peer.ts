/**
 * A real WebRTC peer in a page of the test browser, answering the UI's offers the way the
 * server's WebRTC endpoint is specified to (non-trickle answer, video to the UI, input arriving
 * on the "input" DataChannel). The tests route /ice and /offer to it, so the UI's side of the
 * contract is exercised over a real peer connection while the server side is built separately.
 */

import type { Browser, BrowserContext, Page } from 'playwright-core';

export const PEER_VIDEO = { width: 640, height: 360 };

export class StandInPeer {
  private constructor(
    private readonly context: BrowserContext,
    private readonly page: Page,
  ) {}

  static async open(browser: Browser, blankPageUrl: string): Promise<StandInPeer> {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(blankPageUrl);
    return new StandInPeer(context, page);
  }

  /** Answers an offer. With `sendVideo` an animated 640x360 canvas goes out as the video track; without, nothing does. */
  async answer(offerSdp: string, sendVideo: boolean): Promise<string> {
    return this.page.evaluate(
      async ({ sdp, sendVideo, size }) => {
        const w = window as unknown as { peers: RTCPeerConnection[]; received: string[]; channels: string[] };
        w.peers ??= [];
        w.received ??= [];
        w.channels ??= [];
        const pc = new RTCPeerConnection();
        w.peers.push(pc);
        pc.ondatachannel = (e) => {
          w.channels.push(`${e.channel.label} ordered=${e.channel.ordered} reliable=${e.channel.maxRetransmits == null && e.channel.maxPacketLifeTime == null}`);
          e.channel.onmessage = (m) => w.received.push(String(m.data));
        };
        await pc.setRemoteDescription({ type: 'offer', sdp });
        if (sendVideo) {
          const canvas = document.createElement('canvas');
          canvas.width = size.width;
          canvas.height = size.height;
          document.body.append(canvas);
          const ctx = canvas.getContext('2d')!;
          let n = 0;
          setInterval(() => {
            ctx.fillStyle = n++ % 2 ? '#ff00ff' : '#00ffff';
            ctx.fillRect(0, 0, size.width, size.height);
            ctx.fillStyle = '#000';
            ctx.font = '40px sans-serif';
            ctx.fillText(`frame ${n}`, 20, 60);
          }, 40);
          const track = canvas.captureStream(25).getVideoTracks()[0];
          const transceiver = pc.getTransceivers()[0];
          await transceiver.sender.replaceTrack(track);
          transceiver.direction = 'sendonly';
        }
        await pc.setLocalDescription(await pc.createAnswer());
        if (pc.iceGatheringState !== 'complete') {
          await new Promise<void>((resolve) => {
            pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && resolve();
            setTimeout(resolve, 3000);
          });
        }
        return pc.localDescription!.sdp;
      },
      { sdp: offerSdp, sendVideo, size: PEER_VIDEO },
    );
  }

  /** The input messages that arrived over the DataChannel, parsed. */
  async received(): Promise<Record<string, unknown>[]> {
    const raw = await this.page.evaluate(() => (window as unknown as { received?: string[] }).received ?? []);
    return raw.map((m) => JSON.parse(m) as Record<string, unknown>);
  }

  /** How each DataChannel the UI opened was set up. */
  async channels(): Promise<string[]> {
    return this.page.evaluate(() => (window as unknown as { channels?: string[] }).channels ?? []);
  }

  /** Closes every peer connection: for the UI the link is gone. */
  async hangUp(): Promise<void> {
    await this.page.evaluate(() => (window as unknown as { peers?: RTCPeerConnection[] }).peers?.forEach((pc) => pc.close()));
  }

  async close(): Promise<void> {
    await this.context.close();
  }
}
