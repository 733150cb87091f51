import { describe, expect, it } from 'vitest';
import { containedBox, toElementPoint, toFramePoint } from './coordinates';

const frame = { width: 1280, height: 720 };

describe('containedBox', () => {
  it('fills an element of the same aspect ratio', () => {
    expect(containedBox({ width: 640, height: 360 }, frame)).toEqual({ left: 0, top: 0, width: 640, height: 360 });
  });

  it('puts bars above and below in a taller element', () => {
    expect(containedBox({ width: 640, height: 560 }, frame)).toEqual({ left: 0, top: 100, width: 640, height: 360 });
  });

  it('puts bars left and right in a wider element', () => {
    expect(containedBox({ width: 1000, height: 360 }, frame)).toEqual({ left: 180, top: 0, width: 640, height: 360 });
  });

  it('is empty without a frame or with an empty element', () => {
    expect(containedBox({ width: 640, height: 360 }, { width: 0, height: 0 }).width).toBe(0);
    expect(containedBox({ width: 0, height: 360 }, frame).width).toBe(0);
    expect(containedBox({ width: NaN, height: 360 }, frame).width).toBe(0);
  });
});

describe('toFramePoint', () => {
  it('scales a point when the picture fills the element', () => {
    expect(toFramePoint({ x: 320, y: 180 }, { width: 640, height: 360 }, frame)).toEqual({
      x: 640,
      y: 360,
      width: 1280,
      height: 720,
    });
  });

  it('subtracts the letterbox bars above and below', () => {
    // 640x560 element: picture 640x360 at top 100.
    expect(toFramePoint({ x: 0, y: 100 }, { width: 640, height: 560 }, frame)).toMatchObject({ x: 0, y: 0 });
    expect(toFramePoint({ x: 320, y: 280 }, { width: 640, height: 560 }, frame)).toMatchObject({ x: 640, y: 360 });
  });

  it('subtracts the pillarbox bars left and right', () => {
    // 1000x360 element: picture 640x360 at left 180.
    expect(toFramePoint({ x: 180 + 160, y: 90 }, { width: 1000, height: 360 }, frame)).toMatchObject({ x: 320, y: 180 });
  });

  it('ignores points on the bars unless asked to clamp', () => {
    const element = { width: 640, height: 560 };
    expect(toFramePoint({ x: 320, y: 50 }, element, frame)).toBeNull();
    expect(toFramePoint({ x: 320, y: 50 }, element, frame, true)).toMatchObject({ x: 640, y: 0 });
    expect(toFramePoint({ x: 900, y: 600 }, element, frame, true)).toMatchObject({ x: 1279, y: 719 });
  });

  it('uses the frame size it is given (smaller frames, e.g. a scaled WebRTC stream)', () => {
    expect(toFramePoint({ x: 320, y: 180 }, { width: 640, height: 360 }, { width: 960, height: 540 })).toEqual({
      x: 480,
      y: 270,
      width: 960,
      height: 540,
    });
  });

  it('returns null without a frame', () => {
    expect(toFramePoint({ x: 1, y: 1 }, { width: 640, height: 360 }, { width: 0, height: 0 })).toBeNull();
  });

  it('round-trips with toElementPoint', () => {
    const element = { width: 777, height: 913 };
    const shown = toElementPoint({ x: 600, y: 350 }, element, frame);
    expect(toFramePoint(shown, element, frame)).toMatchObject({ x: 600, y: 350 });
  });
});
