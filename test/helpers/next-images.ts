import { readdir } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { repoRoot } from './fixture.js'
import type Sharp from 'sharp'

/** The sharp Next.js itself optimizes with (a dependency of `next`), to write and decode test images. */
const sharp = createRequire(path.join(repoRoot, 'node_modules/next/package.json'))('sharp') as typeof Sharp

export interface Rgb {
  r: number
  g: number
  b: number
}

/** Writes a PNG of one colour: its size and colour tell its variants from any other picture's. */
export async function writePng(file: string, width: number, height: number, colour: Rgb): Promise<void> {
  await sharp({ create: { width, height, channels: 3, background: colour } })
    .png()
    .toFile(file)
}

export interface Variant {
  width: number
  height: number
  /** The mean colour of the decoded variant. */
  colour: Rgb
  /** `X-Nextjs-Cache`: MISS, HIT or STALE. */
  cache: string | null
}

/**
 * Requests `/_next/image?url=<src>&w=<w>&q=75` (w=640 unless given) as a browser that takes WebP, and decodes the answer. Next.js
 * never enlarges, so a variant of a 64x48 source at w=640 is 64x48: its size says which bytes it came from.
 */
export async function fetchVariant(origin: string, src: string, basePath = '', w = 640): Promise<Variant> {
  const url = new URL(`${basePath}/_next/image?url=${encodeURIComponent(src)}&w=${w}&q=75`, origin)
  const response = await fetch(url, { headers: { accept: 'image/webp,image/*,*/*;q=0.8' } })
  if (response.status !== 200) throw new Error(`${url} answered ${response.status}: ${await response.text()}`)
  const bytes = Buffer.from(await response.arrayBuffer())
  const { width = 0, height = 0 } = await sharp(bytes).metadata()
  const [r, g, b] = (await sharp(bytes).stats()).channels.map((channel) => Math.round(channel.mean))
  return { width, height, colour: { r: r!, g: g!, b: b! }, cache: response.headers.get('x-nextjs-cache') }
}

/** Whether two colours are the same picture's, allowing for lossy WebP. */
export function sameColour(a: Rgb, b: Rgb): boolean {
  return Math.abs(a.r - b.r) + Math.abs(a.g - b.g) + Math.abs(a.b - b.b) <= 24
}

/** The entries of a Next.js image cache folder (none when it does not exist), each as `key/file`. */
export async function cacheEntries(cacheDir: string): Promise<string[]> {
  const keys = await readdir(cacheDir).catch(() => [] as string[])
  const entries = await Promise.all(
    keys.map(async (key) => (await readdir(path.join(cacheDir, key)).catch(() => [] as string[])).map((file) => `${key}/${file}`)),
  )
  return entries.flat().sort()
}

/** Polls until `condition` holds; fails with `what` after `timeoutMs`. */
export async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(20)
  }
}
