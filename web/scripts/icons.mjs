// Draws the app icons (public/icons/*.png): a white ring and tick on the red of the app bar.
// Run once after changing the design: `node scripts/icons.mjs`. Pure Node (zlib), no image
// tools needed.
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { deflateSync } from "node:zlib";

const out = join(dirname(fileURLToPath(import.meta.url)), "..", "public", "icons");
const RED = [0xc8, 0x16, 0x1d];
const WHITE = [0xff, 0xff, 0xff];

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
};

/** Distance from point p to segment ab. */
const segment = (px, py, ax, ay, bx, by) => {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - ax - t * dx, py - ay - t * dy);
};

function icon(size, scale) {
  const rows = [];
  const c = size / 2;
  const r = (size * scale) / 2;
  const stroke = r * 0.16;
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 3);
    for (let x = 0; x < size; x++) {
      const d = Math.hypot(x + 0.5 - c, y + 0.5 - c);
      const ring = Math.abs(d - r * 0.82) < stroke / 2;
      const u = (x + 0.5 - c) / r;
      const v = (y + 0.5 - c) / r;
      const tick =
        segment(u, v, -0.42, 0.02, -0.1, 0.34) < 0.09 || segment(u, v, -0.1, 0.34, 0.46, -0.26) < 0.09;
      const [R, G, B] = ring || tick ? WHITE : RED;
      row[1 + x * 3] = R;
      row[2 + x * 3] = G;
      row[3 + x * 3] = B;
    }
    rows.push(row);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(Buffer.concat(rows), { level: 9 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

writeFileSync(join(out, "icon-192.png"), icon(192, 0.8));
writeFileSync(join(out, "icon-512.png"), icon(512, 0.8));
// Maskable: the launcher may crop to a circle of 80%, so the mark keeps inside that.
writeFileSync(join(out, "icon-maskable-512.png"), icon(512, 0.6));
