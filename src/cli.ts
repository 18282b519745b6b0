#!/usr/bin/env node
import { readFileSync } from 'node:fs'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import type { ApplyReport } from './apply.js'
import { basePathProblem } from './core/keys.js'
import { planInvalidation } from './core/plan.js'
import { resolveBuildOptions } from './options.js'
import { countOf, LOG_PREFIX, redactor, type Logger } from './format.js'

const HELP = {
  main: `image-invalidate: invalidate exactly the changed public images on Vercel's image CDN

Usage:
  image-invalidate plan  [options]   what would be invalidated now (writes nothing)
  image-invalidate apply [options]   invalidate the plan of the last build once it is live
  image-invalidate prune-next-cache [options]
                                     remove a release's changed images from a self-hosted Next.js's
                                     own image cache (.next/cache/images) before next start

Run 'image-invalidate <command> --help' for a command's options.
Exit codes: 0 done (or nothing to do), 1 some image was not invalidated, 2 usage error (including an
apply with nothing to watch for the flip and no --no-wait).`,
  plan: `Usage: image-invalidate plan [--dir public] [--baseline URL|FILE] [--base-path /docs] [--json]

Hashes the images in the public folder and compares them with a baseline manifest, printing the source
images a build would plan to invalidate. Writes nothing.

  --dir DIR             the public folder (default: public)
  --baseline URL|FILE   the live deployment's manifest (default: IMAGE_INVALIDATE_BASELINE, else
                        <IMAGE_INVALIDATE_SITE_URL>/_image-invalidate.json)
  --base-path PATH      prefix of every source image, as Next.js basePath (default: the baseline
                        manifest's, else the project's Next.js basePath or Vite base)
  --json                print one JSON document
  -h, --help            this text`,
  apply: `Usage: image-invalidate apply [--plan FILE|URL] [--deployment ID|URL] [--site URL] [--from ID|URL|FILE]
                              [--no-wait] [--dry-run] [--json] [--concurrency N] [--timeout 10m]

At a production flip, from the deployment that was live (P) to the one now live (D): waits until
production serves D, then invalidates the source images that changed, went or appeared between P and D,
through Vercel's invalidate-by-src-images API in calls of at most 8. Nothing is sent before the flip.
Credentials come from VERCEL_TOKEN, VERCEL_PROJECT_ID and VERCEL_TEAM_ID (or .vercel/project.json).

  --plan FILE|URL        D's manifest (default: node_modules/.cache/unplugin-image-invalidate/plan.json,
                         written by the build; with --deployment, that deployment's own manifest)
  --deployment ID|URL    D: production is watched through the API until it serves this deployment
  --site URL             the production origin, polled until it serves D's build when no deployment is
                         known (default: IMAGE_INVALIDATE_SITE_URL, else https://$VERCEL_PROJECT_PRODUCTION_URL)
  --from ID|URL|FILE     P: a deployment id, a deployment or site URL, or a manifest file (default: what
                         the site served before the flip, else the project's lastAliasRequest, else the
                         build-time plan)
  --no-wait              send at once: production already serves D
  --wait                 wait until production serves D (the default whenever there is something to watch)
  --timeout DURATION     how long to wait, e.g. 90s, 10m (default: 10m)
  --concurrency N        calls in flight at once, 1 to 16 (default: 4)
  --dry-run              print what would be sent, send nothing (also IMAGE_INVALIDATE_DRY_RUN=1)
  --dangerously-delete   use dangerously-delete-by-src-images: the next request regenerates in the
                         foreground, which can stampede the origin
  --project ID           the project id or name (default: VERCEL_PROJECT_ID)
  --team ID              the team (default: VERCEL_TEAM_ID)
  --json                 print one JSON document
  -h, --help             this text`,
  'prune-next-cache': `Usage: image-invalidate prune-next-cache [--dir .next] [--from ID|URL|FILE] [--plan FILE|URL] [--dry-run] [--json]

For a self-hosted next start that keeps <distDir>/cache between releases (a volume, a kept build
cache): removes from Next.js's image cache (<dir>/cache/images) exactly the entries of the source
images that changed, went or appeared between the release that filled it (P) and the one about to
serve (D), then records D's manifest beside the cache as the next release's P. Run it before next
start. A custom cacheHandler (images.customCacheHandler) is not reached.

  --dir DIR              Next.js's distDir (default: .next)
  --from ID|URL|FILE     P: a manifest file, a site or deployment URL, or a Vercel deployment id
                         (default: the manifest recorded in <dir>/cache by the last prune; without
                         one, the entries of every image of D are removed)
  --plan FILE|URL        D's manifest (default: public/_image-invalidate.json, written by next build,
                         else node_modules/.cache/unplugin-image-invalidate/plan.json)
  --dry-run              count what would be removed; remove and record nothing
  --json                 print one JSON document
  -h, --help             this text

Exit codes: 0 done (an unreadable --from falls back to every image of D, and says so), 1 D's manifest
or the cache could not be read, 2 usage error.`,
}

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  if (command === '-v' || command === '--version') {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
    process.stdout.write(`${pkg.version}\n`)
    return 0
  }
  if (!command || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(`${HELP.main}\n`)
    return command ? 0 : 2
  }
  if (command === 'plan') return runPlan(rest)
  if (command === 'apply') return runApply(rest)
  if (command === 'prune-next-cache') return runPruneNextCache(rest)
  throw new UsageError(`unknown command ${JSON.stringify(command)}`)
}

function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: false, strict: true }).values
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
}

async function runPlan(args: string[]): Promise<number> {
  const values = parse(args, {
    dir: { type: 'string' },
    baseline: { type: 'string' },
    'base-path': { type: 'string' },
    json: { type: 'boolean' },
  })
  if (values.help) return help('plan')
  const given = values['base-path']
  const problem = given === undefined ? undefined : basePathProblem(given)
  if (problem) throw new UsageError(`--base-path ${JSON.stringify(given)} ${problem}: write it as Next.js basePath is written, e.g. /docs`)
  const root = process.cwd()
  const logger: Logger = { info: () => {}, warn: (message) => process.stderr.write(`${message}\n`) }
  // Each command loads what it needs, so that --help and a usage error cost nothing. The hashing threads
  // start as soon as their module is in, while the project's config is read.
  const buildPlan = import('./build-plan.js').then((module) => {
    module.startHashingThreads()
    return module
  })
  const [{ computePlan, summarize }, { readProjectBasePath }] = await Promise.all([buildPlan, import('./project-base-path.js')])

  // The prefix: --base-path, else the baseline's (what is deployed), else the project's config. The
  // project's is read first all the same: the default baseline URL is under it.
  let basePath = given === undefined ? undefined : { basePath: given, source: '--base-path' }
  if (!basePath) {
    const project = await readProjectBasePath(root).catch((error: Error) => {
      logger.warn(`${LOG_PREFIX} could not read the project's basePath (${error.message}); pass --base-path`)
      return undefined
    })
    if (project?.problem) logger.warn(`${LOG_PREFIX} ${project.problem}: pass --base-path`)
    if (project) basePath = { basePath: project.basePath, source: project.source }
  }
  const options = resolveBuildOptions(
    { enabled: true, publicDir: values.dir, baseline: values.baseline, basePath: basePath?.basePath, cache: false },
    { root },
  )
  const result = await computePlan(options, logger)
  const deployed = result.baseline?.kind === 'found' ? result.baseline.manifest.basePath : undefined
  if (given === undefined && deployed !== undefined) {
    basePath = { basePath: deployed, source: 'the baseline manifest' }
    result.manifest.basePath = deployed
    if (result.diff) result.manifest.plan.srcImages = planInvalidation(result.diff, deployed)
  }
  const prefix = { value: basePath?.basePath ?? '', source: basePath?.source ?? 'none found: no --base-path, baseline or Next.js or Vite config' }
  const usable = !result.baseline || result.baseline.kind === 'found' || (result.baseline.kind === 'missing' && !options.baselineGivenBy)
  if (values.json) {
    const { manifest, diff, baseline, unreadable, unreadableFolders, linkCycles, bytesHashed, durationMs, baselineMs } = result
    const document = {
      srcImages: manifest.plan.srcImages,
      basePath: prefix,
      baseline,
      diff,
      unreadable,
      unreadableFolders,
      linkCycles,
      images: Object.keys(manifest.images).length,
      bytesHashed,
      durationMs: Math.round(durationMs),
      baselineMs: baselineMs === null ? null : Math.round(baselineMs),
    }
    process.stdout.write(`${JSON.stringify(document, null, 2)}\n`)
  } else {
    process.stdout.write(`basePath ${JSON.stringify(prefix.value)} (${prefix.source})\n`)
    process.stdout.write(`${summarize(result, options).replace(`${LOG_PREFIX} `, '')}\n`)
    for (const src of result.manifest.plan.srcImages) process.stdout.write(`  ${src}\n`)
  }
  return usable ? 0 : 1
}

async function runApply(args: string[]): Promise<number> {
  const values = parse(args, {
    plan: { type: 'string' },
    from: { type: 'string' },
    wait: { type: 'boolean' },
    'no-wait': { type: 'boolean' },
    deployment: { type: 'string' },
    site: { type: 'string' },
    timeout: { type: 'string' },
    concurrency: { type: 'string' },
    'dry-run': { type: 'boolean' },
    'dangerously-delete': { type: 'boolean' },
    project: { type: 'string' },
    team: { type: 'string' },
    json: { type: 'boolean' },
  })
  if (values.help) return help('apply')
  if (values.wait && values['no-wait']) throw new UsageError('--wait and --no-wait say opposite things: pass one')
  const timeoutMs = values.timeout === undefined ? undefined : parseDuration(values.timeout)
  const concurrency = values.concurrency === undefined ? undefined : parseConcurrency(values.concurrency)
  const { apply } = await import('./apply.js')
  const report = await apply({
    plan: values.plan,
    from: values.from,
    wait: values['no-wait'] ? false : values.wait,
    deployment: values.deployment,
    siteUrl: values.site,
    timeoutMs,
    concurrency,
    dryRun: values['dry-run'],
    dangerouslyDelete: values['dangerously-delete'],
    projectId: values.project,
    teamId: values.team,
    log: (line) => process.stderr.write(`${LOG_PREFIX} ${line}\n`),
  })
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : describeReport(report))
  return report.usage ? 2 : report.ok ? 0 : 1
}

async function runPruneNextCache(args: string[]): Promise<number> {
  const values = parse(args, {
    dir: { type: 'string' },
    from: { type: 'string' },
    plan: { type: 'string' },
    'dry-run': { type: 'boolean' },
    json: { type: 'boolean' },
  })
  if (values.help) return help('prune-next-cache')
  const { pruneNextCache, describePrune } = await import('./next-image-cache/prune-command.js')
  const report = await pruneNextCache({
    dir: values.dir,
    from: values.from,
    plan: values.plan,
    dryRun: values['dry-run'],
    log: (line) => process.stderr.write(`${LOG_PREFIX} ${line}\n`),
  })
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : describePrune(report, process.cwd()))
  return report.ok ? 0 : 1
}

/**
 * The human summary of an apply run: what was sent, what was not, and why. The plan and the wait were
 * already told as progress lines, so they are not repeated.
 */
export function describeReport(report: ApplyReport): string {
  const lines: string[] = []
  const planned = report.planned.length
  if (report.dryRun && planned > 0) lines.push(`dry run: nothing sent`)
  else if (report.plan && planned > 0) {
    const ok = report.calls.filter((call) => call.outcome === 'ok').length
    lines.push(`invalidated ${report.invalidated.length} of ${planned} in ${countOf(ok, 'successful call')} (${report.calls.length} made, ${report.retried} retried)`)
  } else if (report.plan) lines.push('nothing to invalidate')
  for (const failure of report.failed) lines.push(`not invalidated: ${failure.srcImage}: ${failure.reason}`)
  if (report.error) lines.push(`error: ${report.error}`)
  return `${lines.join('\n')}\n`
}

function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim())
  if (!match) throw new UsageError(`--timeout ${JSON.stringify(text)} is not a duration like 90s or 10m`)
  const scale = match[2] === 'ms' ? 1 : match[2] === 'm' ? 60_000 : 1000
  return Number(match[1]) * scale
}

function parseConcurrency(text: string): number {
  const value = Number(text)
  if (!Number.isInteger(value) || value < 1 || value > 16) throw new UsageError(`--concurrency ${JSON.stringify(text)} is not a whole number from 1 to 16`)
  return value
}

function help(command: keyof typeof HELP): number {
  process.stdout.write(`${HELP[command]}\n`)
  return 0
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`image-invalidate: ${error.message}\nRun 'image-invalidate --help' for usage.\n`)
      process.exitCode = 2
    } else {
      const scrub = redactor([process.env.VERCEL_TOKEN, process.env.VERCEL_AUTOMATION_BYPASS_SECRET])
      process.stderr.write(`image-invalidate: ${scrub((error as Error).stack ?? String(error))}\n`)
      process.exitCode = 1
    }
  },
)
