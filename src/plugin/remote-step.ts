// The remote images step of a build: the remote source images the built pages show (and the watched ones),
// kept to what the image config lets Vercel optimize, fingerprinted within the budget, and compared with
// the baseline's. Its code below the plugin (core/, shared/): `check-remote` fingerprints the same way.
import { diffRemoteImages, type RemoteImageDiff } from '../core/remote-diff.js'
import { REMOTE_IMAGES_VERSION, type RemoteImages } from '../core/remote-images.js'
import { isAllowedRemoteImage, readRemoteImageRules } from '../core/remote-patterns.js'
import { compareKeys } from '../core/keys.js'
import { readWatchList } from '../core/remote-discovery.js'
import { findRemoteImagesInOutput, readVercelImageConfig } from '../shared/built-output.js'
import { countOf, listSome } from '../shared/format.js'
import type { ManifestLoad } from '../shared/load-manifest.js'
import { fingerprintRemoteImages, type FingerprintRun } from '../shared/remote-fingerprints.js'
import type { ResolvedBuildOptions, ResolvedRemoteOptions } from './options.js'

export interface RemoteStep {
  /** The section of the manifest. */
  remote: RemoteImages
  /** Shown by the pages (or watched) and allowed by the image config: fingerprinted, or tried. */
  shown: number
  /** Shown through the optimizer but not allowed by the image config: Vercel optimizes none of them. */
  notAllowed: string[]
  /** Where the image config was read, for the lines; null when there was none (no remote image is allowed). */
  rulesSource: string | null
  run: FingerprintRun
  /** Against the baseline's remote images; null when there is no baseline or it has none. */
  diff: RemoteImageDiff | null
  budgetMs: number
}

/** Finds, filters and fingerprints; every problem is said through `warn` and leaves the image out. */
export async function findRemoteImages(
  options: Pick<ResolvedBuildOptions, 'root'>,
  remote: ResolvedRemoteOptions,
  baseline: ManifestLoad | null,
  warn: (message: string) => void,
): Promise<RemoteStep> {
  const warnings: string[] = []
  const found = await findRemoteImagesInOutput(remote.source.dirs, readWatchList(remote.watch, warnings))
  warnings.splice(0).forEach(warn)
  const config = remote.source.imageConfig ?? (await readVercelImageConfig(options.root))
  const rules = readRemoteImageRules(config?.images, warnings)
  warnings.forEach((warning) => warn(`${config?.source ?? 'the image config'}: ${warning}`))
  const allowed = (url: string) => isAllowedRemoteImage(rules, new URL(url))
  const notAllowed = found.optimized.filter((url) => !allowed(url))
  const watchedNotAllowed = found.watched.filter((url) => !allowed(url))
  if (watchedNotAllowed.length > 0) {
    warn(
      `remoteImages.watch: ${countOf(watchedNotAllowed.length, 'URL')} the image config does not allow (Vercel optimizes none of them), left out: ${listSome(watchedNotAllowed)}`,
    )
  }
  const urls = [...new Set([...found.optimized, ...found.watched].filter(allowed))].sort(compareKeys)
  const previous = baseline?.kind === 'found' ? baseline.manifest.remote : undefined
  const run = await fingerprintRemoteImages(urls, { ...remote, previous: previous?.images })
  if (run.failures.length > 0) {
    const list = listSome(run.failures.map(({ url, reason }) => `${url} (${reason})`))
    warn(
      `could not fingerprint ${countOf(run.failures.length, 'remote image')}, recorded with the baseline's fingerprint where it had one ` +
        `(not counted as changed at the flip; the next build or check-remote compares it again): ${list}`,
    )
  }
  const unfingerprinted = run.failures.map((failure) => failure.url).sort(compareKeys)
  const section: RemoteImages = {
    version: REMOTE_IMAGES_VERSION,
    images: { ...carriedFingerprints(unfingerprinted, previous), ...run.fingerprints },
    ...(unfingerprinted.length ? { unfingerprinted } : {}),
  }
  return {
    remote: section,
    shown: urls.length - run.excluded.length,
    notAllowed,
    rulesSource: config?.source ?? null,
    run,
    diff: diffRemoteImages(previous, section),
    budgetMs: remote.budgetMs,
  }
}

/**
 * The baseline's fingerprints of the images this build could not fingerprint: what was last known of their
 * bytes. Recorded as they are, the flip does not count them as changed (nothing new is known), and a change
 * that happened meanwhile is still seen, against them, by the next build and by `check-remote`; left out,
 * it would be compared with nothing, and lost for good.
 */
function carriedFingerprints(urls: readonly string[], previous: RemoteImages | undefined): RemoteImages['images'] {
  const carried: RemoteImages['images'] = {}
  for (const url of urls) {
    const known = previous?.images[url]
    if (known) carried[url] = known
  }
  return carried
}
