import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { MANIFEST_FILE_NAME } from './core/manifest.js'
import { batchCount } from './core/plan.js'
import { loadManifest } from './manifest-source.js'
import { DEFAULT_PLAN_FILE, isUrl, readFlag, resolveSiteUrl, resolveVercelTarget } from './options.js'
import type { ApplyOptions } from './types.js'
import { invalidateInBatches, type BatchRecord, type FailedImage } from './vercel/batches.js'
import { VercelClient } from './vercel/client.js'
import { countOf, formatDuration } from './format.js'
import { waitForDeployment, waitForSite } from './vercel/wait.js'

export interface ApplyReport {
  /** True when every planned source image was invalidated, or there was nothing to do. */
  ok: boolean
  dryRun: boolean
  /** Where the plan came from, and the build it belongs to. */
  plan: { source: string; buildId: string; baseline: string | null } | null
  planned: string[]
  invalidated: string[]
  failed: FailedImage[]
  /** Every invalidation call, in the order they ended. */
  calls: BatchRecord[]
  /** Requests retried after 429, 5xx, a timeout or a reset. */
  retried: number
  /** How the deployment was seen to be live, and how long that took. */
  waited: { on: string; ms: number } | null
  /** What stopped the run before or during the calls, in one sentence. */
  error?: string
}

/**
 * Phase 2: load the plan, wait until its deployment is live if asked, and invalidate its source images in
 * calls of at most 8. Never throws for an expected failure: everything is in the report.
 */
export async function apply(options: ApplyOptions = {}): Promise<ApplyReport> {
  const env = options.env ?? process.env
  const root = path.resolve(options.root ?? process.cwd())
  const bypass = env.VERCEL_AUTOMATION_BYPASS_SECRET?.trim()
  const headers: Record<string, string> = bypass ? { 'x-vercel-protection-bypass': bypass } : {}
  const scrub = redactor([options.token, env.VERCEL_TOKEN, bypass])
  const log = (line: string) => options.log?.(scrub(line))
  const warnings: string[] = []
  const dryRun = options.dryRun ?? readFlag(env, 'IMAGE_INVALIDATE_DRY_RUN', warnings) ?? false
  warnings.forEach((warning) => log(`warning: ${warning}`))
  const report: ApplyReport = { ok: false, dryRun, plan: null, planned: [], invalidated: [], failed: [], calls: [], retried: 0, waited: null }
  const finish = (error?: string): ApplyReport => {
    if (error) report.error = error
    report.ok = !report.error && report.failed.length === 0 && report.invalidated.length === (dryRun ? 0 : report.planned.length)
    // Every string of the report, through the same filter as the log.
    return JSON.parse(JSON.stringify(report), (_key, item) => (typeof item === 'string' ? scrub(item) : item)) as ApplyReport
  }

  const source = options.plan ?? path.join(root, DEFAULT_PLAN_FILE)
  const planSource = isUrl(source) ? source : path.resolve(root, source)
  const loaded = await loadManifest(planSource, { headers, fresh: isUrl(planSource) })
  if (loaded.kind === 'missing') return finish(`no plan at ${planSource} (${loaded.reason}): run a production build first, or pass --plan`)
  if (loaded.kind !== 'found') return finish(`the plan ${planSource} ${loaded.reason}`)
  const { manifest } = loaded
  report.plan = { source: planSource, buildId: manifest.buildId, baseline: manifest.plan.baseline }
  report.planned = manifest.plan.srcImages
  if (report.planned.length === 0) {
    log(`plan ${manifest.buildId}: nothing to invalidate`)
    return finish()
  }
  log(`plan ${manifest.buildId}: ${countOf(report.planned.length, 'source image')} in ${countOf(batchCount(report.planned.length), 'call')}`)
  if (dryRun) {
    for (const src of report.planned) log(`  would invalidate ${src}`)
    return finish()
  }

  const target = resolveVercelTarget(options, root, env)
  if ('problem' in target) return finish(target.problem)
  const client = new VercelClient(target, {
    retries: options.retries ?? 4,
    timeoutMs: options.requestTimeoutMs,
    onRetry: (reason, delayMs) => {
      report.retried++
      log(`retrying after ${reason} in ${formatDuration(Math.round(delayMs))}`)
    },
  })
  try {
    const deployment = options.deployment?.replace(/^https?:\/\//, '').replace(/\/.*$/, '')
    if (deployment || options.wait) {
      const started = performance.now()
      const waitOptions = {
        timeoutMs: options.timeoutMs,
        intervalMs: options.pollIntervalMs,
        onPoll: (state: string) => log(`waiting: ${state}`),
      }
      if (deployment) {
        await waitForDeployment(client, deployment, waitOptions)
        report.waited = { on: `deployment ${deployment}`, ms: Math.round(performance.now() - started) }
      } else {
        const site = resolveSiteUrl(options.siteUrl ?? env.IMAGE_INVALIDATE_SITE_URL, env, [])
        if (!site) return finish('--wait needs --deployment, --site, IMAGE_INVALIDATE_SITE_URL or VERCEL_PROJECT_PRODUCTION_URL to know when the deployment is live')
        const manifestUrl = `${site}${manifest.basePath}/${MANIFEST_FILE_NAME}`
        await waitForSite(manifestUrl, manifest.buildId, { ...waitOptions, headers })
        report.waited = { on: manifestUrl, ms: Math.round(performance.now() - started) }
      }
      log(`live: ${report.waited.on} after ${formatDuration(report.waited.ms)}`)
    }

    const result = await invalidateInBatches(client, report.planned, {
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
    await client.close()
  }
}

/** A function that replaces each secret in a text: the token must never reach any output. */
export function redactor(secrets: ReadonlyArray<string | undefined>): (text: string) => string {
  const values = secrets.map((secret) => secret?.trim()).filter((secret): secret is string => Boolean(secret && secret.length >= 4))
  return (text) => values.reduce((result, secret) => result.split(secret).join('[redacted]'), text)
}
