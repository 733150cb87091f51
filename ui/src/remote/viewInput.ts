/**
 * Mouse, wheel, touch, keyboard and paste on the view element, turned into input messages in the
 * frame's pixel space. Moves and wheel turns are sent at most once per animation frame; presses,
 * releases and keys go at once, after any pending move, so the remote page sees them in order.
 */

import { type FramePoint, type Size, toFramePoint } from '../lib/coordinates';
import type { PastePlan } from '../lib/clipboard';
import { decideKey, EscapeRelease, type KeyMessage, modifiersOf, pasteChunks, pasteKeys } from '../lib/keys';
import { ClickCounter, wheelPixels } from '../lib/pointer';
import { clipboardInput, type InputMessage, type MouseButton } from './messages';

export interface ViewInputOptions {
  /** The element showing the picture (video or canvas), filling the view with object-fit: contain. */
  picture(): HTMLElement | null;
  /** The pixel size of what it shows (the frame space), or null before the first frame. */
  frameSize(): Size | null;
  send(message: InputMessage): void;
  onMac: boolean;
  /** Escape pressed twice: the user wants the keyboard back. */
  release(): void;
  /** How pasted text goes to the remote page (lib/clipboard's planPaste); typed when absent. */
  planPaste?(text: string): PastePlan;
  /** A paste the plan refused (policy, size): the user is told why. */
  pasteRefused?(plan: PastePlan): void;
  /** Files dropped onto the picture; when this takes them (true), a click at the drop point follows. */
  dropFiles?(files: File[]): boolean;
}

/** A touch that moves this far (CSS px) scrolls instead of clicking. */
const TOUCH_SLOP = 8;

export function attachViewInput(view: HTMLElement, options: ViewInputOptions): () => void {
  const clicks = new ClickCounter();
  const escape = new EscapeRelease();
  /** Keys pressed and not yet released, so leaving the view releases them on the remote page too. */
  const pressedKeys = new Map<string, KeyMessage>();
  let pendingMove: InputMessage | null = null;
  let pendingWheel: { point: FramePoint; deltaX: number; deltaY: number; modifiers: KeyMessage['modifiers'] } | null = null;
  let frameRequest = 0;
  let touch: { id: number; startX: number; startY: number; lastX: number; lastY: number; scrolling: boolean } | null = null;

  const framePoint = (event: { clientX: number; clientY: number }, clamp: boolean): FramePoint | null => {
    const picture = options.picture();
    const frame = options.frameSize();
    if (!picture || !frame) {
      return null;
    }
    const rect = picture.getBoundingClientRect();
    return toFramePoint(
      { x: event.clientX - rect.left, y: event.clientY - rect.top },
      { width: rect.width, height: rect.height },
      frame,
      clamp,
    );
  };

  const flush = () => {
    frameRequest = 0;
    if (pendingMove) {
      options.send(pendingMove);
      pendingMove = null;
    }
    if (pendingWheel) {
      const { point, deltaX, deltaY, modifiers } = pendingWheel;
      options.send({ type: 'scroll', ...point, deltaX: Math.round(deltaX), deltaY: Math.round(deltaY), modifiers });
      pendingWheel = null;
    }
  };
  const schedule = () => {
    if (!frameRequest) {
      frameRequest = requestAnimationFrame(flush);
    }
  };
  const flushNow = () => {
    if (frameRequest) {
      cancelAnimationFrame(frameRequest);
    }
    flush();
  };

  const button = (b: number): MouseButton => (b === 1 ? 1 : b === 2 ? 2 : 0);

  const onPointerDown = (e: PointerEvent) => {
    view.focus({ preventScroll: true });
    if (e.pointerType === 'touch') {
      if (!touch && e.isPrimary) {
        touch = { id: e.pointerId, startX: e.clientX, startY: e.clientY, lastX: e.clientX, lastY: e.clientY, scrolling: false };
      }
      e.preventDefault();
      return;
    }
    const point = framePoint(e, false);
    if (!point) {
      return;
    }
    e.preventDefault();
    view.setPointerCapture(e.pointerId);
    flushNow();
    const clickCount = clicks.press(e.button, e.clientX, e.clientY, e.timeStamp);
    options.send({ type: 'mousedown', ...point, button: button(e.button), clickCount, modifiers: modifiersOf(e, options.onMac) });
  };

  const onPointerMove = (e: PointerEvent) => {
    if (e.pointerType === 'touch') {
      onTouchMove(e);
      return;
    }
    // While a button is held the pointer is captured: moves outside the picture still drag.
    const point = framePoint(e, e.buttons !== 0);
    if (!point) {
      return;
    }
    pendingMove = { type: 'mousemove', ...point, modifiers: modifiersOf(e, options.onMac) };
    schedule();
  };

  const onPointerUp = (e: PointerEvent) => {
    if (e.pointerType === 'touch') {
      onTouchEnd(e);
      return;
    }
    if (!view.hasPointerCapture(e.pointerId)) {
      return; // the press happened outside the picture
    }
    view.releasePointerCapture(e.pointerId);
    const point = framePoint(e, true);
    if (!point) {
      return;
    }
    flushNow();
    options.send({ type: 'mouseup', ...point, button: button(e.button), clickCount: clicks.current(), modifiers: modifiersOf(e, options.onMac) });
  };

  // Touch: a tap clicks, a drag scrolls the page under the finger (as on a phone).
  const onTouchMove = (e: PointerEvent) => {
    if (!touch || e.pointerId !== touch.id) {
      return;
    }
    if (!touch.scrolling && Math.hypot(e.clientX - touch.startX, e.clientY - touch.startY) > TOUCH_SLOP) {
      touch.scrolling = true;
    }
    if (touch.scrolling) {
      const point = framePoint(e, true);
      const picture = options.picture();
      const frame = options.frameSize();
      if (point && picture && frame) {
        const scale = frame.width / picture.getBoundingClientRect().width;
        addWheel(point, (touch.lastX - e.clientX) * scale, (touch.lastY - e.clientY) * scale, modifiersOf(e, options.onMac));
      }
    }
    touch.lastX = e.clientX;
    touch.lastY = e.clientY;
  };

  const onTouchEnd = (e: PointerEvent) => {
    if (!touch || e.pointerId !== touch.id) {
      return;
    }
    const tapped = !touch.scrolling && e.type === 'pointerup';
    touch = null;
    const point = tapped ? framePoint(e, false) : null;
    if (point) {
      flushNow();
      const modifiers = modifiersOf(e, options.onMac);
      const clickCount = clicks.press(0, e.clientX, e.clientY, e.timeStamp);
      options.send({ type: 'mousemove', ...point, modifiers });
      options.send({ type: 'mousedown', ...point, button: 0, clickCount, modifiers });
      options.send({ type: 'mouseup', ...point, button: 0, clickCount, modifiers });
    }
  };

  const addWheel = (point: FramePoint, deltaX: number, deltaY: number, modifiers: KeyMessage['modifiers']) => {
    pendingWheel = pendingWheel
      ? { point, deltaX: pendingWheel.deltaX + deltaX, deltaY: pendingWheel.deltaY + deltaY, modifiers }
      : { point, deltaX, deltaY, modifiers };
    schedule();
  };

  const onWheel = (e: WheelEvent) => {
    const point = framePoint(e, false);
    if (!point) {
      return;
    }
    e.preventDefault();
    const page = point.height;
    addWheel(point, wheelPixels(e.deltaX, e.deltaMode, point.width), wheelPixels(e.deltaY, e.deltaMode, page), modifiersOf(e, options.onMac));
  };

  const onKey = (e: KeyboardEvent) => {
    if (e.type === 'keydown' && escape.onKeyDown(e.key, e.timeStamp)) {
      e.preventDefault();
      releaseKeys();
      options.release();
      return;
    }
    const decision = decideKey(
      {
        type: e.type === 'keyup' ? 'keyup' : 'keydown',
        key: e.key,
        code: e.code,
        ctrlKey: e.ctrlKey,
        shiftKey: e.shiftKey,
        altKey: e.altKey,
        metaKey: e.metaKey,
        altGraph: e.getModifierState?.('AltGraph') ?? false,
        isComposing: e.isComposing,
      },
      options.onMac,
    );
    if (decision.action !== 'send') {
      return;
    }
    e.preventDefault();
    e.stopPropagation();
    flushNow();
    const m = decision.message;
    if (m.type === 'keydown') {
      pressedKeys.set(m.code || m.key, m);
    } else {
      pressedKeys.delete(m.code || m.key);
    }
    options.send(m);
  };

  const releaseKeys = () => {
    for (const m of pressedKeys.values()) {
      options.send({ ...m, type: 'keyup' });
    }
    pressedKeys.clear();
  };

  const onPaste = (e: ClipboardEvent) => {
    const text = e.clipboardData?.getData('text/plain') ?? '';
    e.preventDefault();
    if (!text) {
      return;
    }
    const plan: PastePlan = options.planPaste?.(text) ?? { action: 'type' };
    flushNow();
    if (plan.action === 'clipboard') {
      // The remote clipboard first, then Ctrl+V there: the page pastes it the way it pastes anything.
      options.send(clipboardInput(text.replace(/\r\n?/g, '\n')));
      const controlHeld = pressedKeys.has('ControlLeft') || pressedKeys.has('ControlRight');
      for (const m of pasteKeys(controlHeld)) {
        options.send(m);
      }
    } else if (plan.action === 'type') {
      for (const chunk of pasteChunks(text)) {
        options.send({ type: 'type', text: chunk });
      }
    } else {
      options.pasteRefused?.(plan);
    }
  };

  // Files dragged over the picture can be dropped (only when someone takes them).
  const carriesFiles = (e: DragEvent) => options.dropFiles !== undefined && (e.dataTransfer?.types ?? []).includes('Files');
  const onDragOver = (e: DragEvent) => {
    if (!carriesFiles(e) || !framePoint(e, false)) {
      return;
    }
    e.preventDefault();
    if (e.dataTransfer) {
      e.dataTransfer.dropEffect = 'copy';
    }
  };
  const onDrop = (e: DragEvent) => {
    if (!carriesFiles(e)) {
      return;
    }
    e.preventDefault();
    const point = framePoint(e, false);
    const files = Array.from(e.dataTransfer?.files ?? []);
    if (!point || files.length === 0) {
      return;
    }
    view.focus({ preventScroll: true });
    // The files wait first; the click then opens the chooser of whatever is under the drop point.
    if (!options.dropFiles?.(files)) {
      return;
    }
    flushNow();
    const modifiers = modifiersOf(e, options.onMac);
    options.send({ type: 'mousemove', ...point, modifiers });
    options.send({ type: 'mousedown', ...point, button: 0, clickCount: 1, modifiers });
    options.send({ type: 'mouseup', ...point, button: 0, clickCount: 1, modifiers });
  };

  const prevent = (e: Event) => e.preventDefault();

  view.addEventListener('pointerdown', onPointerDown);
  view.addEventListener('pointermove', onPointerMove);
  view.addEventListener('pointerup', onPointerUp);
  view.addEventListener('pointercancel', onPointerUp);
  view.addEventListener('wheel', onWheel, { passive: false });
  view.addEventListener('keydown', onKey);
  view.addEventListener('keyup', onKey);
  view.addEventListener('paste', onPaste);
  view.addEventListener('blur', releaseKeys);
  view.addEventListener('contextmenu', prevent);
  view.addEventListener('dragstart', prevent);
  view.addEventListener('dragover', onDragOver);
  view.addEventListener('drop', onDrop);
  return () => {
    if (frameRequest) {
      cancelAnimationFrame(frameRequest);
    }
    view.removeEventListener('pointerdown', onPointerDown);
    view.removeEventListener('pointermove', onPointerMove);
    view.removeEventListener('pointerup', onPointerUp);
    view.removeEventListener('pointercancel', onPointerUp);
    view.removeEventListener('wheel', onWheel);
    view.removeEventListener('keydown', onKey);
    view.removeEventListener('keyup', onKey);
    view.removeEventListener('paste', onPaste);
    view.removeEventListener('blur', releaseKeys);
    view.removeEventListener('contextmenu', prevent);
    view.removeEventListener('dragstart', prevent);
    view.removeEventListener('dragover', onDragOver);
    view.removeEventListener('drop', onDrop);
  };
}
