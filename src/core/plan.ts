import { compareKeys } from './keys.js'
import type { ImageDiff } from './diff.js'

/** The most source images Vercel takes in one invalidation call. */
export const MAX_BATCH_SIZE = 8

/**
 * The source-image strings to invalidate for a diff: every changed or removed image, as a `src` prop
 * would name it (`basePath` + key), sorted and each once.
 */
export function planInvalidation(diff: Pick<ImageDiff, 'changed' | 'removed'>, basePath: string): string[] {
  const keys = new Set([...diff.changed, ...diff.removed])
  return [...keys].sort(compareKeys).map((key) => basePath + key)
}

/** Calls needed to invalidate `count` source images. */
export function batchCount(count: number, batchSize = MAX_BATCH_SIZE): number {
  return Math.ceil(count / batchSize)
}
