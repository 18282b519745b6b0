// The choice of P, the deployment production served before the flip to D: which of the clues the trigger
// and the watch gathered wins, in one place. Pure: what needs the network (a manifest, the project's last
// promotion) is asked for as a step, fetched by the caller, and handed back in `lookups`.
import type { PreviousVia } from '../types.js'
import type { Manifest } from './manifest.js'

/** What the watch saw of the flip to D, filled alike by the API watcher and the site watcher. */
export interface FlipObservation {
  /** The last manifest of a deployment other than D that the production site served before the flip. */
  siteBefore?: Manifest
  /** The last deployment other than D that the API showed production serving, no rollout moving traffic. */
  productionBefore?: string
  /** A rolling release toward D was seen moving traffic, or the trigger said one had started. */
  rolloutSeen: boolean
  /** A rolling release toward D ended without it: the deployment production serves instead. */
  rolloutEndedOn?: string
}

/** How a trigger can name P itself. */
export type GivenVia = Extract<PreviousVia, 'from' | 'rollback-event' | 'rolling-release-event'>

/** P as the trigger named it: `--from`, a rollback event's `fromDeploymentId`, a rolling release's base. */
export interface GivenPrevious {
  /** A deployment id, a deployment or site URL, or a manifest file. */
  name: string
  via: GivenVia
}

/** Everything known of the flip to D when P is chosen. */
export interface PreviousClues {
  /** D's deployment id, when known: what the project's last promotion must have led to. */
  deploymentId: string | undefined
  /** D's build id, to name D in lines when its deployment id is not known. */
  buildId: string
  given: GivenPrevious | undefined
  seen: FlipObservation
  /** A production site was watched or read: when it showed no other deployment, it was seen serving D. */
  siteKnown: boolean
  /** The API can be asked (a token and a project). */
  apiKnown: boolean
}

/** The project's last promotion or rollback, as `GET /v9/projects/{idOrName}` gives it (`lastAliasRequest`). */
export interface LastAliasRequest {
  fromDeploymentId: string | undefined
  toDeploymentId: string
  /** `pending`, `in-progress`, `succeeded`, `failed` or `skipped`. */
  jobStatus: string | undefined
}

/** What a fetch gave: the value, or why it could not be had. */
export type Outcome<T> = { value: T } | { failed: string }

/** The sources of P whose manifest must be fetched. */
export type ManifestSource = 'rollout-base' | 'given' | 'production-before' | 'last-alias-request'

/** What the caller fetched so far at `choosePrevious`'s request. */
export interface PreviousLookups {
  manifests: Partial<Record<ManifestSource, Outcome<Manifest>>>
  /** The project's last promotion or rollback; `value` undefined when the project has none. */
  lastAliasRequest?: Outcome<LastAliasRequest | undefined>
}

/** P, found: where from, and its manifest; or the build-time plan, and why no P was found. */
export type PreviousDecision = ({ via: Exclude<PreviousVia, 'build-plan'>; manifest: Manifest } | { via: 'build-plan'; why: string }) & {
  /** Lines to show beside the decision (a rolling release that ended without D, a manifest that could not be read). */
  notes: string[]
}

/**
 * What `choosePrevious` needs next: a manifest (`name` is what `--from` or the event said for `given`, a
 * deployment id otherwise), the project's last promotion, or nothing: the decision.
 */
export type PreviousStep = { need: 'manifest'; source: ManifestSource; name: string } | { need: 'last-alias-request' } | { decided: PreviousDecision }

/** Each way P is found, for people (the report's `viaText`, the lines). */
export const PREVIOUS_VIA_TEXT: Record<PreviousVia, string> = {
  'rollout-base': 'production after the rolling release ended',
  from: '--from',
  'rollback-event': 'the rollback event',
  'rolling-release-event': 'the rolling release event',
  'site-before': 'the production site before the flip',
  'production-before': 'production before the flip',
  'last-alias-request': 'lastAliasRequest',
  'build-plan': 'the build-time plan',
}

/**
 * P, in this order: the deployment production went back to after a rolling release toward D ended without
 * D (D served some visitors meanwhile, so the set is what differs between the two, whatever else is known);
 * what the trigger named (`--from`, the event); what the site served before the flip (it is what visitors
 * got, so it wins when the API showed another deployment); what the API showed production serving before
 * the flip; the project's `lastAliasRequest` when it led to D and succeeded or is under way. When none gives
 * a manifest, the build-time plan, and why. A named P that cannot be read falls back to the build-time plan
 * at once rather than to a guess: the caller said what P is.
 *
 * Called again with each fetch it asked for added to `lookups`, until it decides.
 */
export function choosePrevious(clues: PreviousClues, lookups: PreviousLookups): PreviousStep {
  const notes: string[] = []
  const decided = (via: Exclude<PreviousVia, 'build-plan'>, manifest: Manifest): PreviousStep => ({ decided: { via, manifest, notes } })
  const fallBack = (why: string): PreviousStep => ({ decided: { via: 'build-plan', why, notes } })
  const d = clues.deploymentId ?? clues.buildId
  const { seen, given } = clues

  const endedOn = seen.rolloutEndedOn
  if (endedOn) {
    notes.push(
      `the rolling release toward ${d} ended without it: production serves ${endedOn}; ${d} served some visitors meanwhile, so what differs between the two is invalidated now`,
    )
    const base = lookups.manifests['rollout-base']
    if (!base) return { need: 'manifest', source: 'rollout-base', name: endedOn }
    if ('value' in base) return decided('rollout-base', base.value)
    notes.push(`the manifest of ${endedOn} could not be read: ${base.failed}`)
  }

  if (given) {
    const named = lookups.manifests.given
    if (!named) return { need: 'manifest', source: 'given', name: given.name }
    if ('value' in named) return decided(given.via, named.value)
    return fallBack(`${describeGiven(given)}: ${named.failed}`)
  }

  if (seen.siteBefore) return decided('site-before', seen.siteBefore)

  if (seen.productionBefore) {
    const before = lookups.manifests['production-before']
    if (!before) return { need: 'manifest', source: 'production-before', name: seen.productionBefore }
    if ('value' in before) return decided('production-before', before.value)
    return fallBack(`production served ${seen.productionBefore} before the flip, and its manifest could not be read: ${before.failed}`)
  }

  // Said as what was missing, not as what was not seen: a site never configured was not "not seen".
  const unseen = `no --from; ${clues.siteKnown ? 'the site was not seen serving another deployment' : 'no site was watched: --site or IMAGE_INVALIDATE_SITE_URL'}`
  if (!clues.apiKnown) return fallBack(`${unseen}; no Vercel token and project to read the project's last promotion`)
  if (!clues.deploymentId) return fallBack(`${unseen}; ${d} is no deployment id, so the project's last promotion cannot be matched with it`)
  const read = lookups.lastAliasRequest
  if (!read) return { need: 'last-alias-request' }
  if ('failed' in read) return fallBack(`${unseen}; ${read.failed}`)
  const from = previousOfAliasRequest(read.value, clues.deploymentId)
  if ('why' in from) return fallBack(`${unseen}; the project's last promotion or rollback ${from.why}`)
  const last = lookups.manifests['last-alias-request']
  if (!last) return { need: 'manifest', source: 'last-alias-request', name: from.deploymentId }
  if ('value' in last) return decided('last-alias-request', last.value)
  return fallBack(`${unseen}; the project's last promotion came from ${from.deploymentId}, whose manifest could not be read: ${last.failed}`)
}

/** How a trigger's P is named in a line. */
function describeGiven(given: GivenPrevious): string {
  if (given.via === 'rollback-event') return `the rollback event's fromDeploymentId ${given.name}`
  if (given.via === 'rolling-release-event') return `the rolling release's base ${given.name}`
  return `--from ${given.name}`
}

/**
 * The deployment `lastAliasRequest` came from, when it names the one live before D: it must lead to D, name
 * where it came from, and have succeeded or be under way (a failed or skipped promotion did not make D
 * live). Otherwise why not.
 */
function previousOfAliasRequest(request: LastAliasRequest | undefined, deploymentId: string): { deploymentId: string } | { why: string } {
  if (request?.toDeploymentId !== deploymentId) return { why: `did not lead to ${deploymentId}` }
  if (request.jobStatus !== 'succeeded' && request.jobStatus !== 'in-progress')
    return { why: `toward ${deploymentId} has jobStatus ${request.jobStatus ?? 'unknown'}, not succeeded or in-progress` }
  if (!request.fromDeploymentId) return { why: `toward ${deploymentId} names no deployment it came from` }
  return { deploymentId: request.fromDeploymentId }
}
