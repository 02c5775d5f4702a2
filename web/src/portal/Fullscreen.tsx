// SPDX-License-Identifier: MIT
// A full-screen view to show at the till: white, black codes as large as the screen allows, the
// screen kept awake while it shows (Screen Wake Lock, where the browser has it), and a close
// button (Escape and the back button close it too).
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { LanguageSwitcher, useLocale } from '../lib/components';
import { t } from '../lib/i18n';
import { go } from './routes';

interface WakeLockSentinelLike {
  release: () => Promise<void>;
}

function useWakeLock(): void {
  useEffect(() => {
    let lock: WakeLockSentinelLike | null = null;
    let live = true;
    const take = async () => {
      const wakeLock = (navigator as Navigator & { wakeLock?: { request: (t: 'screen') => Promise<WakeLockSentinelLike> } }).wakeLock;
      if (wakeLock === undefined || document.visibilityState !== 'visible') {
        return;
      }
      try {
        const taken = await wakeLock.request('screen');
        if (live) {
          lock = taken;
        } else {
          void taken.release();
        }
      } catch {
        // Refused (battery saver, policy): the screen may dim; the codes still show.
      }
    };
    void take();
    const again = () => void take(); // the lock is dropped when the page is hidden
    document.addEventListener('visibilitychange', again);
    return () => {
      live = false;
      document.removeEventListener('visibilitychange', again);
      void lock?.release().catch(() => undefined);
    };
  }, []);
}

export function Fullscreen({
  title,
  children,
  closeTo,
  tone,
}: {
  title: string;
  children: ComponentChildren;
  closeTo: string; // the screen to go back to
  tone?: 'used' | 'void';
}) {
  useLocale();
  useWakeLock();
  const close = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    document.title = title;
    close.current?.focus();
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') {
        go(closeTo);
      }
    };
    document.addEventListener('keydown', onKey);
    document.body.classList.add('pp-bright');
    return () => {
      document.removeEventListener('keydown', onKey);
      document.body.classList.remove('pp-bright');
    };
  }, [title, closeTo]);
  return (
    <div class={`pp-fullscreen${tone ? ` pp-fullscreen-${tone}` : ''}`} role="main" id="main" tabIndex={-1}>
      <div class="pp-fullscreen-bar">
        <button ref={close} type="button" class="pt-button pt-button-secondary" onClick={() => go(closeTo)}>
          {t('portal.fullscreen.close')}
        </button>
        <LanguageSwitcher />
      </div>
      <h1>{title}</h1>
      {children}
    </div>
  );
}
