/**
 * Mapping between the element that shows the remote picture and the pixel space of the frames.
 *
 * The picture is drawn with `object-fit: contain`, so it is scaled to fit the element and centred,
 * with bars on two sides when the aspect ratios differ (letterboxing). Pointer positions and the
 * element's size are both in CSS pixels, so the device pixel ratio cancels out: what matters is
 * how many frame pixels one CSS pixel of the shown picture covers, whatever the screen's density.
 */

export interface Size {
  width: number;
  height: number;
}

/** Where the picture sits inside its element, in CSS pixels from the element's top-left corner. */
export interface ContentBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** A point in the frame's pixel space, with the size of that space (as the input messages carry it). */
export interface FramePoint {
  x: number;
  y: number;
  width: number;
  height: number;
}

function isUsable(size: Size): boolean {
  return Number.isFinite(size.width) && Number.isFinite(size.height) && size.width > 0 && size.height > 0;
}

/** The box the picture occupies inside an element of `element` size (object-fit: contain). */
export function containedBox(element: Size, frame: Size): ContentBox {
  if (!isUsable(element) || !isUsable(frame)) {
    return { left: 0, top: 0, width: 0, height: 0 };
  }
  const scale = Math.min(element.width / frame.width, element.height / frame.height);
  const width = frame.width * scale;
  const height = frame.height * scale;
  return { left: (element.width - width) / 2, top: (element.height - height) / 2, width, height };
}

/**
 * Maps a pointer position (CSS pixels from the element's top-left corner) to frame pixels.
 * Returns null when there is no picture yet, or when the point lies on a letterbox bar and
 * `clampToPicture` is false. With `clampToPicture` a point outside the picture is moved to its
 * nearest edge (a drag that ends outside must still release the button on the remote page).
 */
export function toFramePoint(
  pointer: { x: number; y: number },
  element: Size,
  frame: Size,
  clampToPicture = false,
): FramePoint | null {
  const box = containedBox(element, frame);
  if (box.width === 0 || box.height === 0) {
    return null;
  }
  let px = pointer.x - box.left;
  let py = pointer.y - box.top;
  const outside = px < 0 || py < 0 || px > box.width || py > box.height;
  if (outside && !clampToPicture) {
    return null;
  }
  px = Math.min(Math.max(px, 0), box.width);
  py = Math.min(Math.max(py, 0), box.height);
  // Frame pixels run 0..size-1; keep the far edge inside the frame.
  const x = Math.min((px * frame.width) / box.width, frame.width - 1);
  const y = Math.min((py * frame.height) / box.height, frame.height - 1);
  return { x: round2(x), y: round2(y), width: frame.width, height: frame.height };
}

/** The inverse: where a frame pixel appears inside the element, in CSS pixels. */
export function toElementPoint(point: { x: number; y: number }, element: Size, frame: Size): { x: number; y: number } {
  const box = containedBox(element, frame);
  if (box.width === 0) {
    return { x: 0, y: 0 };
  }
  return {
    x: box.left + (point.x * box.width) / frame.width,
    y: box.top + (point.y * box.height) / frame.height,
  };
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}
