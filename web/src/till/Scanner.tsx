// SPDX-License-Identifier: MIT
// Scanning with the device's camera: a button that opens a dialog with the camera's picture,
// reads each frame until a QR code or a barcode is found, and hands its text to the screen.
// The browser's own BarcodeDetector reads the frames where it has one (Chrome on Android,
// ChromeOS, macOS); elsewhere decode.ts, loaded only now, does. Typing (or a USB scanner,
// which types) works beside it on every screen. The camera needs a secure page: https, or the
// loopback (docs/web.md).
import { useEffect, useRef, useState } from 'preact/hooks';
import { Button } from '../lib/components';
import { t } from '../lib/i18n';

interface Detector {
  detect(source: CanvasImageSource): Promise<{ rawValue: string }[]>;
}
type DetectorClass = {
  new (options: { formats: string[] }): Detector;
  getSupportedFormats(): Promise<string[]>;
};

const FORMATS = ['qr_code', 'code_128'];
const FRAME_MS = 150; // about 6 reads a second: quick enough, and it leaves the CPU to the page
const MAX_WIDTH = 800; // frames are read at most this wide: bigger is slower and no surer

type Reader = (video: HTMLVideoElement, canvas: HTMLCanvasElement) => Promise<string | null>;

async function nativeReader(): Promise<Reader | null> {
  const Native = (globalThis as { BarcodeDetector?: DetectorClass }).BarcodeDetector;
  if (Native === undefined) {
    return null;
  }
  try {
    const supported = await Native.getSupportedFormats();
    if (!FORMATS.every((f) => supported.includes(f))) {
      return null;
    }
    const detector = new Native({ formats: FORMATS });
    return async (video) => (await detector.detect(video))[0]?.rawValue ?? null;
  } catch {
    return null;
  }
}

async function zxingReader(): Promise<Reader> {
  const { decodeImage } = await import('./decode');
  return async (video, canvas) => {
    const scale = Math.min(1, MAX_WIDTH / video.videoWidth);
    canvas.width = Math.round(video.videoWidth * scale);
    canvas.height = Math.round(video.videoHeight * scale);
    const context = canvas.getContext('2d', { willReadFrequently: true });
    if (context === null || canvas.width === 0) {
      return null;
    }
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    return decodeImage(context.getImageData(0, 0, canvas.width, canvas.height));
  };
}

interface DialogProps {
  title: string;
  onCode: (text: string) => void;
  onClose: () => void;
}

function ScanDialog({ title, onCode, onClose }: DialogProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const video = useRef<HTMLVideoElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const [status, setStatus] = useState<'starting' | 'scanning' | 'no_camera'>('starting');

  useEffect(() => {
    dialog.current?.showModal();
    let stream: MediaStream | null = null;
    let timer = 0;
    let stopped = false;
    const stop = () => {
      stopped = true;
      window.clearTimeout(timer);
      stream?.getTracks().forEach((track) => track.stop());
    };
    (async () => {
      try {
        if (navigator.mediaDevices?.getUserMedia === undefined) {
          throw new Error('no camera API (an insecure page?)');
        }
        stream = await navigator.mediaDevices.getUserMedia({
          video: { facingMode: { ideal: 'environment' } },
          audio: false,
        });
        if (stopped) {
          stop();
          return;
        }
        const v = video.current!;
        v.srcObject = stream;
        await v.play();
        const read = (await nativeReader()) ?? (await zxingReader());
        setStatus('scanning');
        const tick = async () => {
          if (stopped) {
            return;
          }
          const text = v.readyState >= 2 ? await read(v, canvas.current!).catch(() => null) : null;
          if (stopped) {
            return;
          }
          if (text !== null && text !== '') {
            stop();
            onCode(text);
            return;
          }
          timer = window.setTimeout(tick, FRAME_MS);
        };
        void tick();
      } catch {
        if (!stopped) {
          setStatus('no_camera');
        }
      }
    })();
    return stop;
  }, []);

  return (
    <dialog
      ref={dialog}
      class="till-scan"
      aria-labelledby="till-scan-title"
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
    >
      <h2 id="till-scan-title">{title}</h2>
      <div class="till-scan-view">
        <video ref={video} muted playsInline aria-hidden="true" />
        <span class="till-scan-frame" aria-hidden="true" />
      </div>
      <canvas ref={canvas} hidden />
      <p role="status" class={status === 'no_camera' ? 'pt-error' : 'pt-hint'}>
        {status === 'starting' && t('till.scan_starting')}
        {status === 'scanning' && t('till.scan_hint')}
        {status === 'no_camera' && t('till.scan_no_camera')}
      </p>
      <Button variant="secondary" onClick={onClose}>
        {t('till.scan_cancel')}
      </Button>
    </dialog>
  );
}

interface ScanButtonProps {
  title: string; // the dialog's heading: what to scan
  onCode: (text: string) => void;
  disabled?: boolean;
}

// "Scan": opens the camera; the code found goes to onCode and the focus back to the button.
export function ScanButton({ title, onCode, disabled }: ScanButtonProps) {
  const [open, setOpen] = useState(false);
  const opened = useRef(false);
  const button = useRef<HTMLButtonElement>(null);
  const close = () => setOpen(false);
  // The focus goes back to the button once the dialog is gone (while a modal dialog is open,
  // the rest of the page cannot take the focus).
  useEffect(() => {
    if (open) {
      opened.current = true;
    } else if (opened.current) {
      opened.current = false;
      button.current?.focus();
    }
  }, [open]);
  return (
    <>
      <button
        ref={button}
        type="button"
        class="pt-button pt-button-secondary till-scan-button"
        disabled={disabled}
        onClick={() => setOpen(true)}
      >
        <svg aria-hidden="true" viewBox="0 0 24 24" width="20" height="20">
          <path
            d="M4 8V5a1 1 0 0 1 1-1h3M16 4h3a1 1 0 0 1 1 1v3M20 16v3a1 1 0 0 1-1 1h-3M8 20H5a1 1 0 0 1-1-1v-3M4 12h16"
            fill="none"
            stroke="currentColor"
            stroke-width="2"
            stroke-linecap="round"
          />
        </svg>
        {t('till.scan')}
      </button>
      {open && (
        <ScanDialog
          title={title}
          onClose={close}
          onCode={(text) => {
            close();
            onCode(text);
          }}
        />
      )}
    </>
  );
}
