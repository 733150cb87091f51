/**
 * Draws WebSocket frames (base64 JPEG) onto a canvas. Decoding is asynchronous; when frames come
 * faster than they decode, only the newest waiting one is drawn next.
 */

import type { FrameMessage } from './messages';

export class FrameCanvas {
  private decoding = false;
  private waiting: FrameMessage | null = null;
  private disposed = false;
  /** Frames drawn so far (the view shows a picture once this is above zero). */
  drawn = 0;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly onDrawn: (frame: FrameMessage) => void,
  ) {}

  show(frame: FrameMessage): void {
    if (this.decoding) {
      this.waiting = frame;
      return;
    }
    void this.draw(frame);
  }

  dispose(): void {
    this.disposed = true;
    this.waiting = null;
  }

  private async draw(frame: FrameMessage): Promise<void> {
    this.decoding = true;
    try {
      const bytes = frame.jpeg ?? Uint8Array.from(atob(frame.data ?? ''), (c) => c.charCodeAt(0));
      const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/jpeg' }));
      if (!this.disposed) {
        if (this.canvas.width !== bitmap.width || this.canvas.height !== bitmap.height) {
          this.canvas.width = bitmap.width;
          this.canvas.height = bitmap.height;
        }
        this.canvas.getContext('2d')?.drawImage(bitmap, 0, 0);
        this.drawn++;
        // Which frame is on screen, for anyone inspecting the page (and the end-to-end tests).
        this.canvas.dataset.frameSeq = String(frame.seq);
        this.onDrawn(frame);
      }
      bitmap.close();
    } catch {
      // A frame that does not decode is skipped; the next one replaces it.
    } finally {
      this.decoding = false;
    }
    const next = this.waiting;
    this.waiting = null;
    if (next && !this.disposed) {
      void this.draw(next);
    }
  }
}
