// SPDX-License-Identifier: MIT
// The portal's screens are paths under /portal/ (docs/web.md, "Member portal"):
//   ""  home            sign-in, join, forgot, reset?token=…   (signed out)
//   card               coupons/<code>   (full-screen codes to show at the till)
//   rewards, coupons, history, refer, account
//   offers, how-it-works (readable signed in or not)
// A link written with a hash (/portal/#/reset?token=…) opens the same screen, so a reset link
// works whichever form the delivery hook writes.
import { navigate, useScreen } from '../lib/router';

export const BASE = '/portal/';

export function href(screen: string, query?: Record<string, string>): string {
  const search = query === undefined ? '' : '?' + new URLSearchParams(query).toString();
  return BASE + screen + search;
}

export function go(screen: string, query?: Record<string, string>): void {
  navigate(href(screen, query));
}

export interface Route {
  screen: string; // "", "rewards", "coupons/K7QF-9XZ2-M4TD-P"
  query: URLSearchParams;
}

// /portal/#/reset?token=… becomes /portal/reset?token=… (kept in the address bar).
export function adoptHashRoute(): void {
  const hash = location.hash;
  if (hash.startsWith('#/') && location.pathname.startsWith(BASE)) {
    history.replaceState(null, '', BASE + hash.slice(2));
  }
}

export function useRoute(): Route {
  const screen = useScreen(BASE);
  return { screen: decodeURIComponent(screen), query: new URLSearchParams(location.search) };
}
