import path from 'node:path'
import type { Dispatcher } from 'undici'
import { PREVIOUS_VIA_TEXT, type GivenPrevious, type PreviousDecision } from '../core/choose-previous.js'
import { failureOf, type Failure } from '../core/errors.js'
import { planFlip } from '../core/flip.js'
import { manifestUrl, type Manifest } from '../core/manifest.js'
import { batchCount } from '../core/plan.js'
import { protectionBypassHeaders, readFlag, resolveSiteUrl, type Env } from '../shared/environment.js'
import { countOf, formatDuration, redactedCopy, secretRedactor } from '../shared/format.js'
import { createHttpClient } from '../shared/http.js'
import type { ApplyOptions, ApplyReport, PreflightCheck } from '../types.js'
import { deploymentNamed, findIncoming, ownDeploymentId, type Incoming } from './incoming.js'
import { checkDeployment, checkVercelTarget, checkWatch, describeIncoming, describePrevious } from './preflight.js'
import { loadPrevious } from './previous.js'
import { resolveVercelTarget, type TargetProblem } from '../vercel/target.js'
import { invalidateInBatches } from '../vercel/batches.js'
import { VercelClient } from '../vercel/client.js'
import type { ManifestAccess } from '../vercel/deployment-manifests.js'
import type { WaitOptions } from './poll.js'
import type { SiteWatch } from './site.js'
import { awaitFlip, chooseWatch } from './watch.js'

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
export interface FlipTrigger {
  /** P as the trigger named it (a rollback event's `fromDeploymentId`, a rolling release's base); else `from`. */
  given?: GivenPrevious
  /** A rolling release toward the deployment is known to have started, and may already have ended. */
  rolloutSeen?: boolean
  /**
   * A rolling release toward the deployment will end with an event of its own: stop when one is seen,
   * sending nothing, instead of waiting for its end.
   */
  deferRollout?: boolean
}

/** `apply`, told more about the flip by the trigger that started it. */
export async function applyFlip(options: ApplyOptions, trigger: FlipTrigger): Promise<ApplyReport> {
  const run = startRun(options)
  const target = resolveVercelTarget(options, run.root, run.env)
  // A dry run needs no token: it reads public manifests, sends nothing, and says what a real run would lack.
  if ('problem' in target && !run.dryRun) return run.finish({ code: target.code, message: target.problem })
  run.checks?.push(...checkVercelTarget(options, run.root, run.env))
  const sender: Sender = 'problem' in target ? { dryRun: true, unreachable: target } : { dryRun: run.dryRun, client: createClient(target, options, run) }
  try {
    return await applyWith(run, sender, options, trigger)
  } catch (error) {
    return run.finish(failureOf(error))
  } finally {
    await Promise.all([sender.client?.close(), run.sitePool?.close()])
  }
}

/**
 * What the run may ask and send through: a client whenever the target is known (a real run always has one),
 * else why the API cannot be asked.
 */
type Sender = { dryRun: true; client?: VercelClient; unreachable?: TargetProblem } | { dryRun: false; client: VercelClient; unreachable?: undefined }

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
  /** A dry run's pre-flight: what a real run needs, found or not, and the sources of D and P. */
  checks: PreflightCheck[] | undefined
  /** A progress line, without secrets. */
  log: (line: string) => void
  /** The report, complete, without secrets; a failure stops the run with its code and sentence. */
  finish: (failure?: Failure) => ApplyReport
}

function startRun(options: ApplyOptions): Run {
  const env = options.env ?? process.env
  const headers = protectionBypassHeaders(env)
  const scrub = secretRedactor(env, [options.token])
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
  const checks: PreflightCheck[] | undefined = dryRun ? [] : undefined
  const finish = (failure?: Failure): ApplyReport => {
    if (failure) Object.assign(report, { error: failure.message, errorCode: failure.code })
    if (checks) {
      report.checks = checks
      // A dry run fails when a real run would not start: its error is the first thing that would stop it.
      const problem = checks.find((check) => check.status === 'problem')
      if (problem && !report.error) Object.assign(report, { error: problem.message, errorCode: problem.code ?? 'IMAGE_INVALIDATE_UNEXPECTED' })
    }
    report.ok = !report.error && report.failed.length === 0 && report.invalidated.length === (dryRun ? 0 : allPlanned(report).length)
    // Every string of the report, through the same filter as the log.
    return redactedCopy(report, scrub)
  }
  const sitePool = siteUrl ? createHttpClient({ retries: 2 }) : undefined
  return { env, root: path.resolve(options.root ?? process.cwd()), dryRun, siteUrl, sitePool, headers, report, checks, log, finish }
}

function createClient(target: ConstructorParameters<typeof VercelClient>[0], options: ApplyOptions, run: Run): VercelClient {
  return new VercelClient(target, {
    // A dry run checks that the API answers: one retry says it as well as four, sooner.
    retries: options.retries ?? (run.dryRun ? 1 : 4),
    timeoutMs: options.requestTimeoutMs,
    onRetry: (reason, delayMs) => {
      run.report.retried++
      run.log(`retrying after ${reason} in ${formatDuration(Math.round(delayMs))}`)
    },
  })
}

/** The steps of a run: D, the flip, P, then the calls. */
async function applyWith(run: Run, sender: Sender, options: ApplyOptions, trigger: FlipTrigger): Promise<ApplyReport> {
  const { report, log } = run
  const { client } = sender
  const waitOptions = { timeoutMs: options.timeoutMs, intervalMs: options.pollIntervalMs, onPoll: (state: string) => log(`waiting: ${state}`) }
  const d = await loadIncoming(run, sender, options, waitOptions)
  if ('finished' in d) return d.finished
  const { incoming, access } = d
  const { manifest } = incoming
  if (manifest.plan.dryRun) {
    log(`plan ${manifest.buildId} comes from a dry-run build (dryRun or IMAGE_INVALIDATE_DRY_RUN): nothing is sent for it`)
    return run.finish()
  }

  // What the site serves before the flip is P: the last other deployment it was seen serving.
  const site: SiteWatch | undefined = run.siteUrl
    ? { manifestUrl: manifestUrl(run.siteUrl, manifest.basePath), buildId: manifest.buildId, headers: run.headers, dispatcher: run.sitePool }
    : undefined
  const deploymentId = incoming.deploymentId ?? ownDeploymentId(manifest.buildId)
  run.checks?.push(checkWatch({ wait: options.wait, buildId: manifest.buildId, deploymentId, siteUrl: site?.manifestUrl, apiReady: client !== undefined }))
  const watch = chooseWatch({ wait: options.wait, dryRun: run.dryRun, deploymentId: incoming.deploymentId, site, client })
  if (!watch) {
    report.usage = true
    return run.finish({
      code: 'IMAGE_INVALIDATE_NOTHING_TO_WATCH',
      message:
        `nothing tells when ${manifest.buildId} is live, and nothing may be sent before: pass --site URL (or set IMAGE_INVALIDATE_SITE_URL), ` +
        `--deployment ID, or --no-wait if production already serves it`,
    })
  }
  const flip = await awaitFlip(watch, { rolloutSeen: trigger.rolloutSeen, deferRollout: trigger.deferRollout }, waitOptions, log)
  if ('deferred' in flip) {
    report.deferred = flip.deferred
    log(`deferred: ${flip.deferred}`)
    return run.finish()
  }
  report.waited = flip.waited

  const given = trigger.given ?? (options.from ? { name: options.from, via: 'from' as const } : undefined)
  const clues = { deploymentId: incoming.deploymentId, buildId: manifest.buildId, given, seen: flip.seen, siteKnown: site !== undefined }
  const previous = await loadPrevious(clues, { ...access, basePath: manifest.basePath }, run.root)
  run.checks?.push(...describePrevious(previous, { siteUrl: site?.manifestUrl, apiWatch: Boolean(deploymentId) }))
  planAgainst(run, previous, manifest)
  if (allPlanned(report).length === 0) return run.finish()
  if (sender.dryRun) {
    for (const src of report.planned) log(`  would invalidate ${src}`)
    for (const src of report.plannedRemote) log(`  would invalidate remote ${src}`)
    return run.finish()
  }
  return send(run, sender.client, options)
}

/** What a run sends: the public source images of the flip, then its remote ones, listed apart in the report. */
function allPlanned(report: Pick<ApplyReport, 'planned' | 'plannedRemote'>): string[] {
  return [...report.planned, ...report.plannedRemote]
}

/**
 * D, and how deployments' manifests are reached. A dry run first reads the deployment `--deployment` names,
 * saying what it got, and does not ask the API again when it did not answer: D is then had from a plan, or
 * not at all. A D that cannot be had ends the run.
 */
async function loadIncoming(
  run: Run,
  sender: Sender,
  options: ApplyOptions,
  wait: WaitOptions,
): Promise<{ incoming: Incoming; access: ManifestAccess } | { finished: ApplyReport }> {
  const named = deploymentNamed(options.deployment)
  const checked = run.checks && named ? await checkDeployment(named, sender.client, sender.unreachable) : undefined
  if (checked) run.checks?.push(checked)
  const access = { headers: run.headers, basePath: options.basePath ?? '', client: checked?.status === 'problem' ? undefined : sender.client }
  const incoming = await findIncoming({ deployment: options.deployment, plan: options.plan, root: run.root }, access, wait)
  if ('problem' in incoming) {
    run.checks?.push({ subject: 'plan', status: 'problem', message: `D: ${incoming.problem.message}`, code: incoming.problem.code })
    return { finished: run.finish(run.checks ? undefined : incoming.problem) }
  }
  const { manifest } = incoming
  run.report.plan = { source: incoming.source, buildId: manifest.buildId, baseline: manifest.plan.baseline }
  run.checks?.push(describeIncoming(incoming, options))
  return { incoming, access }
}

/** The set for P and D, into the report, with the lines that say against what. */
function planAgainst(run: Run, previous: PreviousDecision, manifest: Manifest): void {
  const { report, log } = run
  previous.notes.forEach(log)
  if (previous.via === 'build-plan') log(`the previous deployment could not be determined: ${previous.why}; using the build-time plan`)
  const buildId = previous.via === 'build-plan' ? manifest.plan.baseline : previous.manifest.buildId
  report.previous = { via: previous.via, viaText: PREVIOUS_VIA_TEXT[previous.via], buildId }
  // Without P, the build-time plan as it is: what changed or went since the build's baseline. A flip also
  // sends the names that appear (core/flip.ts: one may come back over variants cached of other bytes, or of
  // an error), but which names appear depends on P, which is unknown here; the plan does not list them.
  const flipPlan =
    previous.via === 'build-plan'
      ? { srcImages: manifest.plan.srcImages, remoteSrcImages: manifest.plan.remoteSrcImages ?? [] }
      : planFlip(previous.manifest, manifest)
  // Remote images are sent with the public ones and listed apart.
  report.planned = flipPlan.srcImages
  report.plannedRemote = flipPlan.remoteSrcImages
  log(describePlanned(previous, manifest, allPlanned(report).length, run.dryRun))
}

/** The line that says what is planned, and against what; a dry run has no flip, only what one would send. */
function describePlanned(previous: PreviousDecision, manifest: Manifest, count: number, dryRun: boolean): string {
  const what = `${countOf(count, 'source image')} in ${countOf(batchCount(count), 'call')}`
  if (previous.via === 'rollout-base') {
    return `back on ${previous.manifest.buildId} after the rolling release toward ${manifest.buildId}: what differs between them, ${what}`
  }
  if (previous.via === 'build-plan') {
    const against = manifest.plan.baseline ?? 'no baseline'
    return `plan ${manifest.buildId} against ${against}, the build-time plan: what changed or went, ${what}`
  }
  const pair = `${previous.manifest.buildId} -> ${manifest.buildId}, previous deployment from ${PREVIOUS_VIA_TEXT[previous.via]}`
  return dryRun ? `would send for ${pair}: ${what}` : `flip ${pair}: ${what}`
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
