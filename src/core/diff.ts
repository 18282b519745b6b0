import { compareKeys } from './keys.js'
import type { FileDigest } from './hash.js'

export interface ImageDiff {
  /** In both, with other bytes. */
  changed: string[]
  /** In the baseline only. */
  removed: string[]
  /** In the current build only: nothing is cached for them yet, so they need nothing. */
  added: string[]
  unchanged: number
}

/** By key. Keys start with "/", so none is a property that every object has. */
type Images = Readonly<Record<string, FileDigest>>

/**
 * Compares two sets of images by content hash alone, so a file that was only touched (new mtime, same
 * bytes) is unchanged, and a rename is one removal plus one addition.
 */
export function diffImages(baseline: Images, current: Images): ImageDiff {
  const diff: ImageDiff = { changed: [], removed: [], added: [], unchanged: 0 }
  for (const key of Object.keys(baseline)) {
    const now = current[key]
    if (!now) diff.removed.push(key)
    else if (now.hash !== baseline[key]!.hash) diff.changed.push(key)
    else diff.unchanged++
  }
  for (const key of Object.keys(current)) if (!baseline[key]) diff.added.push(key)
  diff.changed.sort(compareKeys)
  diff.removed.sort(compareKeys)
  diff.added.sort(compareKeys)
  return diff
}
