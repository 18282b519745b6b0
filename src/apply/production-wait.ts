import type { FlipObservation } from '../core/choose-previous.js'
import { NotLiveError, pollUntilLive, type PollResult, type WaitOptions } from './poll.js'
import { readOtherManifest, type SiteWatch } from './site.js'
import { VercelApiError, VercelResponseError, type Deployment, type Project, type VercelClient } from '../vercel/client.js'

/** `readyState` values after which a deployment never goes live. QUEUED, INITIALIZING, BUILDING and READY are waited on. */
const FINAL_STATES = new Set(['ERROR', 'CANCELED', 'BLOCKED'])
const KNOWN_STATES = new Set([...FINAL_STATES, 'QUEUED', 'INITIALIZING', 'BUILDING', 'READY'])

/** Consecutive answers that are not the JSON the endpoint documents after which the wait ends: one can be a proxy's hiccup. */
const BROKEN_ANSWERS_TOLERATED = 3

/**
 * How a wait for production ended: the flip, with what was seen on the way (a rolling release that ended
 * without the deployment sets `rolloutEndedOn`: it served some visitors meanwhile, so the caller invalidates
 * what differs between the two); or, with `deferRollout`, a rolling release under way and why nothing is sent now.
 */
export type ProductionWait = { seen: FlipObservation } | { deferred: string }

export interface ProductionWaitOptions extends WaitOptions {
  site?: SiteWatch
  /** A rolling release toward the deployment is known to have started (and may already have ended). */
  rolloutSeen?: boolean
  /** End the wait with `deferred` on seeing a rolling release toward the deployment, instead of waiting for its end. */
  deferRollout?: boolean
}

/** Where production stands for the flip to one deployment, from the project and that deployment. */
export type FlipStage = 'live' | 'rolling' | 'rollout-ended' | 'staged' | 'waiting'

/**
 * Reads the flip to deployment `id` off what the API says. A rolling release is seen either way Vercel may
 * show it: the deployment's own `readySubstate` ROLLING, or `targets.production` being it with ROLLING. The
 * flip is complete when production is `id` and neither says ROLLING; a rollout that was seen ends without
 * `id` when production is another deployment and nothing rolls any more.
 */
export function flipStage(id: string, deployment: Pick<Deployment, 'readySubstate'>, production: Project['production'], rolloutSeen: boolean): FlipStage {
  const rolling = deployment.readySubstate === 'ROLLING' || (production?.id === id && production.readySubstate === 'ROLLING')
  if (rolling) return 'rolling'
  if (production?.id === id) return production.readySubstate === 'STAGED' ? 'staged' : 'live'
  if (rolloutSeen && production && production.readySubstate !== 'ROLLING') return 'rollout-ended'
  return 'waiting'
}

/**
 * Waits until the flip to deployment `id` is complete (see `flipStage`): while a rolling release moves
 * traffic, both deployments serve visitors and fill the same image cache, so an invalidation sent then
 * would be undone. The deployment's own `aliasAssigned` is not enough (it stays true once another deployment
 * replaced it). A deployment that ends in ERROR, CANCELED or BLOCKED, that is gone, or whose domains could
 * not be assigned ends the wait at once.
 *
 * With `site`, the site's manifest is read at each poll too, and the last one of another deployment is
 * kept: the deployment that was live just before the flip, even if others went live during the wait.
 */
export async function waitForProduction(client: VercelClient, id: string, options: ProductionWaitOptions = {}): Promise<ProductionWait> {
  const seen: FlipObservation = { rolloutSeen: options.rolloutSeen ?? false }
  const read = createFlipReader(client, id)
  const last = await pollUntilLive(
    `deployment ${id}`,
    async () => {
      const state = await read()
      if ('unreadable' in state) return { live: false, state: state.unreadable }
      const { deployment, production } = state
      const stage = flipStage(id, deployment, production, seen.rolloutSeen)
      if (stage === 'live') return { live: true, state: 'live' }
      if (stage === 'rollout-ended' && production) {
        seen.rolloutEndedOn = production.id
        return { live: true, state: `the rolling release ended on ${production.id}` }
      }
      if (deployment.aliasError) {
        const message = `deployment ${id} could not be given the production domains (${deployment.aliasError}); nothing was invalidated`
        throw new NotLiveError('IMAGE_INVALIDATE_ALIAS_ERROR', message)
      }
      if (stage === 'rolling') {
        seen.rolloutSeen = true
        if (options.deferRollout) {
          const deferred = `a rolling release toward ${id} is moving traffic: its set is sent when it completes (project.rolling-release.completed)`
          return { live: false, state: 'rolling', deferred }
        }
      }
      if (production && production.id !== id && production.readySubstate !== 'ROLLING') seen.productionBefore = production.id
      if (options.site) seen.siteBefore = (await readOtherManifest(options.site)) ?? seen.siteBefore
      return describeWaiting(id, deployment.readyState, production, stage, seen.rolloutSeen)
    },
    options,
  )
  return last.deferred ? { deferred: last.deferred } : { seen }
}

type FlipState = { deployment: Deployment; production: Project['production'] } | { unreadable: string }

/**
 * Reads the deployment and what production serves, together. Throws `NotLiveError` for what ends the wait
 * (a final state, a deployment that is gone) and errors that will not mend by polling; a few broken answers
 * in a row are waited out, more end the wait.
 */
function createFlipReader(client: VercelClient, id: string): () => Promise<FlipState> {
  let broken = 0
  return async () => {
    try {
      const [project, deployment] = await Promise.all([client.getProject(), readDeployment(client, id)])
      broken = 0
      if (FINAL_STATES.has(deployment.readyState)) throw endedIn(id, deployment.readyState)
      return { deployment, production: project.production }
    } catch (error) {
      if (error instanceof VercelResponseError && ++broken < BROKEN_ANSWERS_TOLERATED) return { unreadable: error.message }
      if (error instanceof NotLiveError || error instanceof VercelResponseError) throw error
      if (error instanceof VercelApiError && error.isFatal) throw error
      return { unreadable: (error as Error).message }
    }
  }
}

/** The deployment, or `NotLiveError` when Vercel says it is gone (404, 410). */
async function readDeployment(client: VercelClient, id: string): Promise<Deployment> {
  try {
    return await client.getDeployment(id)
  } catch (error) {
    if (error instanceof VercelApiError && error.status === 410)
      throw new NotLiveError('IMAGE_INVALIDATE_DEPLOYMENT_GONE', `deployment ${id} is gone (410): it was deleted; nothing was invalidated`)
    if (error instanceof VercelApiError && error.status === 404) {
      throw new NotLiveError(
        'IMAGE_INVALIDATE_DEPLOYMENT_GONE',
        `Vercel knows no deployment ${id} (404): it was deleted, or it belongs to a team other than the one configured (VERCEL_TEAM_ID, --team); nothing was invalidated`,
      )
    }
    throw error
  }
}

/** A deployment in a state after which it never goes live. */
function endedIn(id: string, readyState: string): NotLiveError {
  return new NotLiveError('IMAGE_INVALIDATE_DEPLOYMENT_FAILED', `deployment ${id} ended in state ${readyState}; nothing was invalidated`)
}

/**
 * Waits until deployment `id` is READY, for a caller that needs what it serves: a deployment still being
 * built serves nothing yet. ERROR, CANCELED, BLOCKED and a deployment that is gone end the wait at once.
 */
export async function waitForReady(client: VercelClient, id: string, options: WaitOptions = {}): Promise<void> {
  await pollUntilLive(
    `deployment ${id}`,
    async () => {
      const { readyState } = await readDeployment(client, id)
      if (FINAL_STATES.has(readyState)) throw endedIn(id, readyState)
      return { live: readyState === 'READY', state: `${describeState(readyState)}, not built yet` }
    },
    options,
  )
}

/** The poll line while the flip to `id` is not complete, and the advice should the wait time out there. */
function describeWaiting(id: string, readyState: string, production: Project['production'], stage: FlipStage, rolloutSeen: boolean): PollResult {
  const state = describeState(readyState)
  if (stage === 'rolling') {
    return {
      live: false,
      state: `${state}, a rolling release toward ${id} is moving traffic: both deployments serve visitors`,
      timeoutAdvice:
        `The rolling release toward ${id} was still moving traffic: run apply again with a --timeout longer than the rollout, ` +
        `or let the webhook act on project.rolling-release.completed`,
    }
  }
  if (stage === 'staged') return { live: false, state: `${state}, staged for production but not promoted` }
  return {
    live: false,
    state: `${state}, production serves ${production?.id ?? 'nothing known'}${rolloutSeen ? ' (the rolling release toward it is ending)' : ''}`,
  }
}

function describeState(readyState: string): string {
  return KNOWN_STATES.has(readyState) ? readyState : `${readyState} (a state this package does not know; waiting)`
}
