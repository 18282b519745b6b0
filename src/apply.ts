import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { planFlip } from './core/flip.js'
import { MANIFEST_FILE_NAME, type Manifest } from './core/manifest.js'
import { batchCount } from './core/plan.js'
import { countOf, formatDuration, redactor } from './format.js'
import { loadManifest } from './manifest-source.js'
import { DEFAULT_PLAN_FILE, isUrl, readFlag, resolveSiteUrl, resolveVercelTarget } from './options.js'
import { loadDeploymentManifest, loadNamedManifest, type ManifestFetch, type PreviousDeployment, type PreviousVia } from './previous.js'
import type { ApplyOptions } from './types.js'
import { invalidateInBatches, type BatchRecord, type FailedImage } from './vercel/batches.js'
import { VercelClient, type AliasRequest } from './vercel/client.js'
import { readOtherManifest, waitForProduction, waitForSite, type SiteWatch, type WaitOptions } from './vercel/wait.js'

export interface ApplyReport {
  /** True when every source image of the flip was invalidated, or there was nothing to do. */
  ok: boolean
  dryRun: boolean
  /** The deployment now live (D): where its manifest came from, its build, and its build-time baseline. */
  plan: { source: string; buildId: string; baseline: string | null } | null
  /**
   * The deployment live before the flip (P), how it was found, and its build; `buildId` is the build-time
   * baseline when P could not be determined and the build-time plan was used instead.
   */
  previous: { via: PreviousVia; buildId: string | null } | null
  /** The source images of the flip: changed, removed or added between P and D. */
  planned: string[]
  invalidated: string[]
  failed: FailedImage[]
  /** Every invalidation call, in the order they ended. */
  calls: BatchRecord[]
  /** Requests retried after 429, 5xx, a timeout or a reset. */
  retried: number
  /** How the flip was seen, and how long the wait took. */
  waited: { on: string; ms: number } | null
  /** What stopped the run before or during the calls, in one sentence. */
  error?: string
  /** Set when the caller must say more (the CLI exits 2): nothing tells when the deployment is live. */
  usage?: true
}

/**
 * Phase 2, at a production flip: load the manifest of the deployment going live (D), wait until production
 * serves it, find the deployment that was live before (P), and invalidate what changed, went or appeared
 * between P and D, in calls of at most 8. Nothing is sent before the flip has been seen, unless `wait` is
 * false. Never throws for an expected failure: everything is in the report.
 */
export async function apply(options: ApplyOptions = {}): Promise<ApplyReport> {
  return applyFlip(options, {})
}

/** What a trigger knows of the flip beyond the options (the webhook's rolling-release events). */
export interface FlipContext {
  /** A rolling release toward the deployment was aborted: invalidate once production serves another one. */
  rolloutAborted?: boolean
}

/** `apply`, told more about the flip by the trigger that started it. */
export async function applyFlip(options: ApplyOptions, flip: FlipContext): Promise<ApplyReport> {
  const env = options.env ?? process.env
  const root = path.resolve(options.root ?? process.cwd())
  const bypass = env.VERCEL_AUTOMATION_BYPASS_SECRET?.trim()
  const headers: Record<string, string> = bypass ? { 'x-vercel-protection-bypass': bypass } : {}
  const scrub = redactor([options.token, env.VERCEL_TOKEN, bypass])
  const log = (line: string) => options.log?.(scrub(line))
  const warnings: string[] = []
  const dryRun = options.dryRun ?? readFlag(env, 'IMAGE_INVALIDATE_DRY_RUN', warnings) ?? false
  const siteUrl = resolveSiteUrl(options.siteUrl ?? env.IMAGE_INVALIDATE_SITE_URL, env, warnings)
  warnings.forEach((warning) => log(`warning: ${warning}`))
  const report: ApplyReport = { ok: false, dryRun, plan: null, previous: null, planned: [], invalidated: [], failed: [], calls: [], retried: 0, waited: null }
  const finish = (error?: string): ApplyReport => {
    if (error) report.error = error
    report.ok = !report.error && report.failed.length === 0 && report.invalidated.length === (dryRun ? 0 : report.planned.length)
    // Every string of the report, through the same filter as the log.
    return JSON.parse(JSON.stringify(report), (_key, item) => (typeof item === 'string' ? scrub(item) : item)) as ApplyReport
  }

  const target = resolveVercelTarget(options, root, env)
  // A dry run needs no token: it reads public manifests and sends nothing.
  if ('problem' in target && !dryRun) return finish(target.problem)
  const client =
    'problem' in target
      ? undefined
      : new VercelClient(target, {
          retries: options.retries ?? 4,
          timeoutMs: options.requestTimeoutMs,
          onRetry: (reason, delayMs) => {
            report.retried++
            log(`retrying after ${reason} in ${formatDuration(Math.round(delayMs))}`)
          },
        })
  try {
    // D: the deployment named by --deployment (an id, or a URL the API resolves), and its manifest.
    const named = options.deployment?.replace(/^https?:\/\//, '').replace(/\/.*$/, '')
    let deploymentId = named && /^dpl_/.test(named) ? named : undefined
    if (named && !deploymentId) {
      if (!client) return finish(`--deployment ${named} is a URL: looking up its id needs VERCEL_TOKEN and the project`)
      deploymentId = (await client.getDeployment(named)).id
    }
    const loaded = await loadNextManifest(options.plan, root, deploymentId, { headers, basePath: options.basePath ?? '', client })
    if ('problem' in loaded) return finish(loaded.problem)
    const { manifest, source } = loaded
    report.plan = { source, buildId: manifest.buildId, baseline: manifest.plan.baseline }
    if (manifest.plan.dryRun) {
      log(`plan ${manifest.buildId} comes from a dry-run build (dryRun or IMAGE_INVALIDATE_DRY_RUN): nothing is sent for it`)
      return finish()
    }
    // On Vercel a build's id is its deployment's id (VERCEL_DEPLOYMENT_ID).
    if (!deploymentId && client && /^dpl_/.test(manifest.buildId)) deploymentId = manifest.buildId
    const siteManifest = siteUrl ? `${siteUrl}${manifest.basePath}/${MANIFEST_FILE_NAME}` : undefined

    // The flip: through the API for a deployment named by the caller, else through the site, else through
    // the API for the build's own deployment.
    const watch =
      options.wait === false || dryRun ? 'none' : named && client ? 'api' : siteManifest ? 'site' : deploymentId && client ? 'api' : undefined
    if (!watch) {
      report.usage = true
      return finish(
        `nothing tells when ${manifest.buildId} is live, and nothing may be sent before: pass --site URL (or set IMAGE_INVALIDATE_SITE_URL), ` +
          `--deployment ID, or --no-wait if production already serves it`,
      )
    }
    // What the site serves before the flip is P: the last other deployment it was seen serving.
    const site: SiteWatch | undefined = siteManifest ? { manifestUrl: siteManifest, buildId: manifest.buildId, headers } : undefined
    let seenBefore: Manifest | undefined
    let rolloutEndedOn: string | undefined
    if (watch === 'none') seenBefore = site && (await readOtherManifest(site))
    else {
      const started = performance.now()
      const waitOptions: WaitOptions = { timeoutMs: options.timeoutMs, intervalMs: options.pollIntervalMs, onPoll: (state) => log(`waiting: ${state}`) }
      if (watch === 'api') ({ before: seenBefore, rolloutEndedOn } = await waitForProduction(client!, deploymentId!, { ...waitOptions, site, rolloutStarted: flip.rolloutAborted }))
      else seenBefore = await waitForSite(site!, waitOptions)
      const on = rolloutEndedOn ? `production serves deployment ${rolloutEndedOn}, the rolling release toward ${deploymentId} having ended without it` : watch === 'api' ? `production serves deployment ${deploymentId}` : siteManifest!
      report.waited = { on, ms: Math.round(performance.now() - started) }
      log(`live: ${report.waited.on} after ${formatDuration(report.waited.ms)}`)
    }

    const fetch: ManifestFetch = { headers, basePath: manifest.basePath, client }
    const previous =
      (rolloutEndedOn && (await loadRolloutBase(rolloutEndedOn, deploymentId!, fetch, log))) ||
      (await findPrevious({ from: options.from, seenBefore, deploymentId, fetch, root, log }))
    report.previous = { via: previous?.via ?? 'the build-time plan', buildId: previous ? previous.manifest.buildId : manifest.plan.baseline }
    report.planned = previous ? planFlip(previous.manifest, manifest).srcImages : manifest.plan.srcImages
    const what = `${countOf(report.planned.length, 'source image')} in ${countOf(batchCount(report.planned.length), 'call')}`
    if (previous) log(`flip ${previous.manifest.buildId} -> ${manifest.buildId} (previous deployment from ${previous.via}): ${what}`)
    else log(`plan ${manifest.buildId} against ${manifest.plan.baseline ?? 'no baseline'} (the build-time plan): ${what}`)
    if (report.planned.length === 0) return finish()
    if (dryRun) {
      for (const src of report.planned) log(`  would invalidate ${src}`)
      return finish()
    }

    const result = await invalidateInBatches(client!, report.planned, {
      concurrency: options.concurrency,
      dangerouslyDelete: options.dangerouslyDelete,
      onCall: (call) => log(`${call.outcome === 'ok' ? 'invalidated' : call.outcome} ${call.srcImages.length}: ${call.srcImages.join(', ')}${call.reason ? ` (${call.reason})` : ''}`),
    })
    report.invalidated = result.invalidated
    report.failed = result.failed
    report.calls = result.calls
    return finish(result.fatal)
  } catch (error) {
    return finish((error as Error).message)
  } finally {
    await client?.close()
  }
}

/**
 * D's manifest: the plan given, else the local plan file the build wrote (when it is D's, or no deployment
 * was named), else the manifest the named deployment serves.
 */
async function loadNextManifest(
  plan: string | undefined,
  root: string,
  deploymentId: string | undefined,
  fetch: ManifestFetch,
): Promise<{ manifest: Manifest; source: string } | { problem: string }> {
  const local = path.join(root, DEFAULT_PLAN_FILE)
  const source = plan === undefined ? local : isUrl(plan) ? plan : path.resolve(root, plan)
  const loaded = await loadManifest(source, { headers: fetch.headers, fresh: isUrl(source) })
  // The local plan is another build's (or there is none): the named deployment serves its own.
  if (plan === undefined && deploymentId && fetch.client && (loaded.kind !== 'found' || loaded.manifest.buildId !== deploymentId)) {
    try {
      return { manifest: await loadDeploymentManifest(deploymentId, fetch), source: `deployment ${deploymentId}` }
    } catch (error) {
      return { problem: `the manifest of deployment ${deploymentId} could not be read: ${(error as Error).message}` }
    }
  }
  if (loaded.kind === 'missing') return { problem: `no plan at ${source} (${loaded.reason}): run a production build first, or pass --plan or --deployment` }
  if (loaded.kind !== 'found') return { problem: `the plan ${source} ${loaded.reason}` }
  return { manifest: loaded.manifest, source }
}

/**
 * P, in this order: `--from`; what the site served before the flip; the project's `lastAliasRequest` when
 * it led to D. Undefined, with a line saying why, when none of them gives a manifest: the caller then
 * falls back to the build-time plan.
 */
async function findPrevious(input: {
  from: string | undefined
  seenBefore: Manifest | undefined
  deploymentId: string | undefined
  fetch: ManifestFetch
  root: string
  log: (line: string) => void
}): Promise<PreviousDeployment | undefined> {
  const { from, fetch, log } = input
  const fallBack = (why: string) => {
    log(`the previous deployment could not be determined (${why}): using the build-time plan`)
    return undefined
  }
  if (from) {
    try {
      return { via: '--from', manifest: await loadNamedManifest(from, fetch, input.root) }
    } catch (error) {
      return fallBack(`--from ${from}: ${(error as Error).message}`)
    }
  }
  if (input.seenBefore) return { via: 'the production site before the flip', manifest: input.seenBefore }
  if (!input.deploymentId || !fetch.client) return fallBack('no --from, and the site was not seen serving another deployment')
  try {
    const flip = (await fetch.client.getProject()).lastAliasRequest
    const why = whyNotPrevious(flip, input.deploymentId)
    if (why) return fallBack(`no --from, the site was not seen before the flip, and the project's last promotion or rollback ${why}`)
    return { via: 'lastAliasRequest', manifest: await loadDeploymentManifest(flip!.fromDeploymentId!, fetch) }
  } catch (error) {
    return fallBack((error as Error).message)
  }
}

/**
 * Why `lastAliasRequest` does not name the deployment live before D, or undefined when it does: it must
 * lead to D, name where it came from, and have succeeded or be under way (a failed or skipped promotion
 * did not make D live).
 */
function whyNotPrevious(flip: AliasRequest | undefined, deploymentId: string): string | undefined {
  if (flip?.toDeploymentId !== deploymentId) return `did not lead to ${deploymentId}`
  if (flip.jobStatus !== 'succeeded' && flip.jobStatus !== 'in-progress') return `toward ${deploymentId} has jobStatus ${flip.jobStatus ?? 'unknown'}, not succeeded or in-progress`
  if (!flip.fromDeploymentId) return `toward ${deploymentId} names no deployment it came from`
  return undefined
}

/**
 * After a rolling release toward D ended without it, P is the deployment production serves now: D served
 * some visitors meanwhile, so the variants cached of D's bytes are what must go. Undefined, said, when its
 * manifest cannot be read: P is then found as after any flip.
 */
async function loadRolloutBase(id: string, deploymentId: string, fetch: ManifestFetch, log: (line: string) => void): Promise<PreviousDeployment | undefined> {
  log(`the rolling release toward ${deploymentId} ended without it: production serves ${id}; ${deploymentId} served some visitors meanwhile, so what differs between the two is invalidated now`)
  try {
    return { via: 'production after the rolling release ended', manifest: await loadDeploymentManifest(id, fetch) }
  } catch (error) {
    log(`the manifest of ${id} could not be read (${(error as Error).message})`)
    return undefined
  }
}
