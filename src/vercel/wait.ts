import { setTimeout as sleep } from 'node:timers/promises'
import { loadManifest } from '../manifest-source.js'
import { formatDuration } from '../format.js'
import { VercelApiError, type VercelClient } from './client.js'

export interface WaitOptions {
  /** Give up after this long. Default 10 minutes. */
  timeoutMs?: number
  /** First pause between two polls; it grows by half each time, up to `maxIntervalMs`. */
  intervalMs?: number
  maxIntervalMs?: number
  /** Told about each poll that was not yet live. */
  onPoll?: (state: string) => void
}

export const DEFAULT_WAIT_TIMEOUT_MS = 10 * 60_000

/** The deployment will not go live (it failed, was canceled, or the wait timed out). */
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
  let interval = options.intervalMs ?? 2_000
  const maxInterval = options.maxIntervalMs ?? 15_000
  let last = 'not checked'
  for (;;) {
    const { live, state } = await check()
    if (live) return
    last = state
    options.onPoll?.(state)
    const left = deadline - Date.now()
    if (left <= 0) break
    await sleep(Math.min(interval, left))
    interval = Math.min(maxInterval, interval * 1.5)
  }
  throw new NotLiveError(`${what} was not live after ${formatDuration(timeout)} (last seen: ${last}); nothing was invalidated`)
}

/** Waits until `GET /v13/deployments/{idOrUrl}` says READY with its aliases assigned. */
export function waitForDeployment(client: VercelClient, idOrUrl: string, options: WaitOptions = {}): Promise<void> {
  return pollUntilLive(`deployment ${idOrUrl}`, async () => {
    let deployment
    try {
      deployment = await client.getDeployment(idOrUrl)
    } catch (error) {
      if (error instanceof VercelApiError && error.isFatal) throw error
      return { live: false, state: (error as Error).message }
    }
    const { readyState, aliasAssigned } = deployment
    if (readyState === 'ERROR' || readyState === 'CANCELED') {
      throw new NotLiveError(`deployment ${idOrUrl} ended in state ${readyState}; nothing was invalidated`)
    }
    return { live: readyState === 'READY' && aliasAssigned, state: `${readyState}${aliasAssigned ? '' : ', alias not assigned'}` }
  }, options)
}

/**
 * Waits until the production site serves a manifest with `buildId`: the new deployment is then the one
 * visitors get. Each poll asks past caches (a cache-busting query and `cache-control: no-cache`).
 */
export function waitForSite(manifestUrl: string, buildId: string, options: WaitOptions & { headers?: Record<string, string> } = {}): Promise<void> {
  return pollUntilLive(`the site (${manifestUrl})`, async () => {
    const load = await loadManifest(manifestUrl, { fresh: true, headers: options.headers })
    if (load.kind === 'found') return { live: load.manifest.buildId === buildId, state: `serving ${load.manifest.buildId}` }
    return { live: false, state: `${load.kind}: ${load.reason}` }
  }, options)
}
