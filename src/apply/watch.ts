import { performance } from 'node:perf_hooks'
import type { Manifest } from '../core/manifest.js'
import { formatDuration } from '../shared/format.js'
import type { Incoming } from './incoming.js'
import type { VercelClient } from '../vercel/client.js'
import type { WaitOptions } from './poll.js'
import { readOtherManifest, waitForSite, type SiteWatch } from './site.js'
import { waitForProduction, type ProductionWaitOptions } from './production-wait.js'

/** How the flip is seen: through the API, through the production site, or not at all (the caller says it happened). */
export type Watch = 'api' | 'site' | 'none'

/**
 * Through the API whenever D's deployment is known (only the API tells a rolling release, during which the
 * site already serves D to some visitors; the site, when known, is still read for P), else through the site.
 * Undefined when nothing tells when D is live: nothing may be sent then.
 */
export function chooseWatch(input: {
  wait: boolean | undefined
  dryRun: boolean
  incoming: Incoming
  site: SiteWatch | undefined
  client: VercelClient | undefined
}): Watch | undefined {
  if (input.wait === false || input.dryRun) return 'none'
  if (input.incoming.deploymentId && input.client) return 'api'
  if (input.site) return 'site'
  return undefined
}

/** What was seen of the flip. */
export interface SeenFlip {
  /** The last other deployment the site served before the flip: P, when seen. */
  before: Manifest | undefined
  /** The last deployment other than D production was seen serving through the API: P, when seen. */
  productionBefore?: string
  /** Set when a rolling release toward D ended without it: the deployment production serves instead. */
  rolloutEndedOn?: string
  /** How the flip was seen, and how long the wait took; null without a wait. */
  waited: { on: string; ms: number } | null
}

/** Waits for the flip as `watch` says, saying when it is seen. Throws `NotLiveError` when it will not come. */
export async function awaitFlip(
  watch: Watch,
  input: { client: VercelClient | undefined; incoming: Incoming; site: SiteWatch | undefined } & Pick<ProductionWaitOptions, 'rolloutStarted' | 'deferRollout'>,
  options: WaitOptions,
  log: (line: string) => void,
): Promise<SeenFlip> {
  const { client, incoming, site } = input
  if (watch === 'none') return { before: site && (await readOtherManifest(site)), waited: null }
  const started = performance.now()
  let seen: Omit<SeenFlip, 'waited'>
  let on: string
  if (watch === 'api') {
    const id = incoming.deploymentId!
    seen = await waitForProduction(client!, id, { ...options, site, rolloutStarted: input.rolloutStarted, deferRollout: input.deferRollout })
    on = seen.rolloutEndedOn
      ? `production serves deployment ${seen.rolloutEndedOn}, the rolling release toward ${id} having ended without it`
      : `production serves deployment ${id}`
  } else {
    seen = { before: await waitForSite(site!, options) }
    on = site!.manifestUrl
  }
  const waited = { on, ms: Math.round(performance.now() - started) }
  log(`live: ${waited.on} after ${formatDuration(waited.ms)}`)
  return { ...seen, waited }
}
