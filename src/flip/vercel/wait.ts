import { setTimeout as sleep } from 'node:timers/promises'
import type { Manifest } from '../../core/manifest.js'
import { loadManifest } from '../../shared/load-manifest.js'
import { formatDuration } from '../../shared/format.js'
import { VercelApiError, VercelResponseError, type Deployment, type VercelClient } from './client.js'

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

/** What one poll saw: live or not, the state for the poll line, and what to advise should the wait time out on it. */
interface PollResult {
  live: boolean
  state: string
  timeoutAdvice?: string
}

/**
 * Polls `check` until it says live, backing off between polls. Throws `NotLiveError` at the timeout, or
 * when `check` throws one.
 */
async function pollUntilLive(what: string, check: () => Promise<PollResult>, options: WaitOptions): Promise<void> {
  const timeout = options.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS
  const deadline = Date.now() + timeout
  let interval = options.intervalMs ?? DEFAULT_POLL_INTERVAL_MS
  const maxInterval = Math.max(interval, options.maxIntervalMs ?? 2_000)
  let last: PollResult = { live: false, state: 'not checked' }
  for (;;) {
    last = await check()
    if (last.live) return
    options.onPoll?.(last.state)
    const left = deadline - Date.now()
    if (left <= 0) break
    await sleep(Math.min(interval, left))
    interval = Math.min(maxInterval, interval * 1.2)
  }
  const advice = last.timeoutAdvice ? `. ${last.timeoutAdvice}` : ''
  throw new NotLiveError(`${what} was not live after ${formatDuration(timeout)} (last seen: ${last.state}); nothing was invalidated${advice}`)
}

/** `readyState` values after which a deployment never goes live. QUEUED, INITIALIZING, BUILDING and READY are waited on. */
const FINAL_STATES = new Set(['ERROR', 'CANCELED', 'BLOCKED'])

/** How a wait for production ended. */
export interface ProductionWait {
  /** The last manifest of another deployment the site served during the wait: the deployment live before. */
  before: Manifest | undefined
  /**
   * Set when a rolling release toward the deployment ended without it (aborted, or overtaken): the deployment
   * production serves instead. The deployment served some visitors meanwhile, so the caller invalidates what
   * differs between the two.
   */
  rolloutEndedOn?: string
}

export interface ProductionWaitOptions extends WaitOptions {
  site?: SiteWatch
  /** A rolling release toward the deployment is known to have started (and may already have been aborted). */
  rolloutStarted?: boolean
}

/**
 * Waits until the flip to deployment `id` is complete: the project's `targets.production` is `id`, and no
 * rolling release toward it is still moving traffic (`readySubstate` is not ROLLING; while it is, both
 * deployments serve visitors and fill the same image cache, so an invalidation sent then would be undone).
 * The deployment's own `aliasAssigned` is not enough (it stays true once another deployment replaced it).
 * A deployment that ends in ERROR, CANCELED or BLOCKED, that is gone, or whose domains could not be
 * assigned ends the wait at once.
 *
 * With `site`, the site's manifest is read at each poll too, and the last one of another deployment is
 * returned: the deployment that was live just before the flip, even if others went live during the wait.
 */
export async function waitForProduction(client: VercelClient, id: string, options: ProductionWaitOptions = {}): Promise<ProductionWait> {
  const result: ProductionWait = { before: undefined }
  let rolling = options.rolloutStarted ?? false
  await pollUntilLive(`deployment ${id}`, async () => {
    const seen = await readFlipState(client, id)
    if ('unreadable' in seen) return { live: false, state: seen.unreadable }
    const { deployment, production } = seen
    const substate = production?.readySubstate
    if (production?.id === id && substate === 'ROLLING') rolling = true
    else if (production?.id === id && substate !== 'STAGED') return { live: true, state: 'live' }
    else if (rolling && production && substate !== 'ROLLING') {
      result.rolloutEndedOn = production.id
      return { live: true, state: `the rolling release ended on ${production.id}` }
    }
    if (options.site) result.before = (await readOtherManifest(options.site)) ?? result.before
    return describeWaiting(id, deployment.readyState, production, rolling)
  }, options)
  return result
}

type FlipState = { deployment: Deployment; production: { id: string; readySubstate: string | undefined } | undefined } | { unreadable: string }

/**
 * The deployment and what production serves, read together. Throws `NotLiveError` for what ends the wait
 * (a final state, an alias error, a deployment that is gone) and any error that will not mend by polling.
 */
async function readFlipState(client: VercelClient, id: string): Promise<FlipState> {
  try {
    const [project, deployment] = await Promise.all([client.getProject(), readDeployment(client, id)])
    if (FINAL_STATES.has(deployment.readyState)) throw new NotLiveError(`deployment ${id} ended in state ${deployment.readyState}; nothing was invalidated`)
    if (deployment.aliasError) throw new NotLiveError(`deployment ${id} could not be given the production domains (${deployment.aliasError}); nothing was invalidated`)
    return { deployment, production: project.production }
  } catch (error) {
    if (error instanceof NotLiveError || error instanceof VercelResponseError) throw error
    if (error instanceof VercelApiError && error.isFatal) throw error
    return { unreadable: (error as Error).message }
  }
}

/** The deployment, or `NotLiveError` when Vercel says it is gone (404, 410). */
async function readDeployment(client: VercelClient, id: string): Promise<Deployment> {
  try {
    return await client.getDeployment(id)
  } catch (error) {
    if (error instanceof VercelApiError && error.status === 410) throw new NotLiveError(`deployment ${id} is gone (410): it was deleted; nothing was invalidated`)
    if (error instanceof VercelApiError && error.status === 404) {
      throw new NotLiveError(`Vercel knows no deployment ${id} (404): it was deleted, or it belongs to a team other than VERCEL_TEAM_ID; nothing was invalidated`)
    }
    throw error
  }
}

/** The poll line while the flip to `id` is not complete, and the advice should the wait time out there. */
function describeWaiting(id: string, readyState: string, production: { id: string; readySubstate: string | undefined } | undefined, rolling: boolean): PollResult {
  const known = FINAL_STATES.has(readyState) || ['QUEUED', 'INITIALIZING', 'BUILDING', 'READY'].includes(readyState)
  const state = known ? readyState : `${readyState} (a state this package does not know; waiting)`
  if (production?.id === id && production.readySubstate === 'ROLLING') {
    return {
      live: false,
      state: `${state}, a rolling release toward ${id} is moving traffic: both deployments serve visitors`,
      timeoutAdvice:
        `The rolling release toward ${id} was still moving traffic: run apply again with a --timeout longer than the rollout, ` +
        `or let the webhook act on project.rolling-release.completed`,
    }
  }
  if (production?.id === id) return { live: false, state: `${state}, staged for production but not promoted` }
  return { live: false, state: `${state}, production serves ${production?.id ?? 'nothing known'}${rolling ? ' (the rolling release toward it is ending)' : ''}` }
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
