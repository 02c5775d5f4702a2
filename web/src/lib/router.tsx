// SPDX-License-Identifier: MIT
// Client routing inside one face: the face's base ("/", "/till/", "/portal/") plus a screen's
// path, kept in the address bar with history.pushState. The server answers every path under a
// face with that face's index.html, so a reload or a shared link opens the same screen.
import type { AnchorHTMLAttributes, ComponentChildren, TargetedMouseEvent } from 'preact';
import { useEffect, useState } from 'preact/hooks';

const CHANGE = 'pt-navigate';

// The path below base ("" for the face's home), without query or hash.
function below(base: string): string {
  const path = location.pathname;
  if (path.startsWith(base)) {
    return path.slice(base.length).replace(/\/+$/, '');
  }
  return '';
}

export function navigate(to: string): void {
  history.pushState(null, '', to);
  window.dispatchEvent(new Event(CHANGE));
}

// The current screen path below base; re-renders on navigate() and the back button.
export function useScreen(base: string): string {
  const [screen, setScreen] = useState(below(base));
  useEffect(() => {
    const update = () => setScreen(below(base));
    window.addEventListener('popstate', update);
    window.addEventListener(CHANGE, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(CHANGE, update);
    };
  }, [base]);
  return screen;
}

// A link that changes screen without reloading the page (a modified click opens a new tab).
export function Link({ href, children, ...rest }: AnchorHTMLAttributes & { href: string; children: ComponentChildren }) {
  const click = (event: TargetedMouseEvent<HTMLAnchorElement>) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return;
    }
    event.preventDefault();
    navigate(href);
  };
  return (
    <a {...rest} href={href} onClick={click}>
      {children}
    </a>
  );
}
