import type { Manifest } from '../core/manifest.js'
import { NotLiveError, pollUntilLive, type PollResult, type WaitOptions } from './poll.js'
import { readOtherManifest, type SiteWatch } from './site.js'
import { VercelApiError, VercelResponseError, type Deployment, type Project, type VercelClient } from '../vercel/client.js'

/** `readyState` values after which a deployment never goes live. QUEUED, INITIALIZING, BUILDING and READY are waited on. */
const FINAL_STATES = new Set(['ERROR', 'CANCELED', 'BLOCKED'])
const KNOWN_STATES = new Set([...FINAL_STATES, 'QUEUED', 'INITIALIZING', 'BUILDING', 'READY'])

/** Consecutive answers that are not the JSON the endpoint documents after which the wait ends: one can be a proxy's hiccup. */
const BROKEN_ANSWERS_TOLERATED = 3

/** A rolling release toward the deployment is moving traffic, and the caller asked not to wait for its end. */
export class RolloutUnderWayError extends Error {
  override name = 'RolloutUnderWayError'
}

/** How a wait for production ended. */
export interface ProductionWait {
  /** The last manifest of another deployment the site served during the wait: the deployment live before. */
  before: Manifest | undefined
  /** The last deployment other than this one that production was seen serving through the API. */
  productionBefore?: string
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
  /** Throw `RolloutUnderWayError` on seeing a rolling release toward the deployment, instead of waiting for its end. */
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
export function flipStage(id: string, deployment: Pick<Deployment, 'readySubstate'>, production: Project['production'], rollingSeen: boolean): FlipStage {
  const rolling = deployment.readySubstate === 'ROLLING' || (production?.id === id && production.readySubstate === 'ROLLING')
  if (rolling) return 'rolling'
  if (production?.id === id) return production.readySubstate === 'STAGED' ? 'staged' : 'live'
  if (rollingSeen && production && production.readySubstate !== 'ROLLING') return 'rollout-ended'
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
 * returned: the deployment that was live just before the flip, even if others went live during the wait.
 */
export async function waitForProduction(client: VercelClient, id: string, options: ProductionWaitOptions = {}): Promise<ProductionWait> {
  const result: ProductionWait = { before: undefined }
  let rollingSeen = options.rolloutStarted ?? false
  const read = createFlipReader(client, id)
  await pollUntilLive(
    `deployment ${id}`,
    async () => {
      const seen = await read()
      if ('unreadable' in seen) return { live: false, state: seen.unreadable }
      const { deployment, production } = seen
      const stage = flipStage(id, deployment, production, rollingSeen)
      if (stage === 'live') return { live: true, state: 'live' }
      if (stage === 'rollout-ended') {
        result.rolloutEndedOn = production!.id
        return { live: true, state: `the rolling release ended on ${production!.id}` }
      }
      if (deployment.aliasError)
        throw new NotLiveError(`deployment ${id} could not be given the production domains (${deployment.aliasError}); nothing was invalidated`)
      if (stage === 'rolling') {
        rollingSeen = true
        if (options.deferRollout)
          throw new RolloutUnderWayError(
            `a rolling release toward ${id} is moving traffic: its set is sent when it completes (project.rolling-release.completed)`,
          )
      }
      if (production && production.id !== id && production.readySubstate !== 'ROLLING') result.productionBefore = production.id
      if (options.site) result.before = (await readOtherManifest(options.site)) ?? result.before
      return describeWaiting(id, deployment.readyState, production, stage, rollingSeen)
    },
    options,
  )
  return result
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
      if (FINAL_STATES.has(deployment.readyState)) throw new NotLiveError(`deployment ${id} ended in state ${deployment.readyState}; nothing was invalidated`)
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
      throw new NotLiveError(`deployment ${id} is gone (410): it was deleted; nothing was invalidated`)
    if (error instanceof VercelApiError && error.status === 404) {
      throw new NotLiveError(
        `Vercel knows no deployment ${id} (404): it was deleted, or it belongs to a team other than the one configured (VERCEL_TEAM_ID, --team); nothing was invalidated`,
      )
    }
    throw error
  }
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
      if (FINAL_STATES.has(readyState)) throw new NotLiveError(`deployment ${id} ended in state ${readyState}; nothing was invalidated`)
      return { live: readyState === 'READY', state: `${describeState(readyState)}, not built yet` }
    },
    options,
  )
}

/** The poll line while the flip to `id` is not complete, and the advice should the wait time out there. */
function describeWaiting(id: string, readyState: string, production: Project['production'], stage: FlipStage, rollingSeen: boolean): PollResult {
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
    state: `${state}, production serves ${production?.id ?? 'nothing known'}${rollingSeen ? ' (the rolling release toward it is ending)' : ''}`,
  }
}

function describeState(readyState: string): string {
  return KNOWN_STATES.has(readyState) ? readyState : `${readyState} (a state this package does not know; waiting)`
}
