import path from 'node:path'
import type { Dispatcher } from 'undici'
import { planFlip } from '../core/flip.js'
import { manifestUrl, type Manifest } from '../core/manifest.js'
import { batchCount } from '../core/plan.js'
import { protectionBypassHeaders, readFlag, resolveSiteUrl, type Env } from '../shared/environment.js'
import { countOf, formatDuration, redactor } from '../shared/format.js'
import { createHttpClient } from '../shared/http.js'
import type { ApplyOptions, ApplyReport, PreviousVia } from '../types.js'
import type { ManifestAccess } from '../vercel/deployment-manifests.js'
import { findIncoming, type Incoming } from './incoming.js'
import { findPrevious, loadRolloutBase, type PreviousClues, type PreviousDeployment } from './previous.js'
import { resolveVercelTarget } from '../vercel/target.js'
import { invalidateInBatches } from '../vercel/batches.js'
import { VercelClient } from '../vercel/client.js'
import type { SiteWatch } from './site.js'
import { RolloutUnderWayError } from './production-wait.js'
import { awaitFlip, chooseWatch, type SeenFlip } from './watch.js'

/**
 * Phase 2, at a production flip: load the manifest of the deployment going live (D), wait until production
 * serves it, find the deployment that was live before (P), and invalidate what changed, went or appeared
 * between P and D, in calls of at most 8. Nothing is sent before the flip has been seen, unless `wait` is
 * false. Never throws for an expected failure: everything is in the report.
 */
export async function apply(options: ApplyOptions = {}): Promise<ApplyReport> {
  return applyFlip(options, {})
}

/** What a trigger knows of the flip beyond the options (the webhook's events). */
export interface FlipContext {
  /** A rolling release toward the deployment was aborted: invalidate once production serves another one. */
  rolloutAborted?: boolean
  /**
   * A rolling release toward the deployment will end with an event of its own: stop when one is seen,
   * sending nothing, instead of waiting for its end.
   */
  deferRollout?: boolean
  /** How the trigger knew `from` (P), for the report. */
  fromVia?: PreviousVia
}

/** `apply`, told more about the flip by the trigger that started it. */
export async function applyFlip(options: ApplyOptions, flip: FlipContext): Promise<ApplyReport> {
  const run = startRun(options)
  let client: VercelClient | undefined
  try {
    const target = resolveVercelTarget(options, run.root, run.env)
    // A dry run needs no token: it reads public manifests and sends nothing.
    if ('problem' in target && !run.dryRun) return run.finish(target.problem)
    client = 'problem' in target ? undefined : createClient(target, options, run)
    return await applyWith(run, client, options, flip)
  } catch (error) {
    if (!(error instanceof RolloutUnderWayError)) return run.finish((error as Error).message)
    run.report.deferred = error.message
    run.log(`deferred: ${error.message}`)
    return run.finish()
  } finally {
    await Promise.all([client?.close(), run.sitePool?.close()])
  }
}

/** One run of `apply`: what it read of its options and environment, its report, and its output. */
interface Run {
  env: Env
  root: string
  dryRun: boolean
  siteUrl: string | undefined
  /** One keep-alive pool for the production site, polled every second or two: closed when the run ends. */
  sitePool: Dispatcher | undefined
  /** Sent with every manifest request (protection bypass). */
  headers: Record<string, string>
  report: ApplyReport
  /** A progress line, without secrets. */
  log: (line: string) => void
  /** The report, complete, without secrets; `error` stops the run with that sentence. */
  finish: (error?: string) => ApplyReport
}

function startRun(options: ApplyOptions): Run {
  const env = options.env ?? process.env
  const headers = protectionBypassHeaders(env)
  const scrub = redactor([options.token, env.VERCEL_TOKEN, env.VERCEL_AUTOMATION_BYPASS_SECRET])
  const log = (line: string) => options.log?.(scrub(line))
  const warnings: string[] = []
  const dryRun = options.dryRun ?? readFlag(env, 'IMAGE_INVALIDATE_DRY_RUN', warnings) ?? false
  const siteUrl = resolveSiteUrl(options.siteUrl ?? env.IMAGE_INVALIDATE_SITE_URL, env, warnings)
  warnings.forEach((warning) => log(`warning: ${warning}`))
  const report: ApplyReport = {
    ok: false,
    dryRun,
    plan: null,
    previous: null,
    planned: [],
    plannedRemote: [],
    invalidated: [],
    failed: [],
    calls: [],
    retried: 0,
    waited: null,
  }
  const finish = (error?: string): ApplyReport => {
    if (error) report.error = error
    // Remote images (issue 28) are sent with the public ones: `allPlanned`.
    report.ok = !report.error && report.failed.length === 0 && report.invalidated.length === (dryRun ? 0 : allPlanned(report).length)
    // Every string of the report, through the same filter as the log.
    return JSON.parse(JSON.stringify(report), (_key, item) => (typeof item === 'string' ? scrub(item) : item)) as ApplyReport
  }
  const sitePool = siteUrl ? createHttpClient({ retries: 2 }) : undefined
  return { env, root: path.resolve(options.root ?? process.cwd()), dryRun, siteUrl, sitePool, headers, report, log, finish }
}

function createClient(target: ConstructorParameters<typeof VercelClient>[0], options: ApplyOptions, run: Run): VercelClient {
  return new VercelClient(target, {
    retries: options.retries ?? 4,
    timeoutMs: options.requestTimeoutMs,
    onRetry: (reason, delayMs) => {
      run.report.retried++
      run.log(`retrying after ${reason} in ${formatDuration(Math.round(delayMs))}`)
    },
  })
}

/** The steps of a run: D, the flip, P, then the calls. */
async function applyWith(run: Run, client: VercelClient | undefined, options: ApplyOptions, flip: FlipContext): Promise<ApplyReport> {
  const { report, log } = run
  const waitOptions = { timeoutMs: options.timeoutMs, intervalMs: options.pollIntervalMs, onPoll: (state: string) => log(`waiting: ${state}`) }
  const access = { headers: run.headers, basePath: options.basePath ?? '', client }
  const incoming = await findIncoming({ deployment: options.deployment, plan: options.plan, root: run.root }, access, waitOptions)
  if ('problem' in incoming) return run.finish(incoming.problem)
  const { manifest } = incoming
  report.plan = { source: incoming.source, buildId: manifest.buildId, baseline: manifest.plan.baseline }
  if (manifest.plan.dryRun) {
    log(`plan ${manifest.buildId} comes from a dry-run build (dryRun or IMAGE_INVALIDATE_DRY_RUN): nothing is sent for it`)
    return run.finish()
  }

  // What the site serves before the flip is P: the last other deployment it was seen serving.
  const site: SiteWatch | undefined = run.siteUrl
    ? { manifestUrl: manifestUrl(run.siteUrl, manifest.basePath), buildId: manifest.buildId, headers: run.headers, dispatcher: run.sitePool }
    : undefined
  const watch = chooseWatch({ wait: options.wait, dryRun: run.dryRun, incoming, site, client })
  if (!watch) {
    report.usage = true
    return run.finish(
      `nothing tells when ${manifest.buildId} is live, and nothing may be sent before: pass --site URL (or set IMAGE_INVALIDATE_SITE_URL), ` +
        `--deployment ID, or --no-wait if production already serves it`,
    )
  }
  const seen = await awaitFlip(watch, { client, incoming, site, rolloutStarted: flip.rolloutAborted, deferRollout: flip.deferRollout }, waitOptions, log)
  report.waited = seen.waited

  const previous = await previousOf(
    seen,
    incoming,
    { from: options.from, fromVia: flip.fromVia, root: run.root },
    { ...access, basePath: manifest.basePath },
    log,
  )
  report.previous = { via: previous?.via ?? 'the build-time plan', buildId: previous ? previous.manifest.buildId : manifest.plan.baseline }
  // Remote images (issue 28) are planned with the public ones and listed apart: `plannedRemote`.
  const flipPlan = previous
    ? planFlip(previous.manifest, manifest)
    : { srcImages: manifest.plan.srcImages, remoteSrcImages: manifest.plan.remoteSrcImages ?? [] }
  report.planned = flipPlan.srcImages
  report.plannedRemote = flipPlan.remoteSrcImages
  log(describePlanned(previous, manifest, allPlanned(report).length))
  if (allPlanned(report).length === 0) return run.finish()
  if (run.dryRun) {
    for (const src of report.planned) log(`  would invalidate ${src}`)
    for (const src of report.plannedRemote) log(`  would invalidate remote ${src}`)
    return run.finish()
  }
  return send(run, client!, options)
}

/** What a run sends: the public source images of the flip, then its remote ones (issue 28). */
function allPlanned(report: Pick<ApplyReport, 'planned' | 'plannedRemote'>): string[] {
  return [...report.planned, ...report.plannedRemote]
}

/** P: the deployment production went back to after an aborted rolling release, else as after any flip. */
async function previousOf(
  seen: SeenFlip,
  incoming: Incoming,
  given: Pick<PreviousClues, 'from' | 'fromVia' | 'root'>,
  access: ManifestAccess,
  log: (line: string) => void,
): Promise<PreviousDeployment | undefined> {
  const rolloutBase = seen.rolloutEndedOn && (await loadRolloutBase(seen.rolloutEndedOn, incoming.deploymentId!, access, log))
  return (
    rolloutBase ||
    findPrevious({ ...given, seenBefore: seen.before, productionBefore: seen.productionBefore, deploymentId: incoming.deploymentId }, access, log)
  )
}

function describePlanned(previous: PreviousDeployment | undefined, manifest: Manifest, count: number): string {
  const what = `${countOf(count, 'source image')} in ${countOf(batchCount(count), 'call')}`
  if (previous?.via === 'production after the rolling release ended') {
    return `back on ${previous.manifest.buildId} after the rolling release toward ${manifest.buildId}: what differs between them, ${what}`
  }
  if (previous) return `flip ${previous.manifest.buildId} -> ${manifest.buildId} (previous deployment from ${previous.via}): ${what}`
  return `plan ${manifest.buildId} against ${manifest.plan.baseline ?? 'no baseline'} (the build-time plan): ${what}`
}

/** The calls, each said as it ends; the report gets what was invalidated and what was not. */
async function send(run: Run, client: VercelClient, options: ApplyOptions): Promise<ApplyReport> {
  const result = await invalidateInBatches(client, allPlanned(run.report), {
    concurrency: options.concurrency,
    dangerouslyDelete: options.dangerouslyDelete,
    onCall: (call) =>
      run.log(
        `${call.outcome === 'ok' ? 'invalidated' : call.outcome} ${call.srcImages.length}: ${call.srcImages.join(', ')}${call.reason ? ` (${call.reason})` : ''}`,
      ),
  })
  Object.assign(run.report, { invalidated: result.invalidated, failed: result.failed, calls: result.calls })
  return run.finish(result.fatal)
}
