import { compareKeys } from './keys.js'
import { sameFingerprint, type RemoteFingerprint, type RemoteImages } from './remote-images.js'

/** What differs between the remote images two deployments show. */
export interface RemoteImageDiff {
  /** Fingerprinted by both, with other fingerprints. */
  changed: string[]
  /** Shown by the first only. */
  removed: string[]
  /** Shown by the second only. */
  added: string[]
  unchanged: number
  /** Shown by both, but with no fingerprint known on one side: nothing can be said, and nothing is sent. */
  unknown: string[]
}

/**
 * Compares the remote images of two manifests, pure. Null when either has no `remote` section (written
 * before remote images were recorded, by a build that could not look for them, or of a later format):
 * nothing is known of them then, and nothing is sent, rather than every remote image of the other one.
 */
export function diffRemoteImages(previous: RemoteImages | undefined, next: RemoteImages | undefined): RemoteImageDiff | null {
  if (!previous || !next) return null
  const diff: RemoteImageDiff = { changed: [], removed: [], added: [], unchanged: 0, unknown: [] }
  const nextUnknown = new Set(next.unfingerprinted)
  const previousUnknown = new Set(previous.unfingerprinted)
  for (const [url, before] of Object.entries(previous.images)) {
    const now: RemoteFingerprint | undefined = next.images[url]
    if (now) {
      if (sameFingerprint(before, now)) diff.unchanged++
      else diff.changed.push(url)
    } else if (nextUnknown.has(url)) diff.unknown.push(url)
    else diff.removed.push(url)
  }
  for (const url of previousUnknown) {
    // Compared above when a fingerprint was carried for it.
    if (previous.images[url]) continue
    // Shown by both; fingerprinted, or not, by the second: either way no comparison is possible.
    if (next.images[url] || nextUnknown.has(url)) diff.unknown.push(url)
    else diff.removed.push(url)
  }
  for (const url of [...Object.keys(next.images), ...nextUnknown]) {
    if (!previous.images[url] && !previousUnknown.has(url)) diff.added.push(url)
  }
  for (const list of [diff.changed, diff.removed, diff.added, diff.unknown]) list.sort(compareKeys)
  return diff
}

/**
 * The remote source images to send for a diff, sorted, each once: every changed one and every one no longer
 * shown, and at a flip (`{ flip: true }`) every one that appears, as for public images (core/flip.ts): a URL can come
 * back (a rollback) over variants cached of other bytes. The build-time plan leaves those out, as it does
 * public ones: what appears depends on the deployment live at the flip.
 */
export function remoteSrcImagesOf(diff: RemoteImageDiff | null, { flip = false }: { flip?: boolean } = {}): string[] {
  if (!diff) return []
  return [...new Set([...diff.changed, ...diff.removed, ...(flip ? diff.added : [])])].sort(compareKeys)
}
