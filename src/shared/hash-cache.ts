import { readFile } from 'node:fs/promises'
import type { CachedDigest, HashResult } from '../core/hash.js'
import { writeFileAtomically } from './files.js'

/**
 * The digests of the last build, kept next to the local plan, so that a build where little changed reads
 * little. An entry is trusted only while its file's stamp (size, mtime, ctime, inode) is the same; on a
 * fresh clone every stamp differs and everything is hashed again, which is always correct.
 */
const CACHE_VERSION = 2

/**
 * A file changed within this long before the cache was written could change again within the same clock
 * tick and keep its stamp (git calls it "racily clean"): it is not cached, so the next build reads it.
 */
export const RACY_WINDOW_MS = 2_000

/**
 * The file, in columns rather than one object per image, stamps and digests in binary: an object per path
 * and 80,000 fractional milliseconds in decimal took 63-83 ms to write or read for 20,000 images, and
 * reading and writing the cache are on the path of every build.
 */
interface CacheFile {
  version: typeof CACHE_VERSION
  publicDir: string
  keys: string[]
  /** Base64 of a Float64Array: size, mtimeMs, ctimeMs, ino of each key, one after the other. */
  stamps: string
  /** Base64 of the digests of the keys, 32 bytes each, one after the other. */
  hashes: string
}

/** The cached digests by key; empty when there is no cache, or one this version cannot read. */
export async function loadHashCache(file: string, publicDir: string): Promise<Map<string, CachedDigest>> {
  const cache = new Map<string, CachedDigest>()
  let data: Partial<CacheFile> | null
  try {
    data = JSON.parse(await readFile(file, 'utf8'))
  } catch {
    return cache
  }
  const columns = readColumns(data, publicDir)
  if (!columns) return cache
  const { keys, stamps, digests } = columns
  const hashes = digests.toString('hex')
  for (let i = 0; i < keys.length; i++) {
    const at = i * 4
    cache.set(keys[i]!, {
      size: stamps[at]!,
      mtimeMs: stamps[at + 1]!,
      ctimeMs: stamps[at + 2]!,
      ino: stamps[at + 3]!,
      hash: hashes.slice(i * 64, i * 64 + 64),
    })
  }
  return cache
}

/** Writes the digests of this build for the next one (atomically: a crash leaves the old cache or none). */
export async function saveHashCache(file: string, publicDir: string, hashed: Pick<HashResult, 'digests' | 'stamps'>, now = Date.now()): Promise<void> {
  const keys: string[] = []
  const stamps = new Float64Array(hashed.stamps.size * 4)
  const digests = Buffer.alloc(hashed.stamps.size * 32)
  for (const [key, stamp] of hashed.stamps) {
    const digest = hashed.digests[key]
    if (!digest || Math.max(stamp.mtimeMs, stamp.ctimeMs) > now - RACY_WINDOW_MS) continue
    const i = keys.push(key) - 1
    stamps.set([stamp.size, stamp.mtimeMs, stamp.ctimeMs, stamp.ino], i * 4)
    digests.write(digest.hash, i * 32, 'hex')
  }
  const data: CacheFile = {
    version: CACHE_VERSION,
    publicDir,
    keys,
    stamps: Buffer.from(stamps.buffer, 0, keys.length * 32).toString('base64'),
    hashes: digests.toString('base64', 0, keys.length * 32),
  }
  await writeFileAtomically(file, JSON.stringify(data))
}

/** The decoded columns of a cache of this version and folder, or undefined when anything does not fit. */
function readColumns(data: Partial<CacheFile> | null, publicDir: string): { keys: string[]; stamps: Float64Array; digests: Buffer } | undefined {
  if (data?.version !== CACHE_VERSION || data.publicDir !== publicDir) return undefined
  const { keys } = data
  if (!Array.isArray(keys) || !keys.every((key) => typeof key === 'string')) return undefined
  if (typeof data.stamps !== 'string' || typeof data.hashes !== 'string') return undefined
  const bytes = Buffer.from(data.stamps, 'base64')
  if (bytes.length !== keys.length * 32) return undefined
  // Copied into a fresh buffer: a Float64Array needs an offset that is a multiple of 8.
  const stamps = new Float64Array(new Uint8Array(bytes).buffer)
  const digests = Buffer.from(data.hashes, 'base64')
  if (!stamps.every(Number.isFinite) || digests.length !== keys.length * 32) return undefined
  return { keys, stamps, digests }
}
