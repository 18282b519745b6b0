#!/usr/bin/env node
import { readFileSync } from 'node:fs'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import path from 'node:path'
import type { ApplyReport, CheckRemoteReport, PreflightCheck } from './types.js'
import { ImageInvalidateError } from './core/errors.js'
import { basePathProblem } from './core/keys.js'
import { resolveBuildOptions } from './plugin/options.js'
import type { BuildPlanResult } from './plugin/plan-build.js'
import type { ProjectBasePath } from './plugin/project-base-path.js'
import type { ManifestLoad } from './shared/load-manifest.js'
import { countOf, LOG_PREFIX, secretRedactor, type Logger } from './shared/format.js'
import { HELP } from './cli-help.js'

class UsageError extends ImageInvalidateError {
  constructor(message: string) {
    super('IMAGE_INVALIDATE_USAGE', message)
  }
}

/** The command being run: a usage error points to its --help. */
let currentCommand: string | undefined

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
  currentCommand = command
  if (command === 'plan') return runPlan(rest)
  if (command === 'apply') return runApply(rest)
  if (command === 'prune-next-cache') return runPruneNextCache(rest)
  if (command === 'init') return runInit(rest)
  if (command === 'doctor') return runDoctor(rest)
  if (command === 'check-remote') return runCheckRemote(rest)
  if (command === 'demo') return runDemo(rest)
  currentCommand = undefined
  throw new UsageError(`unknown command ${JSON.stringify(command)}`)
}

function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: false, strict: true }).values
  } catch (error) {
    throw new UsageError(parseProblem(error as Error & { code?: string }))
  }
}

/**
 * Node's parseArgs message in the words of every other usage error (lower case, after the command's name):
 * `Unknown option '--bogus'` becomes `has no option --bogus`, printed as `apply has no option --bogus`.
 */
function parseProblem(error: Error & { code?: string }): string {
  const quoted = /'([^']*)'/.exec(error.message)?.[1]
  const option = quoted && (/--[\w-]+/.exec(quoted)?.[0] ?? quoted.split(' ')[0])
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) return `has no option ${option}`
  if (error.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL' && quoted !== undefined) return `takes options only, not ${JSON.stringify(quoted)}`
  if (error.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option)
    return /does not take an argument/.test(error.message) ? `${option} takes no value` : `${option} needs a value`
  return `has options it cannot read: ${error.message.charAt(0).toLowerCase()}${error.message.slice(1)}`
}

async function runPlan(args: string[]): Promise<number> {
  const values = parse(args, {
    dir: { type: 'string' },
    baseline: { type: 'string' },
    'base-path': { type: 'string' },
    json: { type: 'boolean' },
  })
  if (values.help) return help('plan')
  const given = checkedBasePath(values['base-path'])
  const root = process.cwd()
  const logger: Logger = { info: () => {}, warn: (message) => process.stderr.write(`${message}\n`) }
  // Each command loads what it needs, so that --help and a usage error cost nothing. The hashing threads
  // start as soon as their module is in, while the project's config is read.
  const planning = import('./plugin/plan-build.js').then((module) => {
    module.startHashingThreads()
    return module
  })
  // The prefix: --base-path, else the baseline's (what is deployed), else the project's config. The
  // project's is read first all the same: the default baseline URL is under it.
  const project = given === undefined ? await readProjectPrefix(root, logger) : undefined
  // Remote images (issue 28): those the pages of the project's last build show, when there is one.
  const lastBuild = await (await import('./plugin/project-output.js')).readLastBuildOutput(root)
  const options = resolveBuildOptions(
    { enabled: true, publicDir: values.dir, baseline: values.baseline, basePath: given ?? project?.basePath, cache: false },
    { root, ...lastBuild },
  )
  const { addRemoteImages, computePlan, summarize } = await planning
  const result = await computePlan(options, logger, { basePathFromBaseline: given === undefined })
  if (options.remote) await addRemoteImages(result, options, logger)
  const source = prefixSource(given, result.baseline, project)
  const prefix = { value: result.manifest.basePath, source: source ?? 'none found: no --base-path, baseline or Next.js or Vite config' }
  if (values.json) process.stdout.write(`${JSON.stringify(planDocument(result, prefix), null, 2)}\n`)
  else {
    process.stdout.write(`basePath ${JSON.stringify(prefix.value)}, ${source ? `from ${source}` : prefix.source}\n`)
    process.stdout.write(`${summarize(result, options).replace(`${LOG_PREFIX} `, '')}\n`)
    for (const src of result.manifest.plan.srcImages) process.stdout.write(`  ${src}\n`)
    for (const src of result.manifest.plan.remoteSrcImages ?? []) process.stdout.write(`  remote ${src}\n`)
  }
  // A baseline named by hand that is not there is a mistake; the default one missing is a first deploy.
  const { baseline } = result
  return !baseline || baseline.kind === 'found' || (baseline.kind === 'missing' && !options.baselineGivenBy) ? 0 : 1
}

/** The project's own prefix (Next.js basePath, Vite base), with a warning when it cannot be read or known. */
async function readProjectPrefix(root: string, logger: Logger): Promise<ProjectBasePath | undefined> {
  const { readProjectBasePath } = await import('./plugin/project-base-path.js')
  const project = await readProjectBasePath(root).catch((error: Error) => {
    logger.warn(`${LOG_PREFIX} could not read the project's basePath (${error.message}); pass --base-path`)
    return undefined
  })
  if (project?.problem) logger.warn(`${LOG_PREFIX} ${project.problem}: pass --base-path`)
  return project
}

/** Where the plan's prefix came from, as the first line says it; undefined when nothing gave one. */
function prefixSource(given: string | undefined, baseline: ManifestLoad | null, project: ProjectBasePath | undefined): string | undefined {
  if (given !== undefined) return '--base-path'
  if (baseline?.kind === 'found') return 'the baseline manifest'
  return project?.source
}

/** What `plan --json` prints. */
function planDocument(result: Omit<BuildPlanResult, 'written'>, prefix: { value: string; source: string }) {
  const { manifest, diff, baseline, unreadable, unreadableFolders, linkCycles, bytesHashed, durationMs, baselineMs } = result
  return {
    srcImages: manifest.plan.srcImages,
    // Listed apart: the remote images of the last build's pages (issue 28); null when none was read.
    remote: result.remote ? remoteDocument(result.remote, manifest.plan.remoteSrcImages ?? []) : null,
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
}

function remoteDocument(step: NonNullable<BuildPlanResult['remote']>, srcImages: string[]) {
  const { run } = step
  return {
    srcImages,
    diff: step.diff,
    fingerprints: run.fingerprints,
    notFingerprinted: run.failures,
    excluded: run.excluded,
    notAllowed: step.notAllowed,
    notModified: run.notModified,
    durationMs: Math.round(run.durationMs),
  }
}

async function runApply(args: string[]): Promise<number> {
  const values = parse(args, {
    plan: { type: 'string' },
    from: { type: 'string' },
    wait: { type: 'boolean' },
    'no-wait': { type: 'boolean' },
    deployment: { type: 'string' },
    site: { type: 'string' },
    'base-path': { type: 'string' },
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
  const basePath = checkedBasePath(values['base-path'])
  const timeoutMs = values.timeout === undefined ? undefined : parseDuration(values.timeout)
  const concurrency = values.concurrency === undefined ? undefined : parseConcurrency(values.concurrency)
  const { apply } = await import('./apply/apply.js')
  const report = await apply({
    plan: values.plan,
    from: values.from,
    wait: values['no-wait'] ? false : values.wait,
    deployment: values.deployment,
    siteUrl: values.site,
    basePath,
    timeoutMs,
    concurrency,
    dryRun: values['dry-run'],
    dangerouslyDelete: values['dangerously-delete'],
    projectId: values.project,
    teamId: values.team,
    log: printProgress,
  })
  printReport(report, values.json, describeReport)
  if (report.usage) return 2
  return report.ok ? 0 : 1
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
    log: printProgress,
  })
  printReport(report, values.json, (pruned) => describePrune(pruned, process.cwd()))
  return report.ok ? 0 : 1
}

async function runDemo(args: string[]): Promise<number> {
  if (parse(args, {}).help) return help('demo')
  const { runDemo } = await import('./demo/demo.js')
  return runDemo()
}

async function runInit(args: string[]): Promise<number> {
  const values = parse(args, {
    way: { type: 'string' },
    url: { type: 'string' },
    yes: { type: 'boolean', short: 'y' },
    'dry-run': { type: 'boolean' },
    project: { type: 'string' },
    team: { type: 'string' },
  })
  if (values.help) return help('init')
  const { WAYS, init } = await import('./setup/init.js')
  const way = values.way as (typeof WAYS)[number] | undefined
  if (way !== undefined && !WAYS.includes(way)) throw new UsageError(`--way ${JSON.stringify(values.way)} is not one of ${WAYS.join(', ')}`)
  const interactive = process.stdin.isTTY && process.stdout.isTTY
  const prompts = interactive ? (await import('./setup/prompts.js')).terminalPrompts : undefined
  return reportSetupErrors(async () => {
    await init({
      root: process.cwd(),
      way,
      url: values.url,
      yes: values.yes,
      dryRun: values['dry-run'],
      projectId: values.project,
      teamId: values.team,
      env: process.env,
      prompts,
      print: (text) => process.stdout.write(`${text}\n`),
    })
    return 0
  })
}

async function runDoctor(args: string[]): Promise<number> {
  const values = parse(args, { url: { type: 'string' }, json: { type: 'boolean' }, project: { type: 'string' }, team: { type: 'string' } })
  if (values.help) return help('doctor')
  const { doctor, describeDoctorReport } = await import('./setup/doctor.js')
  return reportSetupErrors(async () => {
    const report = await doctor({ root: process.cwd(), url: values.url, projectId: values.project, teamId: values.team, env: process.env })
    process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : describeDoctorReport(report))
    return report.ok ? 0 : 1
  })
}

/**
 * A set-up error, or an answer of the API that stopped it, as one line (exit 2 for usage, else 1);
 * anything else goes on to the last handler.
 */
async function reportSetupErrors(run: () => Promise<number>): Promise<number> {
  const { SetupError } = await import('./setup/errors.js')
  try {
    return await run()
  } catch (error) {
    // Errors of this package name the problem (a refusal, an answer of the API); anything else is a bug.
    if (!(error instanceof ImageInvalidateError)) throw error
    process.stderr.write(`image-invalidate: ${secretRedactor(process.env)(error.message)}\n`)
    return error instanceof SetupError && error.usage ? 2 : 1
  }
}

async function runCheckRemote(args: string[]): Promise<number> {
  const values = parse(args, {
    site: { type: 'string' },
    manifest: { type: 'string' },
    'base-path': { type: 'string' },
    state: { type: 'string' },
    'dry-run': { type: 'boolean' },
    project: { type: 'string' },
    team: { type: 'string' },
    json: { type: 'boolean' },
  })
  if (values.help) return help('check-remote')
  const basePath = checkedBasePath(values['base-path'])
  const { checkRemote, fileStore, DEFAULT_REMOTE_STATE_FILE } = await import('./remote/check-remote.js')
  const report = await checkRemote({
    siteUrl: values.site,
    manifest: values.manifest,
    basePath,
    store: fileStore(path.resolve(values.state ?? DEFAULT_REMOTE_STATE_FILE)),
    dryRun: values['dry-run'],
    projectId: values.project,
    teamId: values.team,
    log: (line) => process.stderr.write(`${LOG_PREFIX} ${line}\n`),
  })
  if (values.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
  else process.stdout.write(describeCheck(report))
  return report.ok ? 0 : 1
}

/** The human summary of a check-remote run. */
function describeCheck(report: CheckRemoteReport): string {
  const lines: string[] = []
  if (report.dryRun && report.changed.length > 0) lines.push('dry run: nothing sent')
  else if (report.changed.length > 0) lines.push(`invalidated ${report.invalidated.length} of ${countOf(report.changed.length, 'changed remote image')}`)
  else if (report.live && !report.error) lines.push('no remote image changed')
  lines.push(...describeFailures(report.failed))
  if (report.error) lines.push(`error: ${report.error}`)
  return `${lines.join('\n')}\n`
}

/**
 * The human summary of an apply run: what was sent, what was not, and why. The plan and the wait were
 * already told as progress lines, so they are not repeated.
 */
function describeReport(report: ApplyReport): string {
  if (report.checks) return describeDryRun(report, report.checks)
  const lines: string[] = []
  // The remote images are sent with the public ones.
  const planned = report.planned.length + report.plannedRemote.length
  if (report.plan && planned > 0) {
    const ok = report.calls.filter((call) => call.outcome === 'ok').length
    lines.push(
      `invalidated ${report.invalidated.length} of ${planned} in ${countOf(ok, 'successful call')} (${report.calls.length} made, ${report.retried} retried)`,
    )
  } else if (report.deferred) lines.push(`deferred: ${report.deferred}`)
  else if (report.plan && !report.error) lines.push('nothing to invalidate')
  lines.push(...describeFailures(report.failed))
  if (report.error) lines.push(`error: ${report.error}`)
  return `${lines.join('\n')}\n`
}

/**
 * A dry run: each check on its own line (what a real run has, lacks with the fix, and the sources of D and
 * P), then whether a real run would start. The source images it would send were progress lines.
 */
function describeDryRun(report: ApplyReport, checks: readonly PreflightCheck[]): string {
  const lines = checks.map((check) => `${check.status.padEnd(7)} ${check.message}${check.fix ? `; fix: ${check.fix}` : ''}`)
  const problems = checks.filter((check) => check.status === 'problem').length
  if (report.error && problems === 0) lines.push(`error: ${report.error}`)
  // The remote images are sent with the public ones.
  const planned = countOf(report.planned.length + report.plannedRemote.length, 'source image')
  lines.push(
    report.ok
      ? `dry run: nothing sent; a real run would start, and send ${planned} as planned now`
      : `dry run: nothing sent; a real run would stop on the ${countOf(Math.max(problems, 1), 'problem')} above`,
  )
  return `${lines.join('\n')}\n`
}

/** The images that were not invalidated, grouped by why: a refusal that stopped the run is said once, not once per image. */
function describeFailures(failed: ApplyReport['failed']): string[] {
  const byReason = new Map<string, ApplyReport['failed']>()
  for (const failure of failed) {
    const group = byReason.get(failure.reason)
    if (group) group.push(failure)
    else byReason.set(failure.reason, [failure])
  }
  return [...byReason].map(([reason, failures]) =>
    failures.length === 1
      ? `not invalidated: ${failures[0]!.srcImage}: ${reason}`
      : `not invalidated, ${countOf(failures.length, 'source image')}: ${reason}\n${failures.map((failure) => `  ${failure.srcImage}`).join('\n')}`,
  )
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 }

function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim())
  if (!match) throw new UsageError(`--timeout ${JSON.stringify(text)} is not a duration like 90s or 10m`)
  const scale = DURATION_UNITS[match[2] ?? 's']!
  return Number(match[1]) * scale
}

/** `--base-path` as given, or a usage error saying how to write it. */
function checkedBasePath(given: string | undefined): string | undefined {
  const problem = given === undefined ? undefined : basePathProblem(given)
  if (problem) throw new UsageError(`--base-path ${JSON.stringify(given)} ${problem}: write it as Next.js basePath is written, e.g. /docs`)
  return given
}

function parseConcurrency(text: string): number {
  const value = Number(text)
  if (!Number.isInteger(value) || value < 1 || value > 16) throw new UsageError(`--concurrency ${JSON.stringify(text)} is not a whole number from 1 to 16`)
  return value
}

/** A progress line of a phase, on stderr: stdout holds the report alone, which `--json` keeps parseable. */
function printProgress(line: string): void {
  process.stderr.write(`${LOG_PREFIX} ${line}\n`)
}

/** A phase's report on stdout: as JSON with `--json`, else in sentences. */
function printReport<Report>(report: Report, json: boolean | undefined, describe: (report: Report) => string): void {
  process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : describe(report))
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
      // One style for every usage error: the command's name, what is wrong, and the --help that says how.
      const command = currentCommand ? `${currentCommand} ` : ''
      process.stderr.write(`image-invalidate: ${command}${error.message}\nRun 'image-invalidate ${command}--help' for usage.\n`)
      process.exitCode = 2
    } else {
      process.stderr.write(`image-invalidate: ${secretRedactor(process.env)((error as Error).stack ?? String(error))}\n`)
      process.exitCode = 1
    }
  },
)
