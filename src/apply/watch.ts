import { performance } from 'node:perf_hooks'
import type { FlipObservation } from '../core/choose-previous.js'
import { formatDuration } from '../shared/format.js'
import type { VercelClient } from '../vercel/client.js'
import type { WaitOptions } from './poll.js'
import { readOtherManifest, waitForSite, type SiteWatch } from './site.js'
import { waitForProduction, type ProductionWaitOptions } from './production-wait.js'

/**
 * How the flip is seen, with what each way needs: through the API (D's deployment and a client), through the
 * production site, or not at all (the caller says it happened; the site, when known, is still read for P).
 */
export type Watch =
  | { by: 'api'; client: VercelClient; deploymentId: string; site: SiteWatch | undefined }
  | { by: 'site'; site: SiteWatch }
  | { by: 'none'; site: SiteWatch | undefined }

/**
 * Through the API whenever D's deployment is known and the API can be asked (only the API tells a rolling
 * release, during which the site already serves D to some visitors; the site, when known, is still read for
 * P), else through the site. Undefined when nothing tells when D is live: nothing may be sent then.
 */
export function watchKind(input: { wait: boolean | undefined; deploymentId: boolean; site: boolean; api: boolean }): Watch['by'] | undefined {
  if (input.wait === false) return 'none'
  if (input.deploymentId && input.api) return 'api'
  if (input.site) return 'site'
  return undefined
}

/** The watch `watchKind` picks, with what it needs; a dry run watches nothing. */
export function chooseWatch(input: {
  wait: boolean | undefined
  dryRun: boolean
  deploymentId: string | undefined
  site: SiteWatch | undefined
  client: VercelClient | undefined
}): Watch | undefined {
  const { site, client, deploymentId } = input
  if (input.dryRun) return { by: 'none', site }
  const kind = watchKind({ wait: input.wait, deploymentId: Boolean(deploymentId), site: Boolean(site), api: Boolean(client) })
  if (kind === 'api' && deploymentId && client) return { by: 'api', client, deploymentId, site }
  if (kind === 'site' && site) return { by: 'site', site }
  if (kind === 'none') return { by: 'none', site }
  return undefined
}

/** How the flip was seen, and how long the wait took; null without a wait. */
export type Waited = { on: string; ms: number } | null

/**
 * Waits for the flip as `watch` says, saying when it is seen: what was seen on the way, or why nothing is
 * sent now (a rolling release under way, with `deferRollout`). Throws `NotLiveError` when it will not come.
 */
export async function awaitFlip(
  watch: Watch,
  trigger: Pick<ProductionWaitOptions, 'rolloutSeen' | 'deferRollout'>,
  options: WaitOptions,
  log: (line: string) => void,
): Promise<{ seen: FlipObservation; waited: Waited } | { deferred: string }> {
  if (watch.by === 'none') return { seen: { siteBefore: watch.site && (await readOtherManifest(watch.site)), rolloutSeen: false }, waited: null }
  const started = performance.now()
  let seen: FlipObservation
  let on: string
  if (watch.by === 'api') {
    const id = watch.deploymentId
    const wait = await waitForProduction(watch.client, id, { ...options, site: watch.site, ...trigger })
    if ('deferred' in wait) return wait
    seen = wait.seen
    on = seen.rolloutEndedOn
      ? `production serves deployment ${seen.rolloutEndedOn}, the rolling release toward ${id} having ended without it`
      : `production serves deployment ${id}`
  } else {
    seen = await waitForSite(watch.site, options)
    on = watch.site.manifestUrl
  }
  const waited = { on, ms: Math.round(performance.now() - started) }
  log(`live: ${waited.on} after ${formatDuration(waited.ms)}`)
  return { seen, waited }
}
