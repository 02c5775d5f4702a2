// SPDX-License-Identifier: MIT
// A USB barcode scanner is a keyboard: it types the code, then Enter. In a field (the search,
// the coupon code, the receipt) that is ordinary typing and the field's form takes it. When no
// field has the focus (after a sale, the focus on a button), this hook gathers keys typed
// faster than a person types and, at Enter, hands the code over instead of pressing the
// focused button.
import { useEffect, useRef } from 'preact/hooks';

const GAP_MS = 100; // a scanner types a key every few ms; a person rarely six keys that fast
const ENTER_GAP_MS = 250; // some scanners pause before the Enter they add
const MIN_LENGTH = 6; // shorter bursts are a person's keys

function editable(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) {
    return false;
  }
  return (
    target.isContentEditable ||
    target instanceof HTMLInputElement ||
    target instanceof HTMLTextAreaElement ||
    target instanceof HTMLSelectElement
  );
}

export function useScannerWedge(onCode: (text: string) => void): void {
  const handler = useRef(onCode);
  handler.current = onCode;
  useEffect(() => {
    let buffer = '';
    let last = 0;
    const keydown = (event: KeyboardEvent) => {
      if (editable(event.target) || event.ctrlKey || event.metaKey || event.altKey) {
        buffer = '';
        return;
      }
      if (document.querySelector('dialog[open]') !== null) {
        return; // the camera's dialog has the page
      }
      const now = event.timeStamp;
      const gap = now - last;
      last = now;
      if (event.key === 'Enter') {
        if (gap > ENTER_GAP_MS) {
          buffer = '';
        }
        if (buffer.length >= MIN_LENGTH) {
          event.preventDefault();
          event.stopPropagation();
          const text = buffer;
          buffer = '';
          handler.current(text);
        }
        buffer = '';
        return;
      }
      // Shift (a scanner presses it for capitals) and other keys without a character add
      // nothing and do not break the run.
      if (event.key.length === 1) {
        buffer = gap > GAP_MS ? event.key : buffer + event.key;
      }
    };
    window.addEventListener('keydown', keydown, true);
    return () => window.removeEventListener('keydown', keydown, true);
  }, []);
}
