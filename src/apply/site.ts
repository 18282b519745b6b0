// The production site as a witness of the flip: the manifest it serves says which build is live.
import type { Dispatcher } from 'undici'
import type { FlipObservation } from '../core/choose-previous.js'
import type { Manifest } from '../core/manifest.js'
import { loadManifest, type ManifestLoad } from '../shared/load-manifest.js'
import { pollUntilLive, type WaitOptions } from './poll.js'

/** The production site's manifest, and the build the wait is for. */
export interface SiteWatch {
  manifestUrl: string
  buildId: string
  /** Sent with every request (protection bypass). */
  headers?: Record<string, string>
  /** The pool the polls share (each read opens its own otherwise). */
  dispatcher?: Dispatcher
}

/** The site's manifest now, past caches (a cache-busting query and `cache-control: no-cache`). */
function readSite(site: SiteWatch): Promise<ManifestLoad> {
  return loadManifest(site.manifestUrl, { fresh: true, headers: site.headers, dispatcher: site.dispatcher })
}

/** The manifest at `manifestUrl` when it is not `buildId`'s; undefined otherwise or when it cannot be read. */
export async function readOtherManifest(site: SiteWatch): Promise<Manifest | undefined> {
  const load = await readSite(site)
  return load.kind === 'found' && load.manifest.buildId !== site.buildId ? load.manifest : undefined
}

/**
 * Waits until the production site serves a manifest with `buildId`: the new deployment is then the one
 * visitors get. What it saw on the way is the last other manifest the site served, if any: the deployment
 * that was live just before the flip.
 */
export async function waitForSite(site: SiteWatch, options: WaitOptions = {}): Promise<FlipObservation> {
  const seen: FlipObservation = { rolloutSeen: false }
  await pollUntilLive(
    `the site ${site.manifestUrl}`,
    async () => {
      const load = await readSite(site)
      if (load.kind !== 'found') return { live: false, state: `${load.kind}: ${load.reason}` }
      if (load.manifest.buildId === site.buildId) return { live: true, state: `serving ${site.buildId}` }
      // The last one seen, should another deployment have gone live while this one was waiting.
      seen.siteBefore = load.manifest
      return { live: false, state: `serving ${load.manifest.buildId}` }
    },
    options,
  )
  return seen
}
