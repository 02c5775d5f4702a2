// SPDX-License-Identifier: MIT
// Reading a QR code or a Code 128 barcode out of a camera frame, with ZXing's TypeScript port
// (@zxing/library: plain JavaScript, so it runs under the pages' Content-Security-Policy,
// which allows no WebAssembly; docs/web.md says why it was chosen). This module is loaded
// only when the camera opens, so the till's first script stays small; only the two readers
// the till needs are imported, not the library's whole index.
import BinaryBitmap from '@zxing/library/esm/core/BinaryBitmap';
import DecodeHintType from '@zxing/library/esm/core/DecodeHintType';
import HybridBinarizer from '@zxing/library/esm/core/common/HybridBinarizer';
import RGBLuminanceSource from '@zxing/library/esm/core/RGBLuminanceSource';
import Code128Reader from '@zxing/library/esm/core/oned/Code128Reader';
import QRCodeReader from '@zxing/library/esm/core/qrcode/QRCodeReader';

const qr = new QRCodeReader();
const code128 = new Code128Reader();
const hints = new Map<DecodeHintType, unknown>([[DecodeHintType.TRY_HARDER, true]]);

// The grey level of each pixel of an RGBA picture (ITU-R BT.601 weights, as ZXing's own).
function luminances(image: ImageData): Uint8ClampedArray {
  const { data, width, height } = image;
  const out = new Uint8ClampedArray(width * height);
  for (let i = 0, p = 0; i < out.length; i++, p += 4) {
    out[i] = (data[p]! * 306 + data[p + 1]! * 601 + data[p + 2]! * 117) >> 10;
  }
  return out;
}

// The text of the first QR code or Code 128 barcode found in the picture, or null.
export function decodeImage(image: ImageData): string | null {
  const source = new RGBLuminanceSource(luminances(image), image.width, image.height);
  const bitmap = new BinaryBitmap(new HybridBinarizer(source));
  for (const reader of [qr, code128]) {
    try {
      return reader.decode(bitmap, hints).getText();
    } catch {
      // Not found by this reader (ZXing throws NotFoundException, ChecksumException or
      // FormatException): try the next one, then the next frame.
    } finally {
      reader.reset();
    }
  }
  return null;
}
