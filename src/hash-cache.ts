import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { CachedDigest, HashResult } from './core/hash.js'
import { absolutePathOf } from './core/scan.js'

/**
 * The digests of the last build, kept next to the local plan, so that a build where little changed reads
 * little. An entry is trusted only while its file's stamp (size, mtime, ctime, inode) is the same; on a
 * fresh clone every stamp differs and everything is hashed again, which is always correct.
 */
const CACHE_VERSION = 1

/**
 * A file changed within this long before the cache was written could change again within the same clock
 * tick and keep its stamp (git calls it "racily clean"): it is not cached, so the next build reads it.
 */
const RACY_WINDOW_MS = 2_000

type Entry = [size: number, mtimeMs: number, ctimeMs: number, ino: number, hash: string]

/** The cached digests by absolute path; empty when there is no cache, or one this version cannot read. */
export async function loadHashCache(file: string, publicDir: string): Promise<Map<string, CachedDigest>> {
  const cache = new Map<string, CachedDigest>()
  let data: { version?: unknown; publicDir?: unknown; entries?: Record<string, unknown> }
  try {
    data = JSON.parse(await readFile(file, 'utf8'))
  } catch {
    return cache
  }
  if (data?.version !== CACHE_VERSION || data.publicDir !== publicDir || typeof data.entries !== 'object' || data.entries === null) return cache
  for (const [absolutePath, value] of Object.entries(data.entries)) {
    if (!isEntry(value)) continue
    const [size, mtimeMs, ctimeMs, ino, hash] = value
    cache.set(absolutePath, { size, mtimeMs, ctimeMs, ino, hash })
  }
  return cache
}

/** Writes the digests of this build for the next one (atomically: a crash leaves the old cache or none). */
export async function saveHashCache(file: string, publicDir: string, hashed: Pick<HashResult, 'digests' | 'stamps'>, now = Date.now()): Promise<void> {
  const entries: Record<string, Entry> = {}
  for (const [key, stamp] of hashed.stamps) {
    const digest = hashed.digests.get(key)
    if (!digest || Math.max(stamp.mtimeMs, stamp.ctimeMs) > now - RACY_WINDOW_MS) continue
    entries[absolutePathOf(publicDir, key)] = [stamp.size, stamp.mtimeMs, stamp.ctimeMs, stamp.ino, digest.hash]
  }
  await mkdir(path.dirname(file), { recursive: true })
  const temporary = `${file}.${process.pid}.tmp`
  await writeFile(temporary, JSON.stringify({ version: CACHE_VERSION, publicDir, entries }))
  await rename(temporary, file)
}

function isEntry(value: unknown): value is Entry {
  return (
    Array.isArray(value) &&
    value.length === 5 &&
    value.slice(0, 4).every((number) => typeof number === 'number' && Number.isFinite(number)) &&
    typeof value[4] === 'string' &&
    /^[0-9a-f]{64}$/.test(value[4])
  )
}
