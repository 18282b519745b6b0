import { diffImages, type ImageDiff } from './diff.js'
import type { FileDigest } from './hash.js'
import type { Manifest } from './manifest.js'
import { compareKeys } from './keys.js'
import { diffRemoteImages, remoteSrcImagesOf } from './remote-diff.js'

/** What changed for visitors when production went from one deployment to another. */
export interface FlipInvalidation {
  /** By source-image string (basePath included): what a visitor's `src` named before and after. */
  diff: ImageDiff
  /** Every changed, removed or added source image, sorted, each once. */
  srcImages: string[]
  /**
   * Remote images (core/remote-diff.ts): the URLs whose fingerprint differs between P's and D's manifests,
   * that D no longer shows, or that D shows and P did not; sent with `srcImages`, listed apart. Empty when
   * either manifest has no remote images recorded.
   */
  remoteSrcImages: string[]
}

/**
 * The source images to invalidate when production stops serving `previous` and starts serving `next`:
 * those whose bytes changed, those that are gone, and those that appear.
 *
 * Images are compared by the source-image string a visitor requested (basePath + key), so a basePath that
 * changed between the two makes every old string removed and every new one added.
 *
 * Added images are sent too, unlike in the build-time plan: a flip can bring back a name that an earlier
 * deployment served with other bytes, or that the one before served as an error (a rollback over a
 * deployment that removed it, an image deleted and re-added). Variants of it may still be cached, and
 * invalidating a name with nothing cached costs one background revalidation at most.
 */
export function planFlip(previous: Pick<Manifest, 'basePath' | 'images' | 'remote'>, next: Pick<Manifest, 'basePath' | 'images' | 'remote'>): FlipInvalidation {
  const diff = diffImages(bySourceImage(previous), bySourceImage(next))
  const srcImages = [...new Set([...diff.changed, ...diff.removed, ...diff.added])].sort(compareKeys)
  // Remote images: their own diff, by URL, joined here and nowhere else; those that appear are sent too.
  const remoteSrcImages = remoteSrcImagesOf(diffRemoteImages(previous.remote, next.remote), { flip: true })
  return { diff, srcImages, remoteSrcImages }
}

function bySourceImage(manifest: Pick<Manifest, 'basePath' | 'images'>): Record<string, FileDigest> {
  if (manifest.basePath === '') return manifest.images
  const images: Record<string, FileDigest> = {}
  for (const [key, digest] of Object.entries(manifest.images)) images[manifest.basePath + key] = digest
  return images
}
