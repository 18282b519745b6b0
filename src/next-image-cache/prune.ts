import { readdir, rm } from 'node:fs/promises'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { countOf } from '../shared/format.js'
import type { CacheNaming } from './naming.js'

/** Longest the naming keeps the event loop before letting requests run. */
const SLICE_MS = 10

/** What a pruning removed from one image cache folder. */
export interface PruneResult {
  /** Entries removed, by source image; an image with none cached has 0. */
  removed: Map<string, number>
  /** Set when the whole folder was removed instead: the naming could not be had, and this says why. */
  wholeCache?: { reason: string; entries: number }
}

/**
 * Removes from a Next.js image cache folder (`<distDir>/cache/images`) the entries of `srcImages`, and no
 * other: each entry is a folder named by its key. Reads the folder once; a cache that does not exist holds
 * nothing to remove, and then Next.js's naming (`getNaming`, slow to load the first time) is not asked for.
 * With no naming (`{ problem }`), removes the whole folder and says why in the result: Next.js recreates
 * it on the next request. A dry run counts what would go and removes nothing. `among`: only these
 * entries are candidates (the cache as it was before the images were hashed), not the folder as it is.
 */
export async function pruneImageCache(
  cacheDir: string,
  srcImages: readonly string[],
  getNaming: () => CacheNaming | { problem: string },
  { dryRun = false, among }: { dryRun?: boolean; among?: ReadonlySet<string> } = {},
): Promise<PruneResult> {
  const removed = new Map<string, number>(srcImages.map((src) => [src, 0]))
  if (srcImages.length === 0) return { removed }
  const present = among ?? (await listEntries(cacheDir))
  if (present.size === 0) return { removed }
  const naming = getNaming()
  if ('problem' in naming) {
    if (!dryRun) await rm(cacheDir, { recursive: true, force: true })
    return { removed, wholeCache: { reason: naming.problem, entries: present.size } }
  }
  const removals: Promise<void>[] = []
  let slice = performance.now()
  for (const src of srcImages) {
    // Naming is CPU work (about 1 ms an image): a dev server's requests are answered between slices.
    if (performance.now() - slice > SLICE_MS) {
      await new Promise((resolve) => setImmediate(resolve))
      slice = performance.now()
    }
    const keys = naming.keysOf(src).filter((key) => present.has(key))
    removed.set(src, keys.length)
    if (!dryRun) for (const key of keys) removals.push(rm(path.join(cacheDir, key), { recursive: true, force: true }))
  }
  await Promise.all(removals)
  return { removed }
}

/** The entry names of a cache folder; empty when it does not exist (yet). */
export async function listEntries(cacheDir: string): Promise<Set<string>> {
  try {
    return new Set(await readdir(cacheDir))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Set()
    throw error
  }
}

/** `6 cached variants removed`, `no cached variant`: the end of each line that reports a pruning. */
export function describeRemoved(count: number): string {
  return count === 0 ? 'no cached variant' : `${countOf(count, 'cached variant')} removed`
}
