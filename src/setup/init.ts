import { readFileSync } from 'node:fs'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Env } from '../shared/environment.js'
import { planConfigEdit, planRouteRegistration, readConfigBasePath, type ConfigPlan } from './config.js'
import { SetupError } from './errors.js'
import { CI_STEP, existingRouteFile, gitignoreChange, hasServerRoutes, webhookRoute, type FileChange } from './files.js'
import { detectApp, type DetectedApp } from './frameworks.js'
import { lineDiff } from './line-diff.js'
import { connectToProject, routeUrl, type ConnectedProject } from './project.js'
import { applyWebhookPlan, describeWebhookCalls, planWebhook, readWebhookState, SECRET_VARIABLE, type WebhookPlan } from './webhook-setup.js'
import { githubWorkflow } from './workflow.js'

/** How `apply` runs at each production flip. */
export type Way = 'webhook' | 'github' | 'ci'
export const WAYS: readonly Way[] = ['webhook', 'github', 'ci']

/** The questions `init` asks in a terminal; a cancelled prompt throws. */
export interface InitPrompts {
  way(initial: Way, available: readonly Way[]): Promise<Way>
  confirm(message: string, initial: boolean): Promise<boolean>
}

export interface InitOptions {
  root: string
  way?: Way
  /** The production origin, or the route's full URL. */
  url?: string
  yes?: boolean
  dryRun?: boolean
  projectId?: string
  teamId?: string
  env: Env
  /** Undefined when there is no terminal to ask in. */
  prompts?: InitPrompts
  /** Prints a line (or a few) for the user. */
  print(text: string): void
}

/** What `init` found and did. */
export interface InitResult {
  way: Way
  /** Every change made (or, in a dry run, that would be made), one line each. */
  changes: string[]
  dryRun: boolean
}

/** Everything `init` will change, computed before anything is. */
interface InitPlan {
  app: DetectedApp
  way: Way
  config: ConfigPlan
  files: FileChange[]
  /** Said before the changes: what is kept as it is, and where a file goes and why. */
  notes: string[]
  /** What the user still has to do by hand, said after the changes. */
  todo: string[]
  webhook?: { connected: ConnectedProject; plan: WebhookPlan }
}

/**
 * Sets the app up: the plugin in its config, `.gitignore`, and the way `apply` runs (the webhook route, the
 * Vercel webhook and its secret; a GitHub workflow; or the CI step, printed). Everything is planned and
 * checked first, then shown; nothing is changed in a dry run or before the user says yes. Vercel is changed
 * before the files, and undone if writing them fails: no config is edited without the rest.
 */
export async function init(options: InitOptions): Promise<InitResult> {
  if (!options.yes && !options.dryRun && !options.prompts) {
    throw new SetupError(
      'IMAGE_INVALIDATE_SETUP_NOT_INTERACTIVE',
      'init asks before it changes anything, and this shell is not a terminal: pass --yes to take the defaults (or --dry-run to see them)',
      true,
    )
  }
  const plan = await planInit(options)
  try {
    return await carryOut(plan, options)
  } finally {
    await plan.webhook?.connected.client.close()
  }
}

async function planInit(options: InitOptions): Promise<InitPlan> {
  const { root } = options
  const app = detectApp(root)
  options.print(`${app.framework.label} app${app.configFile ? `, ${path.basename(app.configFile)}` : ''}`)
  const config = planConfigEdit(app, root)
  if (config.kind === 'manual') {
    throw new SetupError(
      'IMAGE_INVALIDATE_SETUP_CONFIG_SHAPE',
      `${config.reason}: nothing was changed; add these lines${config.file ? ` to ${path.basename(config.file)}` : ''}, then run image-invalidate init again:\n${config.lines}`,
    )
  }
  const way = await chooseWay(app, options)
  const files: FileChange[] = []
  const notes: string[] = []
  const todo: string[] = []
  const gitignore = gitignoreChange(app, root)
  if (gitignore) files.push(gitignore)
  if (way === 'github') planWorkflow(root, files, notes, todo)
  if (way !== 'webhook') return { app, way, config, files, notes, todo }

  const existing = existingRouteFile(app, root)
  const route = existing ? undefined : webhookRoute(app, root)
  if (route) files.push(route)
  if (existing) notes.push(`${path.relative(root, existing)} is there already: kept as it is`)
  if (app.framework.name === 'react-router') {
    // React Router's route config names each module, relative to app/.
    const registration = planRouteRegistration(root, path.relative(path.join(root, 'app'), existing ?? route!.file))
    if (registration.kind === 'edit') files.push(registration.change)
    if (registration.kind === 'manual') todo.push(`add the route to your route config: ${registration.line}`)
  }
  const connected = await connectToProject({ projectId: options.projectId, teamId: options.teamId }, root, options.env)
  try {
    const url = routeUrl(options.url, connected.project, readConfigBasePath(app, root), path.basename(app.configFile ?? 'the config'))
    const webhook = planWebhook(await readWebhookState(connected.client, connected.project.id, url))
    if (!webhook.state.token && options.prompts && !options.yes && !options.dryRun) {
      const store = await options.prompts.confirm(
        'The route needs VERCEL_TOKEN for Production to call the API. Store your token on the project as a sensitive variable?',
        false,
      )
      if (store) webhook.storeToken = connected.target.token
    }
    return { app, way, config, files, notes, todo, webhook: { connected, plan: webhook } }
  } catch (error) {
    await connected.client.close()
    throw error
  }
}

/**
 * The GitHub workflow at the git repository's root, where GitHub reads workflows, its steps run in the
 * app's folder; outside git, in the app's folder, said. One there already is kept, said too when its
 * steps do not run in this app's folder.
 */
function planWorkflow(root: string, files: FileChange[], notes: string[], todo: string[]): void {
  const { place, change, existing } = githubWorkflow(root)
  if (change && !place.repoRoot)
    notes.push(
      `no git repository in ${root} or above it: the workflow goes in this folder; move .github/ to your repository's root, where GitHub reads workflows`,
    )
  else if (change && place.appFolder !== '')
    notes.push(`the workflow goes to the repository's root, ${place.repoRoot}, where GitHub reads workflows; its steps run in ${place.appFolder}`)
  if (change) files.push(change)
  if (existing) {
    const forThisApp = place.appFolder === '' || readFileSync(existing, 'utf8').includes(`working-directory: ${place.appFolder}\n`)
    notes.push(
      forThisApp
        ? `${path.relative(root, existing)} is there already: kept as it is`
        : `${path.relative(root, existing)} is there already, with no step in ${place.appFolder}: kept as it is; for this app, copy it under another name with defaults: run: working-directory: ${place.appFolder}`,
    )
  }
  if (place.lockFolder === undefined)
    todo.push(
      `the workflow installs with npm ci, which needs a package-lock.json in ${place.appFolder || "the app's folder"} or above it: with another package manager, change its install step`,
    )
}

/** `--way`, else the question, else the default: the webhook where the framework has server routes, else GitHub. */
async function chooseWay(app: DetectedApp, options: InitOptions): Promise<Way> {
  const available = hasServerRoutes(app) ? WAYS : WAYS.filter((way) => way !== 'webhook')
  const initial = available[0]!
  const way = options.way ?? (options.prompts && !options.yes ? await options.prompts.way(initial, available) : initial)
  if (!available.includes(way)) {
    throw new SetupError(
      'IMAGE_INVALIDATE_SETUP_WAY_UNAVAILABLE',
      `a ${app.framework.label} app has no server routes for the webhook: pass --way github or --way ci`,
      true,
    )
  }
  return way
}

async function carryOut(plan: InitPlan, options: InitOptions): Promise<InitResult> {
  const { root, print } = options
  const dryRun = Boolean(options.dryRun)
  const changes = describeChanges(plan, root)
  for (const line of plan.notes) print(line)
  if (plan.webhook && !plan.webhook.plan.create)
    print(`the webhook ${plan.webhook.plan.state.complete!.id} at ${plan.webhook.plan.state.url} and ${SECRET_VARIABLE} are there already`)
  if (changes.length === 0) {
    print('nothing to change: the app is set up already')
    printNextSteps(plan, print)
    return { way: plan.way, changes, dryRun }
  }
  print(`${dryRun ? 'init would' : 'init will'}:`)
  for (const change of changes) print(change)
  if (dryRun) {
    print('dry run: nothing was changed')
    return { way: plan.way, changes, dryRun }
  }
  if (options.prompts && !options.yes && !(await options.prompts.confirm('Make these changes?', true))) {
    throw new SetupError('IMAGE_INVALIDATE_SETUP_CANCELLED', 'init was cancelled: nothing was changed')
  }
  const remote = plan.webhook ? await applyWebhookPlan(plan.webhook.connected.client, plan.webhook.plan, print) : undefined
  try {
    await writeAll(localChanges(plan), root, print)
  } catch (error) {
    await remote?.undo()
    throw error
  }
  printNextSteps(plan, print)
  return { way: plan.way, changes, dryRun }
}

function localChanges(plan: InitPlan): FileChange[] {
  const { config } = plan
  const configChanges: FileChange[] = []
  if (config.kind === 'edit') configChanges.push({ file: config.file, before: config.before, after: config.after })
  if (config.kind === 'create') configChanges.push({ file: config.file, before: undefined, after: config.after })
  return [...configChanges, ...plan.files]
}

/** Each change as the user reads it: the config's diff, the files, the API calls. */
function describeChanges(plan: InitPlan, root: string): string[] {
  const lines: string[] = []
  const { config } = plan
  if (config.kind === 'edit') lines.push(`  edit ${path.relative(root, config.file)}:`, ...lineDiff(config.before, config.after).map((line) => `    ${line}`))
  // A new config is shown whole: it is the one file whose content the user has to accept.
  if (config.kind === 'create')
    lines.push(
      `  create ${path.relative(root, config.file)}:`,
      ...config.after
        .trimEnd()
        .split('\n')
        .map((line) => `    + ${line}`),
    )
  for (const change of plan.files) {
    const name = path.relative(root, change.file)
    if (change.before === undefined) lines.push(`  create ${name}`)
    else lines.push(`  edit ${name}:`, ...lineDiff(change.before, change.after).map((line) => `    ${line}`))
  }
  if (plan.webhook) for (const call of describeWebhookCalls(plan.webhook.plan)) lines.push(`  call ${call}`)
  return lines
}

/**
 * Writes every file, or none: a write that fails puts back what was written before it (a config is
 * never left edited without the rest).
 */
async function writeAll(changes: FileChange[], root: string, print: (text: string) => void): Promise<void> {
  const done: FileChange[] = []
  try {
    for (const change of changes) {
      await mkdir(path.dirname(change.file), { recursive: true })
      await writeFile(change.file, change.after)
      done.push(change)
    }
  } catch (error) {
    for (const change of done.reverse()) {
      if (change.before === undefined) await rm(change.file, { force: true })
      else await writeFile(change.file, change.before)
    }
    throw new SetupError(
      'IMAGE_INVALIDATE_SETUP_WRITE_FAILED',
      `writing the app's files failed (${(error as Error).message}): every change was undone`,
      false,
      {
        cause: error,
      },
    )
  }
  for (const change of done) print(`${change.before === undefined ? 'created' : 'edited'} ${path.relative(root, change.file)}`)
}

function printNextSteps(plan: InitPlan, print: (text: string) => void): void {
  for (const line of plan.todo) print(line)
  if (plan.way === 'webhook') {
    const state = plan.webhook?.plan.state
    if (!state?.token && plan.webhook?.plan.storeToken === undefined)
      print('the route needs VERCEL_TOKEN for Production: vercel env add VERCEL_TOKEN production --sensitive (and VERCEL_TEAM_ID for a team)')
    print('next: deploy to production (the route reads its secret from then on), then run image-invalidate doctor')
  } else if (plan.way === 'github') {
    print(
      `next: in the GitHub repository's settings, set the secret VERCEL_TOKEN (and VERCEL_AUTOMATION_BYPASS_SECRET if deployments are protected) and the variables VERCEL_PROJECT_ID and VERCEL_TEAM_ID; with gh: gh secret set VERCEL_TOKEN`,
    )
  } else {
    print(`next: in your CI, deploy and apply like this (with VERCEL_TOKEN, VERCEL_PROJECT_ID and VERCEL_ORG_ID as secrets):\n${CI_STEP}`)
  }
}
