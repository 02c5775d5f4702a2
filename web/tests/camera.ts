// SPDX-License-Identifier: MIT
// A camera for the till's browser tests: Chromium's fake capture device playing a Y4M video
// that the test writes from a picture (a QR code of the API, or the one a member's phone shows):
// the picture in the middle of a white 640×480 frame, as grey levels. The video is read each
// time the camera is opened, so a test may launch the browser with a blank video and write the
// picture it needs just before the cashier scans.
import { writeFileSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { CHROMIUM } from './harness';

export const W = 640;
export const H = 480;
const SIDE = 320; // the picture's longer side in the frame

export interface Picture {
  type: string; // its media type: image/png, image/svg+xml
  bytes: Buffer;
}

// The picture drawn in the middle of a white W×H frame, as grey levels (Chromium draws it; the
// pixels come back as base64, 300 KB, not as a list of numbers).
export async function frame(browser: Browser, pic: Picture): Promise<Buffer> {
  const page = await browser.newPage();
  try {
    const grey = await page.evaluate(
      async ({ src, W, H, SIDE }) => {
        const img = new Image();
        img.src = src;
        await img.decode();
        const canvas = document.createElement('canvas');
        canvas.width = W;
        canvas.height = H;
        const g = canvas.getContext('2d')!;
        g.fillStyle = '#fff';
        g.fillRect(0, 0, W, H);
        g.imageSmoothingEnabled = false;
        // Its proportions kept: a square code stays square.
        const scale = SIDE / Math.max(img.naturalWidth || SIDE, img.naturalHeight || SIDE);
        const w = Math.round((img.naturalWidth || SIDE) * scale);
        const h = Math.round((img.naturalHeight || SIDE) * scale);
        g.drawImage(img, (W - w) / 2, (H - h) / 2, w, h);
        const rgba = g.getImageData(0, 0, W, H).data;
        let text = '';
        for (let i = 0; i < W * H; i++) {
          text += String.fromCharCode(Math.round(0.299 * rgba[4 * i]! + 0.587 * rgba[4 * i + 1]! + 0.114 * rgba[4 * i + 2]!));
        }
        return btoa(text);
      },
      { src: `data:${pic.type};base64,${pic.bytes.toString('base64')}`, W, H, SIDE },
    );
    return Buffer.from(grey, 'base64');
  } finally {
    await page.close();
  }
}

// A blank (white) frame, for a camera that films nothing yet.
export function blankFrame(): Buffer {
  return Buffer.alloc(W * H, 255);
}

// Grey levels as the RGBA ImageData the decoder reads off a canvas.
export function imageData(grey: Buffer): ImageData {
  const data = new Uint8ClampedArray(W * H * 4);
  for (let i = 0; i < W * H; i++) {
    data.fill(grey[i]!, 4 * i, 4 * i + 3);
    data[4 * i + 3] = 255;
  }
  return { data, width: W, height: H, colorSpace: 'srgb' } as ImageData;
}

// A YUV4MPEG2 video (4:2:0) of a few identical frames: the grey levels as its luma, with
// neutral colour planes. Chromium's fake camera plays it in a loop.
export function y4m(grey: Buffer, path: string): void {
  const chroma = Buffer.alloc((W / 2) * (H / 2), 128);
  const parts: Buffer[] = [Buffer.from(`YUV4MPEG2 W${W} H${H} F10:1 Ip A1:1 C420jpeg\n`)];
  for (let f = 0; f < 10; f++) {
    parts.push(Buffer.from('FRAME\n'), grey, chroma, chroma);
  }
  writeFileSync(path, Buffer.concat(parts));
}

// A Chromium whose camera films video (or Chromium's own test pattern without one), with the
// harness's loopback-only resolver.
export async function cameraBrowser(video?: string): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
      '--disable-dev-shm-usage',
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      ...(video !== undefined ? [`--use-file-for-fake-video-capture=${video}`] : []),
    ],
  });
}
