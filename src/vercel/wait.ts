import { setTimeout as sleep } from 'node:timers/promises'
import type { Manifest } from '../core/manifest.js'
import { loadManifest } from '../manifest-source.js'
import { formatDuration } from '../format.js'
import { VercelApiError, type Deployment, type Project, type VercelClient } from './client.js'

export interface WaitOptions {
  /** Give up after this long. Default 10 minutes. */
  timeoutMs?: number
  /**
   * First pause between two polls; it grows by a fifth each time, up to `maxIntervalMs`. Short, because
   * every second between the flip and the invalidation is a second of stale images. Default 1 s.
   */
  intervalMs?: number
  /** Longest pause: the longest a flip can go unseen. Default 2 s. */
  maxIntervalMs?: number
  /** Told about each poll that was not yet live. */
  onPoll?: (state: string) => void
}

export const DEFAULT_WAIT_TIMEOUT_MS = 10 * 60_000
export const DEFAULT_POLL_INTERVAL_MS = 1_000

/** The deployment will not go live (it failed, was canceled, its domains could not be assigned, or the wait timed out). */
export class NotLiveError extends Error {
  override name = 'NotLiveError'
}

/**
 * Polls `check` until it says live, backing off between polls. Throws `NotLiveError` at the timeout, or
 * when `check` throws one.
 */
async function pollUntilLive(what: string, check: () => Promise<{ live: boolean; state: string }>, options: WaitOptions): Promise<void> {
  const timeout = options.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS
  const deadline = Date.now() + timeout
  let interval = options.intervalMs ?? DEFAULT_POLL_INTERVAL_MS
  const maxInterval = Math.max(interval, options.maxIntervalMs ?? 2_000)
  let last = 'not checked'
  for (;;) {
    const { live, state } = await check()
    if (live) return
    last = state
    options.onPoll?.(state)
    const left = deadline - Date.now()
    if (left <= 0) break
    await sleep(Math.min(interval, left))
    interval = Math.min(maxInterval, interval * 1.2)
  }
  throw new NotLiveError(`${what} was not live after ${formatDuration(timeout)} (last seen: ${last}); nothing was invalidated`)
}

/**
 * Waits until production serves deployment `id`: the project's `targets.production.id` is `id`. The
 * deployment's own `aliasAssigned` is not enough (it stays true once another deployment replaced it).
 * A deployment that ends in ERROR or CANCELED, or whose domains could not be assigned, ends the wait at once.
 *
 * With `site`, the site's manifest is read at each poll too, and the last one of another deployment is
 * returned: the deployment that was live just before the flip, even if others went live during the wait.
 */
export async function waitForProduction(client: VercelClient, id: string, options: WaitOptions & { site?: SiteWatch } = {}): Promise<Manifest | undefined> {
  let before: Manifest | undefined
  await pollUntilLive(`deployment ${id}`, async () => {
    let project: Project
    let deployment: Deployment
    try {
      ;[project, deployment] = await Promise.all([client.getProject(), client.getDeployment(id)])
    } catch (error) {
      if (error instanceof VercelApiError && error.isFatal) throw error
      return { live: false, state: (error as Error).message }
    }
    const { readyState, aliasError } = deployment
    if (readyState === 'ERROR' || readyState === 'CANCELED') throw new NotLiveError(`deployment ${id} ended in state ${readyState}; nothing was invalidated`)
    if (aliasError) throw new NotLiveError(`deployment ${id} could not be given the production domains (${aliasError}); nothing was invalidated`)
    const serving = project.productionDeploymentId
    if (serving !== id && options.site) before = (await readOtherManifest(options.site)) ?? before
    return { live: serving === id, state: `${readyState}, production serves ${serving ?? 'nothing known'}` }
  }, options)
  return before
}

/** The production site's manifest, and the build the wait is for. */
export interface SiteWatch {
  manifestUrl: string
  buildId: string
  /** Sent with every request (protection bypass). */
  headers?: Record<string, string>
}

/** The manifest at `manifestUrl` when it is not `buildId`'s; undefined otherwise or when it cannot be read. */
export async function readOtherManifest(site: SiteWatch): Promise<Manifest | undefined> {
  const load = await loadManifest(site.manifestUrl, { fresh: true, headers: site.headers })
  return load.kind === 'found' && load.manifest.buildId !== site.buildId ? load.manifest : undefined
}

/**
 * Waits until the production site serves a manifest with `buildId`: the new deployment is then the one
 * visitors get. Each poll asks past caches (a cache-busting query and `cache-control: no-cache`).
 * Resolves with the last other manifest it saw the site serve, if any: the deployment that was live
 * just before the flip.
 */
export async function waitForSite(site: SiteWatch, options: WaitOptions = {}): Promise<Manifest | undefined> {
  let before: Manifest | undefined
  await pollUntilLive(`the site (${site.manifestUrl})`, async () => {
    const load = await loadManifest(site.manifestUrl, { fresh: true, headers: site.headers })
    if (load.kind !== 'found') return { live: false, state: `${load.kind}: ${load.reason}` }
    if (load.manifest.buildId === site.buildId) return { live: true, state: `serving ${site.buildId}` }
    // The last one seen, should another deployment have gone live while this one was waiting.
    before = load.manifest
    return { live: false, state: `serving ${load.manifest.buildId}` }
  }, options)
  return before
}
